package stats_test

import (
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/stats"
)

// The scenario: a Norwegian site (Europe/Oslo, k = 3), queried at
// 2026-03-10 12:00 UTC. Every answer below is worked out by hand from
// these visits. uniq is exact here: it keeps every hash up to 65536
// distinct values per state, and these 16 visitor ids have no 32-bit hash
// collision, so the tolerance is zero.
var (
	scenarioNow  = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	scenarioSite = func() aggregator.Site {
		s := aggregator.NewSite("example.com")
		s.Timezone = "Europe/Oslo"
		s.K = 3
		return s
	}()
)

func at(day, hour, minute int) time.Time {
	return time.Date(2026, 3, day, hour, minute, 0, 0, time.UTC)
}

func scenarioVisits() (visits []visit, cancelled visit) {
	a := visit{source: "Google", referrer: "www.google.com", country: "NO", region: "NO-03", regionName: "Oslo", city: "Oslo",
		browser: "Chrome", bver: "120", os: "Windows", osver: "11", device: "desktop"}
	// A: six visitors from Oslo, on 9 March at 11 Oslo time: / then /jobs;
	// A2 also signs up (a custom event).
	for i := range 6 {
		v := a
		v.visitor, v.session, v.start, v.pages = 1001+uint64(i), 1+uint64(i), at(9, 10, 2*i), []string{"/", "/jobs"}
		if i == 1 {
			v.custom = 1
		}
		visits = append(visits, v)
	}
	// E: A1 comes back at 16 Oslo time, directly, to /contact.
	e := a
	e.visitor, e.session, e.start, e.pages, e.source, e.referrer = 1001, 7, at(9, 15, 0), []string{"/contact"}, "Direct / None", ""
	visits = append(visits, e)
	// B: four visitors from Stockholm on 8 March, one page each.
	for i := range 4 {
		visits = append(visits, visit{visitor: 2001 + uint64(i), session: 11 + uint64(i), start: at(8, 12, i), pages: []string{"/jobs/1"},
			source: "Direct / None", country: "SE", region: "SE-AB", regionName: "Stockholm", city: "Stockholm",
			browser: "Firefox", bver: "121", os: "macOS", osver: "14", device: "desktop"})
	}
	// C: three visitors from Bergen, from a Facebook campaign, at 23:30
	// UTC on 8 March: 00:30 on 9 March in Oslo.
	for i := range 3 {
		visits = append(visits, visit{visitor: 3001 + uint64(i), session: 21 + uint64(i), start: at(8, 23, 30+i), pages: []string{"/", "/jobs", "/jobs/1"},
			source: "Facebook", referrer: "m.facebook.com", utmSource: "fb", utmMedium: "social", utmCampaign: "spring",
			country: "NO", region: "NO-46", regionName: "Vestland", city: "Bergen",
			browser: "Safari", bver: "17", os: "iOS", osver: "17", device: "mobile"})
	}
	// D: one visitor from Copenhagen on 7 March: the small group.
	visits = append(visits, visit{visitor: 4001, session: 31, start: at(7, 9, 0), pages: []string{"/about"},
		source: "Google", referrer: "www.google.com", country: "DK", region: "DK-84", regionName: "Capital Region", city: "Copenhagen",
		browser: "Chrome", bver: "120", os: "Android", osver: "14", device: "mobile"})
	// F: two visitors from Oslo on 9 March at 09 Oslo time, one blog post each.
	for i, p := range []string{"/blog/a", "/blog/b"} {
		v := a
		v.visitor, v.session, v.start, v.pages, v.source, v.referrer = 5001+uint64(i), 41+uint64(i), at(9, 8, i), []string{p}, "Direct / None", ""
		visits = append(visits, v)
	}
	return visits, visits[11] // C1, whose visit grew from one page view to three
}

