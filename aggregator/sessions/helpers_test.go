package sessions

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/store"
	"github.com/varde/varde/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func ctxT(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

// clock is a fake clock shared by the sessionizers of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// migrated prepares a store's tables.
func migrated(t testing.TB, st store.Store) {
	t.Helper()
	if _, err := aggregator.Migrate(ctxT(t), st, quiet); err != nil {
		t.Fatalf("migrate: %v", err)
	}
}

// newSessionizer is a sessionizer for tests: folds inserts in at first
// sight, settles lease claims quickly.
func newSessionizer(st store.Store, c *clock, holder string) *Sessionizer {
	return New(st, Options{Now: c.Now, Log: quiet, Holder: holder, Settle: -1, LeaseSettle: 20 * time.Millisecond})
}

var rawColumns = []string{
	"site", "time", "ms", "event_id", "batch_id", "insert_id", "visitor_id", "prev_visitor_id",
	"name", "hostname", "path", "query", "referrer", "source",
	"utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term",
	"country", "region", "region_name", "city", "browser", "browser_version", "os", "os_version", "device",
	"screen_width", "props_keys", "props_values",
}

// insertRaw stores events as one collector insert would: registered, then
// inserted.
func insertRaw(t testing.TB, st store.Store, insertID uint64, evs ...aggregator.Event) {
	t.Helper()
	first, last := evs[0].Time, evs[0].Time
	for _, e := range evs {
		first, last = minTime(first, e.Time), maxTime(last, e.Time)
	}
	registerSpan(t, st, insertID, len(evs), first, last, last)
	insertRows(t, st, insertID, evs...)
}

// register records an insert in raw_inserts at time at, its events within
// a day of it.
func register(t testing.TB, st store.Store, insertID uint64, rows int, at time.Time) {
	t.Helper()
	registerSpan(t, st, insertID, rows, at.Add(-24*time.Hour), at.Add(24*time.Hour), at)
}

// registerSpan records an insert in raw_inserts, as the writer does before
// it inserts: its rows, the times they span, when it was registered.
func registerSpan(t testing.TB, st store.Store, insertID uint64, rows int, first, last, at time.Time) {
	t.Helper()
	reg := [][]any{{insertID, uint64(rows), first.Truncate(time.Second), last, at}}
	if err := st.Insert(ctxT(t), "raw_inserts", []string{"insert_id", "rows", "first", "last", "time"}, reg); err != nil {
		t.Fatalf("register raw insert: %v", err)
	}
}

// insertRows stores events under an insert id without registering it.
func insertRows(t testing.TB, st store.Store, insertID uint64, evs ...aggregator.Event) {
	t.Helper()
	rows := make([][]any, len(evs))
	for i, e := range evs {
		rows[i] = []any{
			e.Site, e.Time.Truncate(time.Second), uint16(e.Time.Nanosecond() / 1e6), e.ID, insertID, insertID, e.VisitorID, e.PrevVisitorID,
			e.Name, e.Hostname, e.Path, e.Query, e.Referrer, e.Source,
			e.UTMSource, e.UTMMedium, e.UTMCampaign, e.UTMContent, e.UTMTerm,
			e.Country, e.Region, e.RegionName, e.City, e.Browser, e.BrowserVersion, e.OS, e.OSVersion, e.Device,
			e.ScreenWidth, orEmpty(e.PropKeys), orEmpty(e.PropValues),
		}
	}
	if err := st.Insert(ctxT(t), "events", rawColumns, rows); err != nil {
		t.Fatalf("insert raw events: %v", err)
	}
}

func runOnce(t testing.TB, s *Sessionizer) Stats {
	t.Helper()
	st, err := s.RunOnce(ctxT(t))
	if err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	return st
}

