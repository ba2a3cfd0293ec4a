package stats_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/rollup"
	"github.com/varde/varde/aggregator/stats"
	"github.com/varde/varde/aggregator/stats/synthetic"
	"github.com/varde/varde/aggregator/store"
)

// TestClosedDays checks that closing days changes no answer: the overview
// and breakdowns over ranges that start and end in closed days, in days
// still open and in today's hours are the same before and after, to the
// visitor. The traffic has visits over midnight that view the same page
// before and after it (their visitor keeps its id), inside a range, at
// its first day and where the closed days meet today's hours: a page's
// visitors would count twice there if the carried ones were not taken out.
func TestClosedDays(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
		site := aggregator.NewSite("closed.example")
		site.Timezone = "Europe/Oslo"
		site.K = 1
		// Few enough visitors (under 1,024 in any answer) that the
		// visitors states are exact, so that both must agree exactly.
		if _, err := synthetic.Load(ctx(t), e.write, synthetic.Options{Site: site.Domain, Events: 6500, Now: now, Days: 40, Seed: 7}); err != nil {
			t.Fatal(err)
		}
		today := now.Truncate(24 * time.Hour)
		var sessions, events [][]any
		for i, start := range []time.Time{
			today.AddDate(0, 0, -10).Add(-3 * time.Minute), // inside the ranges
			today.Add(-2 * time.Minute),                    // yesterday, closed, into today
			today.AddDate(0, 0, -29).Add(-2 * time.Minute), // a 30-day range's first day in Oslo
			today.AddDate(0, 0, -6).Add(-90 * time.Second), // a 7-day range's first whole UTC day
		} {
			v := &synthetic.Visit{Visitor: 900 + uint64(i), Session: 1<<40 + uint64(i), Start: start,
				Pages:  []string{"/midnight", "/other", "/midnight", "/midnight", "/late"},
				Source: "Direct / None", Country: "NO", Browser: "Firefox", OS: "Linux", Device: "desktop"}
			sessions = append(sessions, synthetic.SessionRow(site.Domain, v))
			events = synthetic.EventRows(events, site.Domain, v)
		}
		// A visitor of the first UTC day of the 30-day range (whose hours
		// before 23:00 are in the range before it): a visit at 22:30 to
		// /midnight, another from 23:58 to /other, and /midnight again
		// after midnight. In the range they viewed /midnight once, on the
		// next day, and visited in its first day's last hour.
		first := today.AddDate(0, 0, -31)
		for i, v := range []*synthetic.Visit{
			{Start: first.Add(22*time.Hour + 30*time.Minute), Pages: []string{"/midnight"}},
			{Start: first.Add(24*time.Hour - 2*time.Minute), Pages: []string{"/other", "/other", "/other", "/midnight"}},
		} {
			v.Visitor, v.Session = 950, 1<<40+100+uint64(i)
			v.Source, v.Country, v.Browser, v.OS, v.Device = "Bing", "SE", "Safari", "iOS", "mobile"
			sessions = append(sessions, synthetic.SessionRow(site.Domain, v))
			events = synthetic.EventRows(events, site.Domain, v)
		}
		if err := e.write.Insert(ctx(t), "sessions", synthetic.SessionColumns, sessions); err != nil {
			t.Fatal(err)
		}
		if err := e.write.Insert(ctx(t), "session_events", synthetic.EventColumns, events); err != nil {
			t.Fatal(err)
		}

		var queries []stats.Query
		for _, period := range []stats.DateRange{{Period: "30d"}, {Period: "7d"}, {Period: "day"}, {Period: "month"}, {Period: "91d"},
			{From: "2026-02-01", To: "2026-03-01"}, {From: "2026-03-05", To: "2026-03-10"}} {
			for _, q := range stats.OverviewQueries(site.Domain, period, nil) {
				queries = append(queries, q)
			}
			for _, dim := range []string{stats.DimTimeDay, stats.DimTimeWeek, stats.DimTimeMonth} {
				queries = append(queries, stats.Query{SiteID: site.Domain, DateRange: period, Dimensions: []string{dim},
					Metrics: []string{stats.MetricVisitors, stats.MetricVisits, stats.MetricPageviews, stats.MetricBounceRate, stats.MetricVisitDuration}})
			}
			for _, dim := range []string{"event:page", "visit:entry_page", "visit:city", "visit:utm_campaign"} {
				queries = append(queries, stats.Query{SiteID: site.Domain, DateRange: period, Dimensions: []string{dim},
					Metrics: []string{stats.MetricVisitors, stats.MetricPageviews, stats.MetricEvents}, Pagination: stats.Pagination{Limit: 100}})
			}
			// Every page, the crafted ones too (not on the top-n path).
			queries = append(queries, stats.Query{SiteID: site.Domain, DateRange: period, Dimensions: []string{"event:page"},
				Metrics: []string{stats.MetricVisitors, stats.MetricPageviews}, Pagination: stats.Pagination{Limit: 2000}})
		}
		answer := func() []string { t.Helper(); return answers(t, e, site, queries, now) }
		open := answer()
		if !strings.Contains(strings.Join(open, ""), `"/midnight"`) {
			t.Fatal("the visits over midnight are not in the answers")
		}

		closer := rollup.Closer{Store: e.write, Log: quiet}
		n, err := closer.CloseSite(ctx(t), site.Domain, now)
		if err != nil {
			t.Fatal(err)
		}
		if n != 40 {
			t.Errorf("closed %d days, want the 40 before yesterday's and yesterday", n)
		}
		e.eng = stats.New(e.rec) // an engine trusts what it knows of closed days for a while
		before := len(e.rec.statements())
		closed := answer()
		read := strings.Join(e.rec.statements()[before:], "\n")
		if !strings.Contains(read, "closed_dims") {
			t.Fatal("the queries did not read the closed days")
		}
		for i := range open {
			if open[i] != closed[i] {
				q, _ := json.Marshal(queries[i])
				t.Errorf("query %s:\nopen   %s\nclosed %s", q, open[i], closed[i])
			}
		}

		// A close that stopped half way (its rows written, the day not
		// recorded) is not read.
		agg, err := aggregator.AggregateDatabase(ctx(t), e.write)
		if err != nil {
			t.Fatal(err)
		}
		const cols = "site, dim, v1, v2, v3, v4, v5, day, visits, bounces, duration, pageviews, events, visitors, " +
			"first_hour, last_hour, visits_h, bounces_h, duration_h, pageviews_h, events_h, carried, carried_next"
		if err := e.write.Exec(ctx(t), "INSERT INTO `"+agg+"`.closed_dims ("+cols+", version) SELECT "+cols+", version + 1 FROM `"+agg+
			"`.closed_dims WHERE site = ? AND day >= ? AND day < ?", site.Domain, store.Date(today.AddDate(0, 0, -10)), store.Date(today.AddDate(0, 0, -8))); err != nil {
			t.Fatal(err)
		}
		e.eng = stats.New(e.rec)
		for i, got := range answer() {
			if got != open[i] {
				q, _ := json.Marshal(queries[i])
				t.Errorf("with a half-done close, query %s:\nopen   %s\nclosed %s", q, open[i], got)
			}
		}

		// Nothing more is due; a late visit changes a closed day, which
		// the next run closes again.
		if n, err := closer.CloseSite(ctx(t), site.Domain, now.Add(time.Hour)); err != nil || n != 0 {
			t.Fatalf("a second run closed %d days (err %v), want none", n, err)
		}
		// Late visits: one in a closed day, one before the first.
		var late [][]any
		var lateEvents [][]any
		for i, start := range []time.Time{today.AddDate(0, 0, -3).Add(5 * time.Hour), today.AddDate(0, 0, -45).Add(5 * time.Hour)} {
			v := &synthetic.Visit{Visitor: 990 + uint64(i), Session: 1<<41 + uint64(i), Start: start,
				Pages: []string{"/late-arrival"}, Source: "Direct / None", Country: "SE", Browser: "Chrome", OS: "Windows", Device: "mobile"}
			late = append(late, synthetic.SessionRow(site.Domain, v))
			lateEvents = synthetic.EventRows(lateEvents, site.Domain, v)
		}
		if err := e.write.Insert(ctx(t), "sessions", synthetic.SessionColumns, late); err != nil {
			t.Fatal(err)
		}
		if err := e.write.Insert(ctx(t), "session_events", synthetic.EventColumns, lateEvents); err != nil {
			t.Fatal(err)
		}
		if n, err := closer.CloseSite(ctx(t), site.Domain, now.Add(2*time.Hour)); err != nil || n != 3+5 {
			t.Fatalf("after late visits, closed %d days (err %v), want the closed day's and the two beside it, and the 5 from the earlier one on", n, err)
		}
		e.eng = stats.New(e.rec)
		// The days closed again count once: as the states say.
		reclosed := answer()
		if err := closer.Reopen(ctx(t), site.Domain, today.AddDate(-1, 0, 0)); err != nil {
			t.Fatal(err)
		}
		e.eng = stats.New(e.rec)
		for i, states := range answer() {
			if states != reclosed[i] {
				q, _ := json.Marshal(queries[i])
				t.Errorf("closed again, query %s:\nstates %s\nclosed %s", q, states, reclosed[i])
			}
		}
		if _, err := closer.CloseSite(ctx(t), site.Domain, now.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		e.eng = stats.New(e.rec)
		for _, period := range []string{"7d", "91d"} {
			q := stats.Query{SiteID: site.Domain, DateRange: stats.DateRange{Period: period}, Dimensions: []string{"event:page"},
				Metrics: []string{stats.MetricVisitors}, Pagination: stats.Pagination{Limit: 2000}}
			res, err := e.eng.Run(ctx(t), site, q, now)
			if err != nil {
				t.Fatal(err)
			}
			want := `{"metrics":[1],"dimensions":["/late-arrival"]}`
			if period == "91d" {
				want = `{"metrics":[2],"dimensions":["/late-arrival"]}`
			}
			if !strings.Contains(mustJSON(res.Results), want) {
				t.Errorf("%s: the late visits' page is not %s: %s", period, want, mustJSON(res.Results))
			}
		}
	})
}

