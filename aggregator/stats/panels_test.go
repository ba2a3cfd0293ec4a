package stats_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/varde/varde/aggregator/stats"
)

// testOverview runs the dashboard's overview over the scenario's week.
func testOverview(t *testing.T, e *env) {
	ov, err := e.eng.Overview(ctx(t), scenarioSite, stats.DateRange{Period: "7d"}, nil, scenarioNow)
	if err != nil || ov.Errors != nil {
		t.Fatalf("Overview: %v, %v", err, ov.Errors)
	}
	for _, c := range []struct {
		name string
		r    stats.Result
		want string
	}{
		{"totals", ov.Totals, `[{"metrics":[16,17,29,1.71,47,42],"dimensions":[],"comparison":{"dimensions":[],"metrics":[null,null,null,null,null,null],"change":[null,null,null,null,null,null]}}]`},
		{"pages", ov.Pages, `[{"metrics":[9,9],"dimensions":["/"]},{"metrics":[9,9],"dimensions":["/jobs"]},{"metrics":[7,7],"dimensions":["/jobs/1"]},{"metrics":[4,4],"dimensions":["(other)"]}]`},
		{"sources", ov.Sources, `[{"metrics":[7],"dimensions":["Direct / None"]},{"metrics":[7],"dimensions":["Google"]},{"metrics":[3],"dimensions":["Facebook"]}]`},
		{"countries", ov.Countries, `[{"metrics":[11],"dimensions":["NO","Norway"]},{"metrics":[4],"dimensions":["SE","Sweden"]}]`},
		{"browsers", ov.Browsers, `[{"metrics":[9],"dimensions":["Chrome"]},{"metrics":[4],"dimensions":["Firefox"]},{"metrics":[3],"dimensions":["Safari"]}]`},
		{"os", ov.OS, `[{"metrics":[8],"dimensions":["Windows"]},{"metrics":[4],"dimensions":["macOS"]},{"metrics":[3],"dimensions":["iOS"]}]`},
		{"devices", ov.Devices, `[{"metrics":[12],"dimensions":["desktop"]},{"metrics":[4],"dimensions":["mobile"]}]`},
	} {
		b, _ := json.Marshal(c.r.Results)
		if got, want := compactJSON(t, string(b)), compactJSON(t, c.want); got != want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, want)
		}
	}
	if got := len(ov.Series.Results); got != 7 {
		t.Errorf("series: got %d buckets, want 7 (every day of the week, zeros filled)", got)
	}
	// The week before had no visitors: its comparison is withheld.
	if ov.Totals.Meta.ComparisonWithheld == "" {
		t.Error("totals: comparison_withheld is empty, want a reason")
	}

	// A filter on the exit page cannot split pages: that panel says so,
	// the others answer.
	ov, err = e.eng.Overview(ctx(t), scenarioSite, stats.DateRange{Period: "7d"},
		[]stats.Filter{{Op: stats.OpIs, Dimension: "visit:exit_page", Values: []string{"/jobs/1"}}}, scenarioNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(ov.Errors) != 1 || ov.Errors["pages"] == nil {
		t.Errorf("errors: got %v, want one, for pages", ov.Errors)
	}
	b, _ := json.Marshal(ov.Sources.Results)
	if got, want := string(b), `[{"metrics":[4],"dimensions":["Direct / None"]},{"metrics":[3],"dimensions":["Facebook"]}]`; got != want {
		t.Errorf("sources exiting at /jobs/1:\n got %s\nwant %s", got, want)
	}
}

// testRealtime counts raw events of the last five minutes.
func testRealtime(t *testing.T, e *env) {
	cols := []string{"site", "time", "visitor_id", "name", "path"}
	var rows [][]any
	for i := range 4 {
		rows = append(rows, []any{"example.com", scenarioNow.Add(-time.Duration(i) * time.Minute), uint64(9000 + i), "pageview", "/"})
	}
	rows = append(rows,
		[]any{"example.com", scenarioNow.Add(-10 * time.Minute), uint64(9100), "pageview", "/"},  // too old
		[]any{"example.com", scenarioNow.Add(-30 * time.Second), uint64(9000), "pageview", "/x"}, // seen already
		[]any{"small.example", scenarioNow, uint64(1), "pageview", "/"},
	)
	insert(t, e.write, "events", cols, rows)
	got, err := e.eng.Realtime(ctx(t), scenarioSite, scenarioNow.Add(20*time.Second))
	if err != nil || got.Visitors != 4 || got.Suppressed {
		t.Errorf("realtime: got %+v, %v, want 4 visitors", got, err)
	}
	small := scenarioSite
	small.Domain = "small.example"
	got, err = e.eng.Realtime(ctx(t), small, scenarioNow)
	if err != nil || got.Visitors != 0 || !got.Suppressed {
		t.Errorf("realtime of a site with one visitor: got %+v, %v, want suppressed", got, err)
	}
}

// testConsent counts consent decisions per action and GPC.
func testConsent(t *testing.T, e *env) {
	cols := []string{"consent_id", "version", "site", "time", "action", "gpc"}
	var rows [][]any
	add := func(n int, at time.Time, action string, gpc int) {
		for range n {
			rows = append(rows, []any{"c" + string(rune('a'+len(rows))), 1, "example.com", at, action, gpc})
		}
	}
	add(3, at(9, 10, 0), "accept-all", 0)
	add(1, at(9, 10, 5), "accept-all", 1)
	add(3, at(8, 12, 0), "reject-all", 0)
	insert(t, e.write, "consent_records", cols, rows)
	got, err := e.eng.Consent(ctx(t), scenarioSite, stats.DateRange{Period: "7d"}, stats.DimTimeDay, scenarioNow)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	want := `{"totals":[{"action":"accept-all","gpc":false,"records":3},{"action":"reject-all","gpc":false,"records":3}],` +
		`"series":[{"time":"2026-03-08","action":"reject-all","gpc":false,"records":3},{"time":"2026-03-09","action":"accept-all","gpc":false,"records":3}],` +
		`"time_labels":["2026-03-03","2026-03-04","2026-03-05","2026-03-06","2026-03-07","2026-03-08","2026-03-09"],"suppressed_rows":2,"k":3}`
	if string(b) != want {
		t.Errorf("consent:\n got %s\nwant %s", b, want)
	}
}
