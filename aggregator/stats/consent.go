package stats

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/varde/varde/aggregator"
)

// ConsentRow counts the consent decisions of one action (and GPC signal)
// in a time bucket, or over the whole range when Time is empty.
type ConsentRow struct {
	Time    string `json:"time,omitempty"`
	Action  string `json:"action"`
	GPC     bool   `json:"gpc"`
	Records int    `json:"records"`
}

// ConsentResult is the consent panel: totals per action and GPC over the
// range, and the same per bucket. Rows under k decisions are held back.
type ConsentResult struct {
	Totals         []ConsentRow `json:"totals"`
	Series         []ConsentRow `json:"series"`
	TimeLabels     []string     `json:"time_labels"`
	SuppressedRows int          `json:"suppressed_rows"`
	K              int          `json:"k"`
}

// Consent counts consent decisions over the range, per bucket of interval
// (a time dimension: "time", "time:day", ...; "" picks like "time").
func (e *Engine) Consent(ctx context.Context, site aggregator.Site, dr DateRange, interval string, now time.Time) (ConsentResult, error) {
	if err := dr.validate(); err != nil {
		return ConsentResult{}, err
	}
	if interval == "" {
		interval = DimTime
	}
	if !isTimeDimension(interval) {
		return ConsentResult{}, queryErrorf("Unknown time dimension `%s`.", clip(interval))
	}
	p, err := resolvePeriod(dr, site.Location(), now, func() (time.Time, error) { return e.firstHour(ctx, site.Domain) })
	if err != nil {
		return ConsentResult{}, err
	}
	pl := plan{site: site.Domain, p: p, interval: p.interval(interval), k: max(site.K, 1)}
	if pl.interval == "hour" && p.days() > maxHourDays {
		return ConsentResult{}, queryErrorf("Dimension `time:hour` covers at most %d days.", maxHourDays)
	}
	var s sqlBuf
	s.w("SELECT ")
	pl.writeBucket(&s)
	s.w(" AS tb, action, gpc, sum(records) FROM (SELECT hour AS t, action, gpc, records FROM "+consentTable+
		" WHERE site = ? AND hour >= ? AND hour < ?) GROUP BY tb, action, gpc ORDER BY tb, action, gpc", pl.site, p.from, p.to)
	rows, err := e.read.Query(ctx, s.b.String(), s.args...)
	if err != nil {
		return ConsentResult{}, fmt.Errorf("stats: consent of %s: %w", site.Domain, err)
	}
	out := ConsentResult{Totals: []ConsentRow{}, Series: []ConsentRow{}, TimeLabels: p.labels(pl.interval), K: pl.k}
	totals := map[ConsentRow]int{}
	for rows.Next() {
		var (
			bucket time.Time
			r      ConsentRow
			gpc    int
		)
		if err := rows.Scan(&bucket, &r.Action, &gpc, &r.Records); err != nil {
			return ConsentResult{}, fmt.Errorf("stats: consent of %s: %w", site.Domain, err)
		}
		r.GPC = gpc != 0
		totals[ConsentRow{Action: r.Action, GPC: r.GPC}] += r.Records
		r.Time = p.bucketLabel(pl.interval, bucket)
		if r.Records < pl.k {
			out.SuppressedRows++
			continue
		}
		out.Series = append(out.Series, r)
	}
	for key, n := range totals {
		if n < pl.k {
			out.SuppressedRows++
			continue
		}
		key.Records = n
		out.Totals = append(out.Totals, key)
	}
	slices.SortFunc(out.Totals, func(a, b ConsentRow) int {
		if c := cmp.Compare(a.Action, b.Action); c != 0 {
			return c
		}
		return cmp.Compare(fmt.Sprint(a.GPC), fmt.Sprint(b.GPC))
	})
	return out, nil
}
