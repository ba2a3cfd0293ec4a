package node

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/internal/testenv"
)

// person is a visitor: an address and a browser. Their visitor id changes
// every UTC day (daily salts), as it must.
type person struct{ ip, ua string }

var (
	kari   = person{"81.0.0.7", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"}
	ola    = person{"82.0.0.9", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"}
	sven   = person{"83.0.0.5", "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"}
	ingrid = person{"81.0.0.8", "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36"}
	per    = person{"82.0.0.10", "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1"}
)

// hit is one beacon of the scenario.
type hit struct {
	at       string // UTC, 2006-01-02 15:04:05
	who      person
	name     string // "pageview" when empty
	url      string // path, with a query when wanted
	referrer string
}

// scenario is three days of a staffing site's traffic whose every figure is
// known (worked out in the comments; Oslo is UTC+1 in November):
//
//	v1  kari   Nov 20 10:00–10:05:30  / → /jobs → /jobs/1   Google   330 s
//	v2  ola    Nov 20 11:00           /jobs                 Facebook bounce
//	v3  kari   Nov 20 15:00–15:01     / → /apply            direct    60 s
//	v4  sven   Nov 20 23:30–23:40     /jobs → /jobs/2       Bing     600 s  (Nov 21 in Oslo)
//	v5  ingrid Nov 21 08:00           /                     LinkedIn bounce
//	v6  per    Nov 21 09:00–09:10     /jobs/1 (+Apply) → /jobs finn.no 600 s
//	v7  per    Nov 21 09:45           /                     direct   bounce (35 min after v6)
//	v10 sven   Nov 21 23:50–Nov 22 00:10  / → /jobs          direct  1200 s  (one visit across midnight)
//	v8  ola    Nov 22 12:00–12:20     /?utm_source=newsletter → /kontakt newsletter 1200 s
//	v9  kari   Nov 22 12:30           /jobs                 Google   bounce
var scenario = []hit{
	{"2026-11-20 10:00:00", kari, "", "/", "https://www.google.no/"},
	{"2026-11-20 10:02:00", kari, "", "/jobs", "https://e2e.example.no/"},
	{"2026-11-20 10:05:30", kari, "", "/jobs/1", "https://e2e.example.no/jobs"},
	{"2026-11-20 11:00:00", ola, "", "/jobs", "https://www.facebook.com/"},
	{"2026-11-20 15:00:00", kari, "", "/", ""},
	{"2026-11-20 15:01:00", kari, "", "/apply", "https://e2e.example.no/"},
	{"2026-11-20 23:30:00", sven, "", "/jobs", "https://www.bing.com/"},
	{"2026-11-20 23:40:00", sven, "", "/jobs/2", "https://e2e.example.no/jobs"},
	{"2026-11-21 08:00:00", ingrid, "", "/", "https://www.linkedin.com/"},
	{"2026-11-21 09:00:00", per, "", "/jobs/1", "https://www.finn.no/jobb"},
	{"2026-11-21 09:05:00", per, "Apply", "/jobs/1", ""},
	{"2026-11-21 09:10:00", per, "", "/jobs", "https://e2e.example.no/jobs/1"},
	{"2026-11-21 09:45:00", per, "", "/", ""},
	{"2026-11-21 23:50:00", sven, "", "/", ""},
	{"2026-11-22 00:10:00", sven, "", "/jobs", "https://e2e.example.no/"},
	{"2026-11-22 12:00:00", ola, "", "/?utm_source=newsletter&utm_medium=email", ""},
	{"2026-11-22 12:20:00", ola, "", "/kontakt", "https://e2e.example.no/"},
	{"2026-11-22 12:30:00", kari, "", "/jobs", "https://www.google.no/"},
}

const e2eSite = "e2e.example.no"

// play sends the scenario through the collector: each person gives consent
// once a day (as a returning visitor would keep it; here a new consent per
// day keeps the test simple), the clock set to each hit's time.
func play(t *testing.T, r *running, clk *clock, hits []hit) int {
	t.Helper()
	tokens := map[person]string{}
	day := ""
	for _, h := range hits {
		at, err := time.Parse(time.DateTime, h.at)
		if err != nil {
			t.Fatal(err)
		}
		clk.Set(at)
		if d := at.Format(time.DateOnly); d != day {
			// A node maintains salts every minute; a test that jumps a day
			// does it at once.
			if err := r.n.Salts.Maintain(t.Context(), at); err != nil {
				t.Fatal(err)
			}
			day = d
		}
		tok, ok := tokens[h.who]
		if !ok {
			code, body := r.do("POST", "/api/consent", h.who.ip, h.who.ua, map[string]any{
				"site": e2eSite, "categories": map[string]bool{"statistics": true}, "revision": 1, "url": "https://" + e2eSite + "/"}, nil)
			var a struct{ Token string }
			json.Unmarshal(body, &a)
			if code != 201 {
				t.Fatalf("consent: %d %s", code, body)
			}
			tok, tokens[h.who] = a.Token, a.Token
		}
		name := h.name
		if name == "" {
			name = "pageview"
		}
		code, body := r.do("POST", "/api/event", h.who.ip, h.who.ua, map[string]any{
			"site": e2eSite, "name": name, "url": "https://" + e2eSite + h.url, "referrer": h.referrer, "width": 1280, "token": tok}, nil)
		if code != 202 {
			t.Fatalf("beacon at %s: %d %s", h.at, code, body)
		}
	}
	return len(hits)
}

// query asks the stats API, as an API client does.
func query(t *testing.T, r *running, key string, q string) (int, map[string]any) {
	t.Helper()
	code, body := r.do("POST", "/api/v2/query", "127.0.0.1", "api-client/1", json.RawMessage(q),
		map[string]string{"Authorization": "Bearer " + key, "Content-Type": "application/json"})
	var out map[string]any
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("query %s: %d %s", q, code, body)
	}
	return code, out
}

// rows renders a result as "dim,dim=metric,metric" lines for comparison.
func rows(res map[string]any) string {
	var lines []string
	results, _ := res["results"].([]any)
	for _, r := range results {
		m := r.(map[string]any)
		var dims, mets []string
		for _, d := range m["dimensions"].([]any) {
			dims = append(dims, fmt.Sprint(d))
		}
		for _, v := range m["metrics"].([]any) {
			mets = append(mets, fmt.Sprint(v))
		}
		lines = append(lines, strings.Join(dims, ",")+"="+strings.Join(mets, ","))
	}
	return strings.Join(lines, "; ")
}

// TestScenario drives known traffic through the real endpoints, lets the
// sessionizer fold it into visits, and checks the stats API's answers to
// the exact figures worked out above. uniq states are exact at this size
// (under 65,536 distinct ids per state), so every figure is exact.
func TestScenario(t *testing.T) {
	geodb := testenv.GeoDB(t, testPlaces)
	eachBackend(t, func(t *testing.T, s stores) {
		site := aggregator.NewSite(e2eSite)
		site.Timezone = "Europe/Oslo"
		site.K = 1
		key := addSite(t, s.write, site)
		clk := &clock{t: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}
		r := startNode(t, s, clk, geodb)
		n := play(t, r, clk, scenario)
		waitStored(t, s.write, n)
		clk.Set(time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC))
		if _, err := r.n.Sessionizer.RunOnce(t.Context()); err != nil {
			t.Fatal(err)
		}

		rng := `"date_range": ["2026-11-20", "2026-11-22"]`
		cases := []struct{ name, q, want string }{
			{"totals", `{"site_id": "` + e2eSite + `", "metrics": ["visitors", "visits", "pageviews", "views_per_visit", "bounce_rate", "visit_duration", "events"], ` + rng + `}`,
				"=8,10,17,1.7,40,399,18"},
			{"visits per Oslo day", `{"site_id": "` + e2eSite + `", "metrics": ["visits", "pageviews"], "dimensions": ["time:day"], ` + rng + `}`,
				"2026-11-20=3,6; 2026-11-21=4,6; 2026-11-22=3,5"},
			{"sources", `{"site_id": "` + e2eSite + `", "metrics": ["visits", "visitors", "bounce_rate"], "dimensions": ["visit:source"], "order_by": [["visits", "desc"], ["visit:source", "asc"]], ` + rng + `}`,
				"Direct / None=3,3,33; Google=2,2,50; Bing=1,1,0; Facebook=1,1,100; LinkedIn=1,1,100; Newsletter=1,1,0; finn.no=1,1,0"},
			{"countries", `{"site_id": "` + e2eSite + `", "metrics": ["visitors", "visits"], "dimensions": ["visit:country"], "order_by": [["visitors", "desc"]], ` + rng + `}`,
				"NO=6,8; SE=2,2"},
			{"cities in Norway", `{"site_id": "` + e2eSite + `", "metrics": ["visits"], "dimensions": ["visit:city"], "filters": [["is", "visit:country", ["NO"]]], "order_by": [["visit:city", "asc"]], ` + rng + `}`,
				"Bergen=4; Oslo=4"},
			{"pages", `{"site_id": "` + e2eSite + `", "metrics": ["pageviews"], "dimensions": ["event:page"], "order_by": [["pageviews", "desc"], ["event:page", "asc"]], ` + rng + `}`,
				"/=6; /jobs=6; /jobs/1=2; /apply=1; /jobs/2=1; /kontakt=1"},
			{"entry pages", `{"site_id": "` + e2eSite + `", "metrics": ["visits", "bounce_rate"], "dimensions": ["visit:entry_page"], "order_by": [["visits", "desc"], ["visit:entry_page", "asc"]], ` + rng + `}`,
				"/=6,33; /jobs=3,67; /jobs/1=1,0"},
			{"exit pages", `{"site_id": "` + e2eSite + `", "metrics": ["visits"], "dimensions": ["visit:exit_page"], "order_by": [["visits", "desc"], ["visit:exit_page", "asc"]], ` + rng + `}`,
				"/jobs=4; /=2; /apply=1; /jobs/1=1; /jobs/2=1; /kontakt=1"},
			{"devices", `{"site_id": "` + e2eSite + `", "metrics": ["visits"], "dimensions": ["visit:device"], "order_by": [["visits", "desc"]], ` + rng + `}`,
				"desktop=5; mobile=3; tablet=2"},
			{"the visit across midnight is one", `{"site_id": "` + e2eSite + `", "metrics": ["visits", "visit_duration"], "filters": [["is", "visit:country", ["SE"]]], ` + rng + `}`,
				"=2,900"},
			{"pages from Google", `{"site_id": "` + e2eSite + `", "metrics": ["pageviews"], "dimensions": ["event:page"], "filters": [["is", "visit:source", ["Google"]]], "order_by": [["event:page", "asc"]], ` + rng + `}`,
				"/=1; /jobs=2; /jobs/1=1"},
		}
		for _, c := range cases {
			code, res := query(t, r, key, c.q)
			if code != 200 {
				t.Errorf("%s: status %d: %v", c.name, code, res)
				continue
			}
			if got := rows(res); got != c.want {
				t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
			}
		}

		// With k = 3, a breakdown row of fewer visitors never comes back,
		// nor does a filter that isolates them.
		site.K = 3
		if err := (aggregator.Sites{Store: s.write}).Put(t.Context(), site); err != nil {
			t.Fatal(err)
		}
		if err := r.n.Sites.Reload(t.Context()); err != nil {
			t.Fatal(err)
		}
		_, res := query(t, r, key, `{"site_id": "`+e2eSite+`", "metrics": ["visitors"], "dimensions": ["visit:country"], `+rng+`}`)
		if got := rows(res); got != "NO=6" {
			t.Errorf("countries with k=3: got %s, want NO=6 alone", got)
		}
		_, res = query(t, r, key, `{"site_id": "`+e2eSite+`", "metrics": ["visitors"], "filters": [["is", "visit:country", ["SE"]]], `+rng+`}`)
		if got := rows(res); strings.Contains(got, "=2") {
			t.Errorf("a filter isolating 2 visitors with k=3: got %s", got)
		}
		_, res = query(t, r, key, `{"site_id": "`+e2eSite+`", "metrics": ["visitors"], "filters": [["is_not", "visit:country", ["SE"]]], `+rng+`}`)
		if got := rows(res); got == "=6" {
			t.Errorf("the complement of 2 visitors with k=3 is answered (%s): total minus it reveals them", got)
		}
	})
}
