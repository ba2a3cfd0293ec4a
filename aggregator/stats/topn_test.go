package stats_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/stats"
	"github.com/varde/varde/aggregator/stats/synthetic"
)

// TestTopN checks the top-n path of breakdowns (see pick) against the
// full one on traffic with long tails: pages, entry and exit pages and
// cities, where most groups are left out of the merge, some kept by the
// days they were seen and some held back by their activity. Asking for
// total_rows takes the full path; the rows and the count of rows held
// back must be the same either way.
func TestTopN(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
		site := aggregator.NewSite("tail.example")
		site.Timezone = "Europe/Oslo"
		if _, err := synthetic.Load(ctx(t), e.write, synthetic.Options{Site: site.Domain, Events: 40000, Now: now, Days: 40}); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ dim, period string }{
			{"event:page", "30d"}, {"visit:entry_page", "30d"}, {"visit:exit_page", "7d"},
			{"visit:city", "30d"}, {"visit:region", "28d"}, {"event:page", "7d"}, {"visit:browser_version", "30d"},
		} {
			t.Run(c.dim+" "+c.period, func(t *testing.T) {
				for _, limit := range []int{1, 10, 30} {
					q := stats.Query{SiteID: site.Domain, Metrics: []string{stats.MetricVisitors, stats.MetricPageviews},
						DateRange: stats.DateRange{Period: c.period}, Dimensions: []string{c.dim}, Pagination: stats.Pagination{Limit: limit}}
					before := len(e.rec.statements())
					top, err := e.eng.Run(ctx(t), site, q, now)
					if err != nil {
						t.Fatal(err)
					}
					ranked := false
					for _, s := range e.rec.statements()[before:] {
						ranked = ranked || strings.Contains(s, "uniqExactIf")
					}
					if !ranked {
						t.Errorf("limit %d: the breakdown did not take the top-n path", limit)
					}
					q.Include.TotalRows = true
					full, err := e.eng.Run(ctx(t), site, q, now)
					if err != nil {
						t.Fatal(err)
					}
					got, _ := json.Marshal(top.Results)
					want, _ := json.Marshal(full.Results)
					if string(got) != string(want) {
						t.Errorf("limit %d: rows:\n got %s\nwant %s", limit, got, want)
					}
					if top.Meta.SuppressedRows != full.Meta.SuppressedRows {
						t.Errorf("limit %d: suppressed_rows: got %d, want %d", limit, top.Meta.SuppressedRows, full.Meta.SuppressedRows)
					}
					if limit == 10 && (len(full.Results) != 10 || *full.Meta.TotalRows < 20) {
						t.Errorf("limit 10: %d rows of %d: the case has no tail to leave out", len(full.Results), *full.Meta.TotalRows)
					}
				}
			})
		}
	})
}
