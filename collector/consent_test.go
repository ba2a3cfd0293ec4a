package collector

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/varde/varde/aggregator/store"
	"github.com/varde/varde/internal/testenv"
)

func TestBanner(t *testing.T) {
	h := newHarness(t, harnessOptions{store: testenv.EmbeddedStore(t)})
	code, hdr, body := h.request("GET", "/api/banner/example.no?lang=en", "", nil, nil)
	var view struct {
		Lang       string            `json:"lang"`
		Revision   int               `json:"revision"`
		Texts      map[string]string `json:"texts"`
		Categories []struct {
			Name string `json:"name"`
		} `json:"categories"`
	}
	if err := json.Unmarshal(body, &view); err != nil || code != 200 {
		t.Fatalf("GET banner: %d %s", code, body)
	}
	if view.Lang != "en" || view.Revision != 1 || !strings.Contains(view.Texts["accept_all"], "Accept") || len(view.Categories) != 3 {
		t.Errorf("banner view: got %+v", view)
	}
	etag := hdr.Get("ETag")
	if code, _, _ := h.request("GET", "/api/banner/example.no?lang=en", "", nil, map[string]string{"If-None-Match": etag}); code != http.StatusNotModified {
		t.Errorf("banner with its ETag: got %d, want 304", code)
	}
	_, _, nb := h.request("GET", "/api/banner/example.no", "", nil, nil)
	if !strings.Contains(string(nb), `"lang":"nb"`) {
		t.Errorf("banner for Accept-Language nb-NO: got %s", nb)
	}
	if code, _, body := h.request("GET", "/api/banner/nosuch.no", "", nil, nil); code != 404 || !strings.Contains(string(body), "unknown site") {
		t.Errorf("banner of an unknown site: got %d %s, want 404 naming it", code, body)
	}
}

func TestConsentFlow(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, s store.Store) {
		h := newHarness(t, harnessOptions{store: s})
		code, first := h.decide(osloIP, acceptAll("example.no"))
		if code != http.StatusCreated || first.Token == "" || first.Version != 1 {
			t.Fatalf("accept all: got %d %+v", code, first)
		}
		if !slices.Equal(first.Categories, []string{"marketing", "necessary", "statistics"}) {
			t.Errorf("granted: got %v", first.Categories)
		}
		exp, _ := time.Parse(time.RFC3339, first.ExpiresAt)
		if want := h.clock.Now().Add(182 * 24 * time.Hour); !exp.Equal(want) {
			t.Errorf("expires_at: got %v, want %v (the site's lifetime)", exp, want)
		}

		// A change: version 2, the old token stops working.
		change := map[string]any{"site": "example.no", "categories": map[string]bool{"statistics": true}, "revision": 1, "lang": "nb",
			"url": "https://example.no/personvern", "consent_id": first.ConsentID, "token": first.Token}
		code, second := h.decide(osloIP, change)
		if code != http.StatusCreated || second.ConsentID != first.ConsentID || second.Version != 2 {
			t.Fatalf("change: got %d %+v", code, second)
		}
		code, _, _ = h.request("GET", "/api/consent/"+first.ConsentID, "", nil, map[string]string{"Authorization": "Bearer " + first.Token})
		if code != http.StatusForbidden {
			t.Errorf("receipt with the replaced token: got %d, want 403", code)
		}

		// The receipt holds both versions, as proof: what was shown and chosen,
		// from where, and nothing more.
		code, _, body := h.request("GET", "/api/consent/"+first.ConsentID, "", nil, map[string]string{"Authorization": "Bearer " + second.Token})
		var receipt struct {
			Versions []struct {
				Version  int      `json:"version"`
				Action   string   `json:"action"`
				Granted  []string `json:"granted"`
				Refused  []string `json:"refused"`
				PagePath string   `json:"page_path"`
				Country  string   `json:"country"`
				Browser  string   `json:"browser"`
				Revision int      `json:"revision"`
				Lang     string   `json:"lang"`
			} `json:"versions"`
		}
		if err := json.Unmarshal(body, &receipt); err != nil || code != 200 || len(receipt.Versions) != 2 {
			t.Fatalf("receipt: got %d %s", code, body)
		}
		v1, v2 := receipt.Versions[0], receipt.Versions[1]
		if v1.Action != "accept-all" || v2.Action != "custom" || !slices.Equal(v2.Refused, []string{"marketing"}) {
			t.Errorf("receipt actions: got %+v / %+v", v1, v2)
		}
		if v1.PagePath != "/jobs" || v1.Country != "NO" || v1.Browser != "Chrome" || v1.Revision != 1 || v1.Lang != "nb" {
			t.Errorf("receipt proof: got %+v, want path /jobs (no query), NO, Chrome, revision 1, nb", v1)
		}
		if strings.Contains(string(body), osloIP) || strings.Contains(string(body), "Windows NT") {
			t.Errorf("receipt holds the IP address or user agent: %s", body)
		}

		// Erase: 204, the records are gone, the token stops working.
		code, _, _ = h.request("DELETE", "/api/consent/"+first.ConsentID, "", nil, map[string]string{"Authorization": "Bearer " + second.Token})
		if code != http.StatusNoContent {
			t.Fatalf("withdraw: got %d, want 204", code)
		}
		rows, err := s.Query(t.Context(), "SELECT count() FROM consent_records WHERE consent_id = ?", first.ConsentID)
		if err != nil {
			t.Fatal(err)
		}
		rows.Next()
		var left int
		rows.Scan(&left)
		if left != 0 {
			t.Errorf("after withdrawal: %d consent records kept, want 0", left)
		}
		if code, _, _ := h.request("GET", "/api/consent/"+first.ConsentID, "", nil, map[string]string{"Authorization": "Bearer " + second.Token}); code != http.StatusForbidden {
			t.Errorf("receipt after withdrawal: got %d, want 403", code)
		}
	})
}