// loadScenario writes the visits, with C1's visit first written at one
// page view and then cancelled and replaced, and one of its events
// written, cancelled and written again: sign-weighting must hide both.
func loadScenario(t testing.TB, e *env) {
	visits, c1 := scenarioVisits()
	site := scenarioSite.Domain
	insert(t, e.write, "sessions", sessionColumns, [][]any{sessionRow(site, c1, 1, 1)})
	insert(t, e.write, "sessions", sessionColumns, [][]any{sessionRow(site, c1, -1, 1)})
	dup := eventRow(site, c1, 999, 1, c1.start.Add(time.Minute), "pageview", "/jobs")
	undo := eventRow(site, c1, 999, -1, c1.start.Add(time.Minute), "pageview", "/jobs")
	insert(t, e.write, "session_events", eventColumns, [][]any{dup})
	insert(t, e.write, "session_events", eventColumns, [][]any{undo})
	load(t, e.write, site, visits)
	// Another site's traffic must never show.
	other := visits[0]
	load(t, e.write, "other.example", []visit{other})
}

type scenarioCase struct {
	name       string
	query      string
	results    string // the results, as JSON
	suppressed int
	withheld   bool
	table      string // the aggregate table that should answer, when it matters
	check      func(t *testing.T, r stats.Result)
}

func TestScenario(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		loadScenario(t, e)
		for _, c := range scenarioCases() {
			t.Run(c.name, func(t *testing.T) {
				q, err := stats.ParseQuery([]byte(c.query))
				if err != nil {
					t.Fatalf("ParseQuery: %v", err)
				}
				res, err := e.eng.Run(ctx(t), scenarioSite, q, scenarioNow)
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				b, _ := json.Marshal(res.Results)
				if got, want := compactJSON(t, string(b)), compactJSON(t, c.results); got != want {
					t.Errorf("results:\n got %s\nwant %s", got, want)
				}
				if res.Meta.SuppressedRows != c.suppressed {
					t.Errorf("suppressed_rows: got %d, want %d", res.Meta.SuppressedRows, c.suppressed)
				}
				if (res.Meta.Withheld != "") != c.withheld {
					t.Errorf("withheld: got %q, want withheld = %v", res.Meta.Withheld, c.withheld)
				}
				if c.table != "" && res.Meta.Table != c.table {
					t.Errorf("table: got %s, want %s", res.Meta.Table, c.table)
				}
				if c.check != nil {
					c.check(t, res)
				}
			})
		}
		t.Run("overview", func(t *testing.T) { testOverview(t, e) })
		t.Run("realtime", func(t *testing.T) { testRealtime(t, e) })
		t.Run("consent", func(t *testing.T) { testConsent(t, e) })
		t.Run("only aggregate tables", func(t *testing.T) { testOnlyAggregateTables(t, e) })
	})
}

func compactJSON(t *testing.T, s string) string {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad expected JSON %s: %v", s, err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

var fromRE = regexp.MustCompile(`(?i)\b(?:FROM|JOIN)\s+([A-Za-z_][A-Za-z0-9_.` + "`" + `]*)`)

// testOnlyAggregateTables checks every statement the engine ran: each
// table it names is an aggregate table, unqualified (so it is read from
// the aggregates database the store is confined to).
func testOnlyAggregateTables(t *testing.T, e *env) {
	stmts := e.rec.statements()
	if len(stmts) < 20 {
		t.Fatalf("only %d statements recorded", len(stmts))
	}
	allowed := stats.AggregateTables()
	for _, s := range stmts {
		for _, m := range fromRE.FindAllStringSubmatch(s, -1) {
			if !slices.Contains(allowed, m[1]) {
				t.Errorf("statement names %q, not an aggregate table:\n%s", m[1], s)
			}
		}
	}
	// And the raw tables are out of reach of the read side's store.
	for _, raw := range []string{"events", "sessions", "session_events", "consent_records"} {
		if _, err := e.read.Query(ctx(t), "SELECT count() FROM "+raw); err == nil {
			t.Errorf("the read side's store can read %s", raw)
		}
		if e.mainDB == "" {
			continue
		}
		if _, err := e.read.Query(ctx(t), "SELECT count() FROM `"+e.mainDB+"`."+raw); err == nil {
			t.Errorf("the read-only user can read %s.%s", e.mainDB, raw)
		}
	}
}

func hasError(err error, msg string) bool {
	var qe *stats.QueryError
	return errors.As(err, &qe) && strings.Contains(qe.Msg, msg)
}