// answers runs the queries at once and returns each answer's rows and
// meta as JSON.
func answers(t *testing.T, e *env, site aggregator.Site, queries []stats.Query, now time.Time) []string {
	t.Helper()
	res, errs := e.eng.RunMany(ctx(t), site, queries, now)
	out := make([]string, len(res))
	for i := range res {
		if errs[i] != nil {
			t.Fatalf("query %d: %v", i, errs[i])
		}
		out[i] = mustJSON(struct {
			R []stats.Row
			M stats.Meta
		}{res[i].Results, res[i].Meta})
	}
	return out
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestClosedDaysWithoutRaw closes days whose raw visits are gone (a store
// from before closing existed, past its retention): they are closed from
// the aggregates' states, without hours, and answer as before; ranges
// that would need their hours read them from the states.
func TestClosedDaysWithoutRaw(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
		site := aggregator.NewSite("old.example")
		site.Timezone = "Europe/Oslo"
		site.K = 1
		site.RetentionDays = 10
		if err := (aggregator.Sites{Store: e.write}).Put(ctx(t), site); err != nil {
			t.Fatal(err)
		}
		if _, err := synthetic.Load(ctx(t), e.write, synthetic.Options{Site: site.Domain, Events: 5000, Now: now, Days: 25, Seed: 3}); err != nil {
			t.Fatal(err)
		}
		if _, err := (aggregator.Retention{Store: e.write, Log: quiet}).Run(ctx(t), now); err != nil {
			t.Fatal(err)
		}
		var queries []stats.Query
		for _, period := range []stats.DateRange{{Period: "30d"}, {Period: "7d"}, {Period: "month"}, {From: "2026-02-20", To: "2026-02-26"}} {
			queries = append(queries, stats.Query{SiteID: site.Domain, DateRange: period,
				Metrics: []string{stats.MetricVisitors, stats.MetricVisits, stats.MetricPageviews, stats.MetricBounceRate}})
			for _, dim := range []string{"event:page", "visit:source", "visit:utm_campaign", "visit:referrer", stats.DimTimeDay} {
				queries = append(queries, stats.Query{SiteID: site.Domain, DateRange: period, Dimensions: []string{dim},
					Metrics: []string{stats.MetricVisitors, stats.MetricPageviews}, Pagination: stats.Pagination{Limit: 2000}})
			}
		}
		answer := func() []string { t.Helper(); return answers(t, e, site, queries, now) }
		open := answer()
		if _, err := (rollup.Closer{Store: e.write, Log: quiet}).CloseSite(ctx(t), site.Domain, now); err != nil {
			t.Fatal(err)
		}
		rows, err := e.read.Query(ctx(t), "SELECT countIf(hourly = 0), countIf(hourly = 1) FROM closed_days WHERE site = ?", site.Domain)
		if err != nil || !rows.Next() {
			t.Fatal(err)
		}
		var hourless, hourly uint64
		rows.Scan(&hourless, &hourly)
		if hourless < 10 || hourly < 9 {
			t.Fatalf("closed %d days without hours and %d with: the case tests nothing", hourless, hourly)
		}
		e.eng = stats.New(e.rec)
		before := len(e.rec.statements())
		closed := answer()
		if !strings.Contains(strings.Join(e.rec.statements()[before:], "\n"), "closed_dims") {
			t.Fatal("the queries did not read the closed days")
		}
		for i := range open {
			if open[i] != closed[i] {
				q, _ := json.Marshal(queries[i])
				t.Errorf("query %s:\nopen   %s\nclosed %s", q, open[i], closed[i])
			}
		}
	})
}
