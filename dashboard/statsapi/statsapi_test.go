package statsapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/stats"
	"github.com/varde/varde/aggregator/store"
	"github.com/varde/varde/dashboard/auth"
	"github.com/varde/varde/dashboard/statsapi"
	"github.com/varde/varde/internal/httpapi"
	"github.com/varde/varde/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var (
	quiet = slog.New(slog.NewTextHandler(io.Discard, nil))
	now   = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// backends: the store's own database, and its aggregates database.
func backends(t *testing.T, f func(t *testing.T, main, agg store.Store)) {
	t.Run("embedded", func(t *testing.T) {
		lib := testenv.ChdbLib(t)
		main := testenv.EmbeddedStore(t)
		name := migrate(t, main)
		agg, err := store.Open(ctx(t), store.Options{URL: "chdb://" + testenv.EmbeddedDataDir(), LibPath: lib, Database: name})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { agg.Close() })
		f(t, main, agg)
	})
	t.Run("server", func(t *testing.T) {
		main := testenv.ServerStore(t)
		name := migrate(t, main)
		agg, err := store.Open(ctx(t), store.Options{URL: testenv.SharedServer(t).URL(name)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { agg.Close() })
		f(t, main, agg)
	})
}

func migrate(t *testing.T, s store.Store) string {
	if _, err := aggregator.Migrate(ctx(t), s, quiet); err != nil {
		t.Fatal(err)
	}
	name, err := aggregator.AggregateDatabase(ctx(t), s)
	if err != nil {
		t.Fatal(err)
	}
	return name
}

