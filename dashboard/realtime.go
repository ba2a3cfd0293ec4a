package dashboard

import (
	"context"

	"github.com/varde/varde/aggregator"
)

// realtimeView is the live count at the top of the overview.
type realtimeView struct {
	Visitors   int64
	Suppressed bool // there were visitors, but fewer than K
	K          int
}

func (d *Dashboard) realtime(ctx context.Context, site aggregator.Site) (realtimeView, error) {
	r, err := d.stats.Realtime(ctx, site, d.opts.Now())
	if err != nil {
		return realtimeView{}, err
	}
	return realtimeView{Visitors: int64(r.Visitors), Suppressed: r.Suppressed, K: r.K}, nil
}
