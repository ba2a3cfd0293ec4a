package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// This file is the only place that knows the browser tests run against a
// fake: newTestEnv starts a minimal in-memory collector (GET /varde.js,
// GET /api/banner/{site}, POST /api/consent, GET and DELETE
// /api/consent/{id}, POST /api/event). To run the same tests against
// `varde serve`, make newTestEnv start it on a free port, add the sites
// with `varde site add` and `varde site set --banner`, and return its URL.

// testSite is a site the collector knows. banner is its banner config as
// `varde site set DOMAIN --banner FILE` takes it (consent.Config JSON);
// the fake reads only the fields the tests use, with plain-string texts.
type testSite struct {
	name   string
	banner string
}

// testEnv is what the browser tests need from a collector.
type testEnv struct {
	baseURL string
	// bumpRevision raises the site's banner revision by one, so every
	// visitor is asked again.
	bumpRevision func(t testing.TB, site string)
}

func newTestEnv(t testing.TB, sites ...testSite) *testEnv {
	t.Helper()
	f := &fakeCollector{
		key:      make([]byte, 32),
		sites:    make(map[string]*fakeSite),
		consents: make(map[string]*fakeConsent),
		texts:    make(map[string]fakeTexts),
	}
	rand.Read(f.key)
	for _, lang := range []string{"nb", "nn", "en", "sv", "da", "de"} {
		b, err := os.ReadFile(filepath.Join("..", "texts", lang+".json"))
		if err != nil {
			t.Fatalf("fake collector: %v", err)
		}
		var tx fakeTexts
		if err := json.Unmarshal(b, &tx); err != nil {
			t.Fatalf("fake collector: texts %s: %v", lang, err)
		}
		f.texts[lang] = tx
	}
	for _, s := range sites {
		var cfg fakeSite
		if err := json.Unmarshal([]byte(s.banner), &cfg); err != nil {
			t.Fatalf("fake collector: banner of %s: %v", s.name, err)
		}
		f.sites[s.name] = &cfg
	}
	srv := httptest.NewServer(f.routes())
	t.Cleanup(srv.Close)
	return &testEnv{
		baseURL: srv.URL,
		bumpRevision: func(t testing.TB, site string) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.sites[site].Revision++
		},
	}
}

type fakeCollector struct {
	key      []byte
	texts    map[string]fakeTexts
	mu       sync.Mutex
	sites    map[string]*fakeSite
	consents map[string]*fakeConsent
}

type fakeTexts struct {
	Texts      map[string]string `json:"texts"`
	Categories map[string]struct {
		Label       string `json:"label"`
		Description string `json:"description"`
	} `json:"categories"`
}

type fakeSite struct {
	Revision       int            `json:"revision"`
	PolicyURL      string         `json:"policy_url"`
	TrackOutbound  bool           `json:"track_outbound"`
	TrackDownloads bool           `json:"track_downloads"`
	Categories     []fakeCategory `json:"categories"`
}

type fakeCategory struct {
	Name     string            `json:"name"`
	Services []json.RawMessage `json:"services"` // passed through as is
}

type fakeConsent struct {
	site      string
	versions  []map[string]any
	withdrawn bool
}

func (f *fakeCollector) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /varde.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("ETag", ETag)
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(Script)
	})
	mux.HandleFunc("GET /api/banner/{site}", f.banner)
	mux.HandleFunc("POST /api/consent", f.consent)
	mux.HandleFunc("GET /api/consent/{id}", f.receipt)
	mux.HandleFunc("DELETE /api/consent/{id}", f.withdraw)
	mux.HandleFunc("POST /api/event", f.event)
	return cors(mux)
}

// cors lets the site's pages, on another origin, call the API; beacons are
// sent with credentials, so the origin is echoed rather than "*".
func cors(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" {
			w.Header().Set("Access-Control-Allow-Origin", o)
			w.Header().Set("Access-Control-Allow-Credentials", "true")
			w.Header().Add("Vary", "Origin")
		}
		if r.Method == http.MethodOptions {
			w.Header().Set("Access-Control-Allow-Methods", "GET, POST, DELETE")
			w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
			w.Header().Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}

