package stats_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/rollup"
	"github.com/varde/varde/aggregator/stats"
	"github.com/varde/varde/aggregator/stats/synthetic"
)

// TestTopN checks the top-n path of breakdowns (see pick) against the
// full one on traffic with long tails: pages, entry and exit pages and
// cities, where most groups are left out of the merge, some kept by the
// days they were seen and some held back by their activity. Asking for
// total_rows takes the full path; the rows and the count of rows held
// back must be the same either way: before any day is closed, when the
// days up to ten days ago are (the top-n path ranks the closed days by
// their sums), and when all but today are (breakdowns that can read their
// closed days read every group at once, in one step).
func TestTopN(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
		site := aggregator.NewSite("tail.example")
		site.Timezone = "Europe/Oslo"
		if _, err := synthetic.Load(ctx(t), e.write, synthetic.Options{Site: site.Domain, Events: 40000, Now: now, Days: 40}); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			dim, period string
			closable    bool // its closed days have rows of its own
		}{
			{"event:page", "30d", true}, {"visit:entry_page", "30d", true}, {"visit:exit_page", "7d", true},
			{"visit:city", "30d", false}, {"visit:region", "28d", false}, {"event:page", "7d", true}, {"visit:browser_version", "30d", false},
		}
		for _, closedUpTo := range []time.Time{{}, now.AddDate(0, 0, -10), now} {
			if !closedUpTo.IsZero() {
				if _, err := (rollup.Closer{Store: e.write}).CloseSite(ctx(t), site.Domain, closedUpTo); err != nil {
					t.Fatal(err)
				}
				e.eng = stats.New(e.rec)
			}
			for _, c := range cases {
				// Ranked unless all but today is closed: with ten days
				// open, a week is all states and a month has ten days
				// of them.
				ranked := closedUpTo.IsZero() || closedUpTo.Before(now) || !c.closable
				t.Run(fmt.Sprintf("%s %s closed up to %s", c.dim, c.period, closedUpTo.Format(time.DateOnly)), func(t *testing.T) {
					for _, limit := range []int{1, 10, 30} {
						q := stats.Query{SiteID: site.Domain, Metrics: []string{stats.MetricVisitors, stats.MetricPageviews},
							DateRange: stats.DateRange{Period: c.period}, Dimensions: []string{c.dim}, Pagination: stats.Pagination{Limit: limit}}
						before := len(e.rec.statements())
						top, err := e.eng.Run(ctx(t), site, q, now)
						if err != nil {
							t.Fatal(err)
						}
						rankedNow := false
						for _, s := range e.rec.statements()[before:] {
							rankedNow = rankedNow || strings.Contains(s, "uniqExactIf") || strings.Contains(s, "countIf(visitors > 0")
						}
						if rankedNow != ranked {
							t.Errorf("limit %d: ranked the groups: %v, want %v", limit, rankedNow, ranked)
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
		}
	})
}

// TestWholeDays asks for periods that are whole UTC days (a site in UTC):
// they read the daily tables only, with no edge hours. Every figure must
// match what the visits themselves say.
func TestWholeDays(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
		site := aggregator.NewSite("utc.example")
		site.Timezone = "UTC"
		if _, err := synthetic.Load(ctx(t), e.write, synthetic.Options{Site: site.Domain, Events: 6000, Now: now, Days: 10}); err != nil {
			t.Fatal(err)
		}
		// The week before today, 3 to 9 March, from the visits.
		rows, err := e.write.Query(ctx(t), `SELECT country, toUInt64(uniqExact(visitor_id)), toInt64(sum(sign)) FROM sessions
			WHERE site = ? AND start >= ? AND start < ? GROUP BY country HAVING sum(sign) > 0 ORDER BY country`,
			site.Domain, time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][2]int64{}
		for _, v := range rows.Values {
			want[v[0].(string)] = [2]int64{int64(v[1].(uint64)), v[2].(int64)}
		}
		if len(want) < 5 {
			t.Fatalf("only %d countries in the week: the case tests nothing", len(want))
		}
		q := stats.Query{SiteID: site.Domain, Metrics: []string{stats.MetricVisitors, stats.MetricVisits},
			DateRange: stats.DateRange{Period: "7d"}, Dimensions: []string{"visit:country"}, Pagination: stats.Pagination{Limit: 100}}
		res, err := e.eng.Run(ctx(t), site, q, now)
		if err != nil {
			t.Fatal(err)
		}
		shown := 0
		for _, r := range res.Results {
			c, _ := r.Dimensions[0].(string)
			if c == "(other)" {
				continue
			}
			shown++
			got := [2]int64{toInt64(r.Metrics[0]), toInt64(r.Metrics[1])}
			if got != want[c] {
				t.Errorf("%s: visitors, visits: got %v, want %v", c, got, want[c])
			}
		}
		if shown == 0 {
			t.Errorf("no country shown: %+v", res.Results)
		}
		rows, err = e.write.Query(ctx(t), `SELECT toUInt64(uniqExact(visitor_id)), toInt64(sum(sign)) FROM sessions
			WHERE site = ? AND start >= ? AND start < ?`,
			site.Domain, time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		wantTotal := [2]int64{int64(rows.Values[0][0].(uint64)), rows.Values[0][1].(int64)}
		q.Dimensions = nil
		tot, err := e.eng.Run(ctx(t), site, q, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(tot.Results) != 1 || [2]int64{toInt64(tot.Results[0].Metrics[0]), toInt64(tot.Results[0].Metrics[1])} != wantTotal {
			t.Errorf("totals: got %+v, want visitors, visits %v", tot.Results, wantTotal)
		}
	})
}

func toInt64(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case uint64:
		return int64(n)
	case int:
		return int64(n)
	case float64:
		return int64(n)
	}
	return -1
}
