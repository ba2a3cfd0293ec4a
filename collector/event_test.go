package collector

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/varde/varde/aggregator/store"
	"github.com/varde/varde/consent"
	"github.com/varde/varde/internal/testenv"
)

// TestEventStatuses sends every kind of beacon DESIGN.md names, over real
// HTTP, and checks the answer and that only 202 beacons are stored.
func TestEventStatuses(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, s store.Store) {
		h := newHarness(t, harnessOptions{store: s})
		_, ok := h.decide(osloIP, acceptAll("example.no"))
		_, rejected := h.decide(osloIP, map[string]any{"site": "example.no", "categories": map[string]bool{}, "revision": 1, "url": "https://example.no/"})
		_, other := h.decide(osloIP, acceptAll("other.no"))
		_, withdrawn := h.decide(bergenIP, acceptAll("example.no"))
		if code, _, _ := h.request("DELETE", "/api/consent/"+withdrawn.ConsentID, "", nil, map[string]string{"Authorization": "Bearer " + withdrawn.Token}); code != 204 {
			t.Fatalf("withdraw: %d", code)
		}
		// A token from another key, as a forger would make.
		forgedRing, _ := consent.NewKeyring(consent.GenerateKey())
		forged, _ := forgedRing.Sign(consent.Claims{ConsentID: ok.ConsentID, Site: "example.no", Categories: []string{"necessary", "statistics"}, Revision: 1, Version: 1, IssuedAt: h.clock.Now(), ExpiresAt: h.clock.Now().Add(time.Hour)})
		expired, _ := h.keys.Sign(consent.Claims{ConsentID: ok.ConsentID, Site: "example.no", Categories: []string{"necessary", "statistics"}, Revision: 1, Version: 1, IssuedAt: h.clock.Now().Add(-2 * time.Hour), ExpiresAt: h.clock.Now().Add(-time.Hour)})

		beacon := func(mod func(map[string]any)) map[string]any {
			b := map[string]any{"site": "example.no", "name": "pageview", "url": "https://example.no/jobs/1?utm_source=nyhetsbrev&id=7", "referrer": "https://www.google.no/", "width": 1280, "token": ok.Token}
			if mod != nil {
				mod(b)
			}
			return b
		}
		cases := []struct {
			name    string
			body    any
			header  map[string]string
			status  int
			says    string
			counted bool
		}{
			{"consented", beacon(nil), nil, 202, "", true},
			{"token in Authorization", beacon(func(b map[string]any) { delete(b, "token") }), map[string]string{"Authorization": "Bearer " + ok.Token}, 202, "", true},
			{"custom event with props", beacon(func(b map[string]any) { b["name"] = "Apply"; b["props"] = map[string]any{"job": "1041", "fast": true} }), nil, 202, "", true},
			{"no token", beacon(func(b map[string]any) { delete(b, "token") }), nil, 403, "no consent token", false},
			{"forged token", beacon(func(b map[string]any) { b["token"] = forged }), nil, 403, "signature", false},
			{"expired token", beacon(func(b map[string]any) { b["token"] = expired }), nil, 403, "expired", false},
			{"token of another site", beacon(func(b map[string]any) { b["token"] = other.Token }), nil, 403, "another site", false},
			{"withdrawn consent", beacon(func(b map[string]any) { b["token"] = withdrawn.Token }), nil, 403, "withdrawn", false},
			{"statistics refused", beacon(func(b map[string]any) { b["token"] = rejected.Token }), nil, 403, "does not grant", false},
			{"bad JSON", `{"site": "example.no", "name": `, nil, 400, "JSON", false},
			{"no url", beacon(func(b map[string]any) { delete(b, "url") }), nil, 400, "url", false},
			{"not a web url", beacon(func(b map[string]any) { b["url"] = "javascript:alert(1)" }), nil, 400, "url", false},
			{"props not flat", beacon(func(b map[string]any) { b["props"] = map[string]any{"a": map[string]any{"b": 1}} }), nil, 400, "prop", false},
			{"too large", beacon(func(b map[string]any) { b["referrer"] = "https://x.no/" + strings.Repeat("a", 5000) }), nil, 413, "4 KB", false},
			{"unknown site", beacon(func(b map[string]any) { b["site"] = "nosuch.no" }), nil, 404, "unknown site", false},
			{"bot", beacon(nil), map[string]string{"User-Agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"}, 204, "", false},
			{"headless", beacon(nil), map[string]string{"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36"}, 204, "", false},
			{"curl", beacon(nil), map[string]string{"User-Agent": "curl/8.5.0"}, 204, "", false},
		}
		counted := 0
		for _, c := range cases {
			code, _, body := h.request("POST", "/api/event", swedenIP, c.body, c.header)
			var answer struct{ Error string }
			json.Unmarshal(body, &answer)
			if code != c.status || !strings.Contains(answer.Error, c.says) {
				t.Errorf("%s: got %d %q, want %d saying %q", c.name, code, answer.Error, c.status, c.says)
			}
			if c.counted {
				counted++
			}
		}
		h.flush()
		if got := h.count("SELECT count() FROM events"); got != counted {
			t.Errorf("stored events: got %d, want %d (only the 202s)", got, counted)
		}
		var (
			path, query, source, country, city, browser, device string
			width                                               int
			keys                                                []string
		)
		// Days later, with no salt loaded for the day: the beacon is not
		// at fault, and is asked again rather than refused.
		h.clock.Set(h.clock.Now().Add(72 * time.Hour))
		code, header, body := h.request("POST", "/api/event", swedenIP, beacon(nil), nil)
		if code != 503 || header.Get("Retry-After") == "" || !strings.Contains(string(body), "starting") {
			t.Errorf("no salt for the day: got %d, Retry-After %q, %s; want 503 with Retry-After", code, header.Get("Retry-After"), body)
		}
		h.flush()
		if got := h.count("SELECT count() FROM events"); got != counted {
			t.Errorf("stored events after the 503: got %d, want %d", got, counted)
		}
		rows, err := s.Query(t.Context(), "SELECT path, query, source, country, city, browser, device, screen_width, props_keys FROM events WHERE name = 'Apply'")
		if err != nil || !rows.Next() {
			t.Fatalf("stored custom event: %v", err)
		}
		rows.Scan(&path, &query, &source, &country, &city, &browser, &device, &width, &keys)
		if path != "/jobs/1" || query != "" || source != "nyhetsbrev" || country != "SE" || city != "Stockholm" || browser != "Chrome" || device != "desktop" || width != 1280 || strings.Join(keys, ",") != "fast,job" {
			t.Errorf("stored event: path %q query %q source %q country %q city %q browser %q device %q width %d props %v",
				path, query, source, country, city, browser, device, width, keys)
		}
	})
}