func (f *fakeCollector) banner(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	s, ok := f.sites[r.PathValue("site")]
	var cfg fakeSite
	if ok {
		cfg = *s
	}
	f.mu.Unlock()
	if !ok {
		fail(w, http.StatusNotFound, "site %q is not registered", r.PathValue("site"))
		return
	}
	lang := r.URL.Query().Get("lang")
	tx, ok := f.texts[lang]
	if !ok {
		lang, tx = "nb", f.texts["nb"] // the site's default language
	}
	cats := []map[string]any{}
	for _, c := range cfg.Categories {
		def := tx.Categories[c.Name]
		services := c.Services
		if services == nil {
			services = []json.RawMessage{}
		}
		cats = append(cats, map[string]any{
			"name": c.Name, "required": c.Name == "necessary",
			"label": def.Label, "description": def.Description, "services": services,
		})
	}
	body, _ := json.Marshal(map[string]any{
		"revision": cfg.Revision, "lang": lang, "policy_url": cfg.PolicyURL,
		"lifetime_days": 182, "floating_button": true, "reload_on_withdraw": false,
		"hash_routing": false, "track_outbound": cfg.TrackOutbound, "track_downloads": cfg.TrackDownloads,
		"categories": cats, "texts": tx.Texts,
	})
	sum := sha256.Sum256(body)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "no-cache")
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

// choice is the body of POST /api/consent; unknown fields are refused, as
// the real server does.
type choice struct {
	Site       string          `json:"site"`
	Categories map[string]bool `json:"categories"`
	Revision   int             `json:"revision"`
	Lang       string          `json:"lang"`
	URL        string          `json:"url"`
	GPC        bool            `json:"gpc"`
	ConsentID  string          `json:"consent_id"`
	Token      string          `json:"token"`
	Action     string          `json:"action"`
}