// stateKeys reads every row of both tables whose signs do not sum to 0,
// as keys, and fails the test for a sum other than 1.
func stateKeys(t testing.TB, st store.Store, site string) (sessions, events []string) {
	t.Helper()
	rows, err := st.Query(ctxT(t), `SELECT site, visitor_id, session_id, start, `+"`end`"+`, duration, pageviews, events, bounce,
		hostname, entry_page, exit_page, referrer, source, utm_source, utm_medium, utm_campaign, utm_content, utm_term,
		country, region, region_name, city, browser, browser_version, os, os_version, device, sum(sign) AS n
		FROM sessions WHERE site = ?
		GROUP BY site, visitor_id, session_id, start, `+"`end`"+`, duration, pageviews, events, bounce,
		hostname, entry_page, exit_page, referrer, source, utm_source, utm_medium, utm_campaign, utm_content, utm_term,
		country, region, region_name, city, browser, browser_version, os, os_version, device
		HAVING n != 0`, site)
	if err != nil {
		t.Fatalf("read sessions: %v", err)
	}
	for rows.Next() {
		var s Session
		var n int64
		if err := rows.Scan(append(s.dests(), &n)...); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("session %d of visitor %d: sum(sign) = %d, want 1", s.SessionID, s.VisitorID, n)
		}
		sessions = append(sessions, s.key())
	}
	rows, err = st.Query(ctxT(t), `SELECT site, visitor_id, session_id, event_id, time, name, hostname, path, entry_page,
		referrer, source, utm_source, utm_medium, utm_campaign, utm_content, utm_term,
		country, region, region_name, city, browser, browser_version, os, os_version, device,
		props_keys, props_values, sum(sign) AS n
		FROM session_events WHERE site = ?
		GROUP BY site, visitor_id, session_id, event_id, time, name, hostname, path, entry_page,
		referrer, source, utm_source, utm_medium, utm_campaign, utm_content, utm_term,
		country, region, region_name, city, browser, browser_version, os, os_version, device,
		props_keys, props_values
		HAVING n != 0`, site)
	if err != nil {
		t.Fatalf("read session events: %v", err)
	}
	for rows.Next() {
		var e SessionEvent
		var n int64
		if err := rows.Scan(append(e.dests(), &n)...); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("session event %d: sum(sign) = %d, want 1", e.EventID, n)
		}
		events = append(events, e.key())
	}
	slices.Sort(sessions)
	slices.Sort(events)
	return sessions, events
}

// wantKeys are the rows of the visits of all the events.
func wantKeys(events []aggregator.Event) (sessions, evs []string) {
	for _, v := range Visits(events) {
		sessions = append(sessions, v.Session.key())
		for _, e := range v.Events {
			evs = append(evs, e.key())
		}
	}
	slices.Sort(sessions)
	slices.Sort(evs)
	return sessions, evs
}

// checkExact fails unless the tables hold exactly the visits of events
// for the site of the first event.
func checkExact(t testing.TB, st store.Store, events []aggregator.Event) {
	t.Helper()
	gotS, gotE := stateKeys(t, st, events[0].Site)
	wantS, wantE := wantKeys(events)
	if !slices.Equal(gotS, wantS) {
		t.Errorf("sessions:\ngot  %q\nwant %q", gotS, wantS)
	}
	if !slices.Equal(gotE, wantE) {
		t.Errorf("session events:\ngot  %d rows %q\nwant %d rows %q", len(gotE), gotE, len(wantE), wantE)
	}
}

// totals are the sign-weighted sums a rollup would compute.
type totals struct {
	Visits, Pageviews, Bounces, Duration, Events int64
}

// sumTotals are the sign-weighted sums of a site a rollup would compute.
func sumTotals(t testing.TB, st store.Store, site string) totals {
	t.Helper()
	rows, err := st.Query(ctxT(t), `SELECT sum(sign), sum(sign * pageviews), sum(sign * bounce), sum(sign * duration),
		(SELECT sum(sign) FROM session_events WHERE site = ?) FROM sessions WHERE site = ?`, site, site)
	if err != nil {
		t.Fatalf("totals: %v", err)
	}
	var tot totals
	rows.Next()
	if err := rows.Scan(&tot.Visits, &tot.Pageviews, &tot.Bounces, &tot.Duration, &tot.Events); err != nil {
		t.Fatalf("totals: %v", err)
	}
	return tot
}

func count(t testing.TB, st store.Store, q string) int {
	t.Helper()
	rows, err := st.Query(ctxT(t), q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	var n int
	rows.Next()
	if err := rows.Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// rollupTotals reads the visit totals of the rollup that the schema's
// materialized view fills from sessions; ok is false when the schema has no
// such rollup (it belongs to the read side and may change).
func rollupTotals(t testing.TB, st store.Store, site string) (tot totals, ok bool) {
	t.Helper()
	agg, err := aggregator.AggregateDatabase(ctxT(t), st)
	if err != nil {
		t.Fatalf("aggregates database: %v", err)
	}
	rows, err := st.Query(ctxT(t), "SELECT sumMerge(visits), sumMerge(pageviews), sumMerge(bounces), sumMerge(duration) FROM `"+agg+
		"`.visits_total_hourly WHERE site = ?", site)
	if err != nil {
		t.Logf("no rollup to check: %v", err)
		return tot, false
	}
	rows.Next()
	if err := rows.Scan(&tot.Visits, &tot.Pageviews, &tot.Bounces, &tot.Duration); err != nil {
		t.Fatalf("rollup totals: %v", err)
	}
	return tot, true
}
