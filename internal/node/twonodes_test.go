package node

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/internal/testenv"
)

// TestTwoNodes: a visitor's requests alternate between two collector nodes
// that share the store; each node has its own spool and sessionizer (one
// holds the lease). The visits are exactly those of the traffic, and both
// nodes hash the visitor alike (the salt is shared through the store).
func TestTwoNodes(t *testing.T) {
	geodb := testenv.GeoDB(t, testPlaces)
	eachBackend(t, func(t *testing.T, s stores) {
		site := aggregator.NewSite(e2eSite)
		site.Timezone = "Europe/Oslo"
		site.K = 1
		key := addSite(t, s.write, site)
		clk := &clock{t: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}
		a := startNode(t, s, clk, geodb)
		b := startNode(t, s, clk, geodb)
		nodes := []*running{a, b}

		code, body := a.do("POST", "/api/consent", kari.ip, kari.ua, map[string]any{
			"site": e2eSite, "categories": map[string]bool{"statistics": true}, "revision": 1, "url": "https://" + e2eSite + "/"}, nil)
		var c struct{ Token string }
		json.Unmarshal(body, &c)
		if code != 201 {
			t.Fatalf("consent: %d %s", code, body)
		}
		// Two visits: 4 pageviews over 12 minutes, then 40 minutes later a
		// bounce; every beacon goes to the other node than the one before.
		hits := []struct {
			at   time.Duration
			path string
		}{{0, "/"}, {3 * time.Minute, "/jobs"}, {7 * time.Minute, "/jobs/1"}, {12 * time.Minute, "/apply"}, {52 * time.Minute, "/kontakt"}}
		start := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
		for i, h := range hits {
			clk.Set(start.Add(h.at))
			code, body := nodes[i%2].do("POST", "/api/event", kari.ip, kari.ua, map[string]any{
				"site": e2eSite, "name": "pageview", "url": "https://" + e2eSite + h.path, "token": c.Token}, nil)
			if code != 202 {
				t.Fatalf("beacon %d on node %d: %d %s", i, i%2, code, body)
			}
		}
		waitStored(t, s.write, len(hits))
		clk.Set(start.Add(2 * time.Hour))
		for _, n := range nodes {
			if _, err := n.n.Sessionizer.RunOnce(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
		rng := `"date_range": ["2026-11-20", "2026-11-20"]`
		for _, c := range []struct{ name, q, want string }{
			{"totals", `{"site_id": "` + e2eSite + `", "metrics": ["visitors", "visits", "pageviews", "bounce_rate", "visit_duration"], ` + rng + `}`, "=1,2,5,50,360"},
			{"entry pages", `{"site_id": "` + e2eSite + `", "metrics": ["visits"], "dimensions": ["visit:entry_page"], "order_by": [["visit:entry_page", "asc"]], ` + rng + `}`, "/=1; /kontakt=1"},
			{"exit pages", `{"site_id": "` + e2eSite + `", "metrics": ["visits"], "dimensions": ["visit:exit_page"], "order_by": [["visit:exit_page", "asc"]], ` + rng + `}`, "/apply=1; /kontakt=1"},
		} {
			for i, n := range nodes {
				code, res := query(t, n, key, c.q)
				if got := rows(res); code != 200 || got != c.want {
					t.Errorf("%s from node %d: got %d %s, want %s", c.name, i, code, got, c.want)
				}
			}
		}
	})
}

// TestWithdrawalReachesEveryNode: a consent withdrawn on one node stops
// working on the other within the stated bound (5 s; the nodes load
// revocations every second).
func TestWithdrawalReachesEveryNode(t *testing.T) {
	eachBackend(t, func(t *testing.T, s stores) {
		site := aggregator.NewSite(e2eSite)
		addSite(t, s.write, site)
		clk := &clock{t: time.Now()}
		a := startNode(t, s, clk, "")
		b := startNode(t, s, clk, "")
		code, body := a.do("POST", "/api/consent", kari.ip, kari.ua, map[string]any{
			"site": e2eSite, "categories": map[string]bool{"statistics": true}, "revision": 1, "url": "https://" + e2eSite + "/"}, nil)
		var c struct {
			ConsentID string `json:"consent_id"`
			Token     string
		}
		json.Unmarshal(body, &c)
		if code != 201 {
			t.Fatalf("consent: %d %s", code, body)
		}
		beacon := map[string]any{"site": e2eSite, "name": "pageview", "url": "https://" + e2eSite + "/", "token": c.Token}
		if code, body := a.do("POST", "/api/event", kari.ip, kari.ua, beacon, nil); code != 202 {
			t.Fatalf("beacon before withdrawal: %d %s", code, body)
		}
		if code, _ := b.do("DELETE", "/api/consent/"+c.ConsentID, kari.ip, kari.ua, nil, map[string]string{"Authorization": "Bearer " + c.Token}); code != 204 {
			t.Fatalf("withdraw on node b: %d", code)
		}
		withdrawn := time.Now()
		for {
			code, _ := a.do("POST", "/api/event", kari.ip, kari.ua, beacon, nil)
			if code == 403 {
				t.Logf("node a refused the withdrawn token %v after the withdrawal on node b", time.Since(withdrawn).Round(time.Millisecond))
				break
			}
			if time.Since(withdrawn) > 5*time.Second {
				t.Fatalf("node a still accepts the withdrawn token 5 s after the withdrawal (last answer %d)", code)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}