func TestConsentBadInput(t *testing.T) {
	h := newHarness(t, harnessOptions{store: testenv.EmbeddedStore(t)})
	_, good := h.decide(osloIP, acceptAll("example.no"))
	_, otherSite := h.decide(osloIP, acceptAll("other.no"))
	cases := []struct {
		name   string
		body   any
		status int
		says   string
	}{
		{"unknown site", acceptAll("nosuch.no"), 404, "unknown site"},
		{"unknown category", map[string]any{"site": "example.no", "categories": map[string]bool{"ads": true}, "revision": 1}, 400, "ads"},
		{"stale revision", map[string]any{"site": "example.no", "categories": map[string]bool{"statistics": true}, "revision": 0}, 400, "revision"},
		{"malformed", `{"site": "example.no", "categories": `, 400, "JSON"},
		{"wrong type", `{"site": "example.no", "categories": {"statistics": "yes"}, "revision": 1}`, 400, "categories"},
		{"too large", `{"site":"example.no","url":"https://example.no/` + strings.Repeat("a", 5000) + `"}`, 413, "4 KB"},
		{"forged token", map[string]any{"site": "example.no", "categories": map[string]bool{"statistics": true}, "revision": 1, "consent_id": good.ConsentID, "token": good.Token[:len(good.Token)-4] + "AAAA"}, 401, "signature"},
		{"token of another site", map[string]any{"site": "example.no", "categories": map[string]bool{"statistics": true}, "revision": 1, "consent_id": otherSite.ConsentID, "token": otherSite.Token}, 403, "another site"},
	}
	before := countConsents(t, h)
	for _, c := range cases {
		code, _, body := h.request("POST", "/api/consent", osloIP, c.body, nil)
		var answer struct{ Error string }
		json.Unmarshal(body, &answer)
		if code != c.status || !strings.Contains(strings.ToLower(answer.Error), strings.ToLower(c.says)) {
			t.Errorf("%s: got %d %q, want %d saying %q", c.name, code, answer.Error, c.status, c.says)
		}
	}
	if after := countConsents(t, h); after != before {
		t.Errorf("rejected choices stored %d records", after-before)
	}
	for _, c := range []struct {
		name, auth string
		status     int
	}{
		{"no token", "", 401},
		{"another consent's token", "Bearer " + otherSite.Token, 403},
		{"garbage", "Bearer not-a-token", 401},
	} {
		code, _, _ := h.request("GET", "/api/consent/"+good.ConsentID, "", nil, map[string]string{"Authorization": c.auth})
		if code != c.status {
			t.Errorf("receipt with %s: got %d, want %d", c.name, code, c.status)
		}
		code, _, _ = h.request("DELETE", "/api/consent/"+good.ConsentID, "", nil, map[string]string{"Authorization": c.auth})
		if code != c.status {
			t.Errorf("withdraw with %s: got %d, want %d", c.name, code, c.status)
		}
	}
}

func countConsents(t *testing.T, h *harness) int {
	return h.count("SELECT count() FROM consent_records")
}

// TestConsentCookieOnSiteDomain: when the collector is served from the
// site's own registrable domain, the consent answer sets the token cookie on
// that domain (Safari caps script-set cookies at 7 days); from any other
// domain it does not, and a withdrawal clears it.
func TestConsentCookieOnSiteDomain(t *testing.T) {
	h := newHarness(t, harnessOptions{store: testenv.EmbeddedStore(t)})
	for _, c := range []struct {
		host       string
		wantDomain string
	}{
		{"varde.example.no", "example.no"},
		{"collector.elsewhere.com", ""},
	} {
		code, hdr, body := h.request("POST", "/api/consent", osloIP, acceptAll("example.no"), map[string]string{"Host": c.host})
		if code != 201 {
			t.Fatalf("consent via %s: %d %s", c.host, code, body)
		}
		cookie := hdr.Get("Set-Cookie")
		switch {
		case c.wantDomain == "" && cookie != "":
			t.Errorf("via %s: got cookie %q, want none", c.host, cookie)
		case c.wantDomain != "" && (!strings.Contains(cookie, CookieName+"=ey") || !strings.Contains(strings.ToLower(cookie), "domain="+c.wantDomain) || strings.Contains(strings.ToLower(cookie), "httponly")):
			t.Errorf("via %s: got cookie %q, want %s on %s, readable by the script", c.host, cookie, CookieName, c.wantDomain)
		}
		if c.wantDomain == "" {
			continue
		}
		var a consentAnswer
		json.Unmarshal(body, &a)
		code, hdr, _ = h.request("DELETE", "/api/consent/"+a.ConsentID, "", nil, map[string]string{"Host": c.host, "Authorization": "Bearer " + a.Token})
		if code != 204 || !strings.Contains(hdr.Get("Set-Cookie"), CookieName+"=;") {
			t.Errorf("withdrawal via %s: got %d, cookie %q; want 204 clearing it", c.host, code, hdr.Get("Set-Cookie"))
		}
	}
}