func TestRateLimit(t *testing.T) {
	h := newHarness(t, harnessOptions{store: testenv.EmbeddedStore(t), rate: 1, burst: 3})
	var codes []int
	for range 5 {
		code, hdr, _ := h.request("POST", "/api/event", osloIP, `{}`, nil)
		codes = append(codes, code)
		if code == http.StatusTooManyRequests && hdr.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	if codes[0] != 400 || codes[3] != 429 || codes[4] != 429 {
		t.Errorf("statuses from one address: got %v, want 3 answered then 429", codes)
	}
	if code, _, _ := h.request("POST", "/api/event", bergenIP, `{}`, nil); code != 400 {
		t.Errorf("another address: got %d, want it answered", code)
	}
}

// TestSpoolFull: when the spool holds its limit, beacons get 503 with
// Retry-After, nothing accepted is lost, and once the store has caught up
// beacons are taken again.
func TestSpoolFull(t *testing.T) {
	h := newHarness(t, harnessOptions{store: testenv.EmbeddedStore(t), spoolBytes: 4 << 10, noWriterRun: true})
	_, ok := h.decide(osloIP, acceptAll("example.no"))
	accepted, full := 0, 0
	for i := range 100 {
		code, hdr, _ := h.request("POST", "/api/event", osloIP, map[string]any{
			"site": "example.no", "name": "pageview", "url": "https://example.no/p/" + strings.Repeat("x", i), "token": ok.Token}, nil)
		switch code {
		case 202:
			accepted++
		case 503:
			full++
			if hdr.Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
		default:
			t.Fatalf("beacon %d: got %d", i, code)
		}
	}
	if accepted == 0 || full == 0 {
		t.Fatalf("accepted %d, refused %d: want both", accepted, full)
	}
	h.flush()
	if got := h.count("SELECT count() FROM events"); got != accepted {
		t.Errorf("stored %d events, want the %d accepted", got, accepted)
	}
}