func (f *fakeCollector) consent(w http.ResponseWriter, r *http.Request) {
	var c choice
	dec := json.NewDecoder(io.LimitReader(r.Body, 4<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		fail(w, http.StatusBadRequest, "the consent body is not valid: %v", err)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.sites[c.Site]
	switch {
	case !ok:
		fail(w, http.StatusNotFound, "site %q is not registered", c.Site)
		return
	case c.Revision != s.Revision:
		fail(w, http.StatusBadRequest, "stale revision %d, the banner is at revision %d", c.Revision, s.Revision)
		return
	case c.Categories == nil:
		fail(w, http.StatusBadRequest, "categories is missing")
		return
	case (c.ConsentID == "") != (c.Token == ""):
		fail(w, http.StatusBadRequest, "consent_id and token go together")
		return
	}
	granted := []string{"necessary"}
	for _, cat := range s.Categories {
		if c.Categories[cat.Name] && cat.Name != "necessary" {
			granted = append(granted, cat.Name)
		}
	}
	for name := range c.Categories {
		if !slices.ContainsFunc(s.Categories, func(x fakeCategory) bool { return x.Name == name }) {
			fail(w, http.StatusBadRequest, "unknown category %q", name)
			return
		}
	}
	id := c.ConsentID
	if id != "" {
		cl, err := f.verify(c.Token)
		if err != nil || cl.CID != id || f.consents[id] == nil || f.consents[id].withdrawn {
			fail(w, http.StatusForbidden, "the token does not allow changing this consent")
			return
		}
	} else {
		id = newUUID()
		f.consents[id] = &fakeConsent{site: c.Site}
	}
	rec := f.consents[id]
	now := time.Now()
	rec.versions = append(rec.versions, map[string]any{
		"time": now.UTC(), "granted": granted, "gpc": c.GPC, "action": c.Action, "revision": c.Revision, "lang": c.Lang,
	})
	exp := now.Add(182 * 24 * time.Hour)
	tok := f.sign(claims{CID: id, Site: c.Site, Cat: granted, Rev: s.Revision, Ver: len(rec.versions), IAT: now.Unix(), EXP: exp.Unix()})
	writeJSON(w, http.StatusCreated, map[string]any{
		"consent_id": id, "token": tok, "expires_at": exp.UTC().Format(time.RFC3339), "categories": granted,
	})
}

func (f *fakeCollector) authorized(w http.ResponseWriter, r *http.Request) *fakeConsent {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	cl, err := f.verify(tok)
	id := r.PathValue("id")
	rec := f.consents[id]
	if err != nil || cl.CID != id || rec == nil || rec.withdrawn {
		fail(w, http.StatusForbidden, "the token does not grant access to this consent")
		return nil
	}
	return rec
}

func (f *fakeCollector) receipt(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if rec := f.authorized(w, r); rec != nil {
		writeJSON(w, http.StatusOK, map[string]any{"consent_id": r.PathValue("id"), "site": rec.site, "versions": rec.versions})
	}
}

func (f *fakeCollector) withdraw(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if rec := f.authorized(w, r); rec != nil {
		rec.withdrawn = true
		rec.versions = nil // erased
		w.WriteHeader(http.StatusNoContent)
	}
}

func (f *fakeCollector) event(w http.ResponseWriter, r *http.Request) {
	var ev struct {
		Site     string         `json:"site"`
		Name     string         `json:"name"`
		URL      string         `json:"url"`
		Referrer string         `json:"referrer"`
		Width    int            `json:"width"`
		Props    map[string]any `json:"props"`
		Token    string         `json:"token"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 4<<10)).Decode(&ev); err != nil || ev.Site == "" || ev.Name == "" || ev.URL == "" {
		fail(w, http.StatusBadRequest, "the event body is not valid")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sites[ev.Site] == nil {
		fail(w, http.StatusNotFound, "site %q is not registered", ev.Site)
		return
	}
	cl, err := f.verify(ev.Token)
	if err != nil || cl.Site != ev.Site || f.consents[cl.CID] == nil || f.consents[cl.CID].withdrawn || !slices.Contains(cl.Cat, "statistics") {
		fail(w, http.StatusForbidden, "no consent for statistics")
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// claims is the token payload, as DESIGN.md and consent.Claims have it.
type claims struct {
	CID  string   `json:"cid"`
	Site string   `json:"site"`
	Cat  []string `json:"cat"`
	Rev  int      `json:"rev"`
	Ver  int      `json:"ver"`
	IAT  int64    `json:"iat"`
	EXP  int64    `json:"exp"`
}

var b64 = base64.RawURLEncoding

func (f *fakeCollector) sign(c claims) string {
	payload, _ := json.Marshal(c)
	s := b64.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT","kid":"fake"}`)) + "." + b64.EncodeToString(payload)
	m := hmac.New(sha256.New, f.key)
	m.Write([]byte(s))
	return s + "." + b64.EncodeToString(m.Sum(nil))
}

func (f *fakeCollector) verify(tok string) (claims, error) {
	var c claims
	i := strings.LastIndexByte(tok, '.')
	if i < 0 {
		return c, fmt.Errorf("malformed token")
	}
	m := hmac.New(sha256.New, f.key)
	m.Write([]byte(tok[:i]))
	sig, err := b64.DecodeString(tok[i+1:])
	if err != nil || !hmac.Equal(sig, m.Sum(nil)) {
		return c, fmt.Errorf("bad signature")
	}
	parts := strings.Split(tok, ".")
	payload, err := b64.DecodeString(parts[1])
	if err != nil || json.Unmarshal(payload, &c) != nil {
		return c, fmt.Errorf("bad payload")
	}
	if time.Now().Unix() >= c.EXP {
		return c, fmt.Errorf("expired")
	}
	return c, nil
}

func newUUID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