// TestQuery checks every status the endpoint answers, over real HTTP.
func TestQuery(t *testing.T) {
	backends(t, func(t *testing.T, main, agg store.Store) {
		sites := aggregator.Sites{Store: main}
		keys := aggregator.APIKeys{Store: main}
		for _, d := range []string{"example.com", "other.example"} {
			if err := sites.Put(ctx(t), aggregator.NewSite(d)); err != nil {
				t.Fatal(err)
			}
		}
		newKey := func(site string, revoked bool) string {
			id, key, hash := auth.NewAPIKey()
			if err := keys.Put(ctx(t), aggregator.APIKey{ID: id, Site: site, SecretHash: hash, Revoked: revoked}); err != nil {
				t.Fatal(err)
			}
			return key
		}
		good, other, revoked, gone := newKey("example.com", false), newKey("other.example", false), newKey("example.com", true), newKey("gone.example", false)
		limited := newKey("example.com", false)
		// Six visitors from Norway on 9 March.
		var rows [][]any
		for i := range 6 {
			start := time.Date(2026, 3, 9, 10, i, 0, 0, time.UTC)
			rows = append(rows, []any{"example.com", uint64(100 + i), uint64(i), 1, start, start, 0, 1, 1, 1, "/", "/", "NO"})
		}
		if err := main.Insert(ctx(t), "sessions", []string{"site", "visitor_id", "session_id", "sign", "start", "end", "duration", "pageviews", "events", "bounce", "entry_page", "exit_page", "country"}, rows); err != nil {
			t.Fatal(err)
		}

		clock := now
		app := httpapi.NewApp(quiet)
		opts := statsapi.Options{Engine: stats.New(agg), Sites: sites, Keys: keys, RatePerHour: 3600, Burst: 30,
			Now: func() time.Time { return clock }, Log: quiet}
		statsapi.New(opts).Register(app)
		// A second handler with a tight limit, and one that takes sessions.
		tight := opts
		tight.RatePerHour, tight.Burst = 60, 2
		app2 := httpapi.NewApp(quiet)
		statsapi.New(tight).Register(app2)
		withSessions := opts
		withSessions.SessionSite = func(c *fiber.Ctx, site string) (bool, bool) {
			switch c.Get("Cookie") {
			case "session=admin":
				return true, true
			case "session=viewer-of-other":
				return site == "other.example", true
			}
			return false, false
		}
		app3 := httpapi.NewApp(quiet)
		statsapi.New(withSessions).Register(app3)

		const ok = `{"site_id": "example.com", "metrics": ["visitors", "visits"], "date_range": "7d", "dimensions": ["visit:country"]}`
		for _, c := range []struct {
			name   string
			app    *fiber.App
			auth   string
			cookie string
			body   string
			status int
			want   string // a part of the body
		}{
			{"a good key", app, "Bearer " + good, "", ok, 200, `"results":[{"metrics":[6,6],"dimensions":["NO"]}]`},
			{"a bad query", app, "Bearer " + good, "", `{"site_id": "example.com", "metrics": ["visitorz"], "date_range": "7d"}`, 400, `{"error":"Unknown metric ` + "`visitorz`"},
			{"not JSON", app, "Bearer " + good, "", `{`, 400, `"error":"The query is not valid JSON`},
			{"no key", app, "", "", ok, 401, `{"error":"Missing API key: send the header Authorization: Bearer \u003ckey\u003e."}`},
			{"not a key", app, "Bearer nonsense", "", ok, 401, `"error":"The API key is not valid`},
			{"basic auth", app, "Basic " + good, "", ok, 401, `"error":"The API key is not valid`},
			{"a wrong secret", app, "Bearer " + good[:len(good)-4] + "AAAA", "", ok, 401, `{"error":"The API key is not known."}`},
			{"a revoked key", app, "Bearer " + revoked, "", ok, 401, `{"error":"This API key has been revoked; ask an admin for a new one."}`},
			{"a key of another site", app, "Bearer " + other, "", ok, 403, `{"error":"This API key is for another site, not example.com."}`},
			{"a site that is gone", app, "Bearer " + gone, "", strings.Replace(ok, "example.com", "gone.example", 1), 404, `{"error":"Site gone.example is not known here."}`},
			{"a body too large", app, "Bearer " + good, "", `{"site_id": "` + strings.Repeat("x", 70000) + `"}`, 413, `{"error":"The query is larger than 64 KB."}`},
			{"a dashboard session", app3, "", "session=admin", ok, 200, `"dimensions":["NO"]`},
			{"a session without access", app3, "", "session=viewer-of-other", ok, 403, `{"error":"Your account has no access to example.com."}`},
			{"no session", app3, "", "", ok, 401, `{"error":"Log in to the dashboard, or send the header Authorization: Bearer \u003ckey\u003e."}`},
			{"a key with a session hook", app3, "Bearer " + good, "", ok, 200, `"dimensions":["NO"]`},
			{"first of the burst", app2, "Bearer " + limited, "", ok, 200, `"results"`},
			{"second of the burst", app2, "Bearer " + limited, "", ok, 200, `"results"`},
			{"over the limit", app2, "Bearer " + limited, "", ok, 429, `{"error":"Too many requests with this API key: at most 60 an hour. Try again in 60 seconds."}`},
			{"another key is not limited", app2, "Bearer " + good, "", ok, 200, `"results"`},
		} {
			t.Run(c.name, func(t *testing.T) {
				req := httptest.NewRequest(http.MethodPost, "/api/v2/query", strings.NewReader(c.body))
				req.Header.Set("Content-Type", "application/json")
				if c.auth != "" {
					req.Header.Set("Authorization", c.auth)
				}
				if c.cookie != "" {
					req.Header.Set("Cookie", c.cookie)
				}
				resp, err := c.app.Test(req, 30000)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != c.status || !strings.Contains(string(b), c.want) {
					t.Errorf("got %d %s, want %d with %s", resp.StatusCode, b, c.status, c.want)
				}
				if c.status == 429 && resp.Header.Get("Retry-After") != "60" {
					t.Errorf("Retry-After: got %q, want 60", resp.Header.Get("Retry-After"))
				}
				if c.status != 200 {
					var e map[string]string
					if json.Unmarshal(b, &e) != nil || len(e) != 1 || e["error"] == "" {
						t.Errorf("body %s: want {\"error\": \"...\"}", b)
					}
				}
			})
		}
		// A minute later the limited key has a token again.
		clock = clock.Add(time.Minute)
		req := httptest.NewRequest(http.MethodPost, "/api/v2/query", strings.NewReader(ok))
		req.Header.Set("Authorization", "Bearer "+limited)
		resp, err := app2.Test(req, 30000)
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("a minute later: got %v, %v, want 200", resp.StatusCode, err)
		}
	})
}
