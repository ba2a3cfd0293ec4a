package stats

import (
	"context"
	"fmt"
	"time"

	"github.com/varde/varde/aggregator"
)

// Realtime is the dashboard's figure of current visitors.
type Realtime struct {
	// Visitors seen in the last RealtimeWindow; 0 when Suppressed.
	Visitors int `json:"visitors"`
	// Suppressed is set when there were visitors, but fewer than k: the
	// figure would single them out.
	Suppressed bool `json:"suppressed"`
	K          int  `json:"k"`
}

// RealtimeWindow is how far back "current" reaches: the minute of now and
// the four before it.
const RealtimeWindow = 5 * time.Minute

// Realtime counts the unique visitors of the last five minutes, from the
// minute aggregate of raw events.
func (e *Engine) Realtime(ctx context.Context, site aggregator.Site, now time.Time) (Realtime, error) {
	last := now.UTC().Truncate(time.Minute)
	first := last.Add(-RealtimeWindow + time.Minute)
	rows, err := e.read.Query(ctx, "SELECT uniqMerge(visitors) FROM "+realtimeTable+" WHERE site = ? AND minute >= ? AND minute <= ?",
		site.Domain, first, last)
	if err != nil {
		return Realtime{}, fmt.Errorf("stats: realtime of %s: %w", site.Domain, err)
	}
	k := max(site.K, 1)
	out := Realtime{K: k}
	if rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			return Realtime{}, fmt.Errorf("stats: realtime of %s: %w", site.Domain, err)
		}
		if n > 0 && n < k {
			out.Suppressed = true
		} else {
			out.Visitors = n
		}
	}
	return out, nil
}
