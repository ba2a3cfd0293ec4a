package web

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp/kb"

	"github.com/varde/varde/internal/browsertest"
)

// The browser tests run varde.js in headless Chromium on a realistic page
// (a Norwegian staffing company's job listings) served by the test from
// one origin, talking to the real collector, `varde serve`, on another, as
// on a real site (collector_test.go). What the page sent and what the
// server answered is read from Chromium's network log; what the server
// kept is read from its store.

var browser browsertest.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	browser.Close()
	if err := varde.stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

// banner is the test sites' banner config, as `varde site add --banner`
// takes it.
const banner = `{
  "revision": 1,
  "policy_url": "/personvern",
  "track_outbound": true,
  "track_downloads": true,
  "categories": [
    {"name": "necessary", "required": true, "services": [
      {"name": "Varde", "description": "Husker samtykket ditt.", "cookies": [
        {"name": "varde_consent", "duration": "6 måneder", "purpose": "Lagrer valgene du gjør her."}]}]},
    {"name": "statistics", "services": [
      {"name": "Varde Analytics", "description": "Besøksstatistikk i samlet form, uten informasjonskapsler."}]},
    {"name": "marketing", "services": [
      {"name": "Annonsepartner", "description": "Måler hvordan annonsene våre virker.", "cookies": [
        {"name": "_mkt", "duration": "90 dager", "purpose": "Teller klikk på annonser."},
        {"name": "_mkt_*", "duration": "90 dager", "purpose": "Kampanje-ID."}]}]}
  ]
}`

var pageTemplates = template.Must(template.ParseFiles("testdata/jobs.html", "testdata/bare.html"))

type fixture struct {
	site  string // registered with the collector for this test alone
	pages string // origin of the site's pages
}

// setup gives the test a site of its own on the shared collector and a web
// site whose pages carry the script. Page query parameters: lang
// (data-lang), gtag=1 (a gtag snippet).
func setup(t *testing.T) *fixture {
	t.Helper()
	varde.start(t)
	site := varde.newSite(t)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("varde serve's log ends:\n%s", varde.logTail(30))
		}
	})
	mux := http.NewServeMux()
	mux.HandleFunc("/sentinel", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("/stats.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		fmt.Fprint(w, `window.statsRan = (window.statsRan || 0) + 1`)
	})
	mux.HandleFunc("/embed", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><html lang="nb"><title>Kart</title><p>Kart</p></html>`)
	})
	page := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			err := pageTemplates.ExecuteTemplate(w, name, map[string]any{
				"API": template.URL(varde.base), "Site": site, "Lang": q.Get("lang"), "GTag": q.Get("gtag") == "1",
			})
			if err != nil {
				t.Errorf("page %s: %v", name, err)
			}
		}
	}
	mux.HandleFunc("/bare", page("bare.html"))
	mux.HandleFunc("/", page("jobs.html"))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &fixture{site: site, pages: srv.URL}
}

// open loads a page of the site in a fresh tab; query is e.g. "lang=en".
func (f *fixture) open(t *testing.T, path, query string, before ...func(*browsertest.Page)) *browsertest.Page {
	t.Helper()
	p := browser.Page(t)
	for _, b := range before {
		b(p)
	}
	if query != "" {
		path += "?" + query
	}
	p.Navigate(f.pages + path)
	return p
}

func action(a string) string { return `#varde-banner [data-varde-action="` + a + `"]` }

const (
	firstLayer = "#varde-banner .first"
	settings   = `#varde-banner [role="dialog"][aria-modal="true"]`
	floating   = "#varde-banner .fab"
)

func category(name string) string { return `#varde-banner input[data-varde-category="` + name + `"]` }

var (
	events   = browsertest.Post("/api/event")
	consents = browsertest.Post("/api/consent")
)

// settle waits until every request the page has started so far has been
// logged: it fetches /sentinel and waits for the answer. Beacons go out
// synchronously from the script, so none can be reported after this.
func settle(p *browsertest.Page) {
	p.Eval(`fetch('/sentinel?' + Math.random()).then(r => r.status)`, nil)
	n := len(p.Filter(browsertest.URLContains("/sentinel")))
	p.WaitRequest("sentinel", browsertest.URLContains("/sentinel"), n)
}

// decided waits for the n-th varde:consent event and returns its detail.
func decided(t *testing.T, p *browsertest.Page, n int) consentEvent {
	t.Helper()
	p.WaitFor(fmt.Sprintf("varde:consent event #%d", n), fmt.Sprintf("vardeEvents.length >= %d", n))
	var ev consentEvent
	p.Eval(fmt.Sprintf("vardeEvents[%d]", n-1), &ev)
	return ev
}

type consentEvent struct {
	Categories []string `json:"categories"`
	ConsentID  *string  `json:"consent_id"`
	Action     string   `json:"action"`
}

type eventBody struct {
	Site     string         `json:"site"`
	Name     string         `json:"name"`
	URL      string         `json:"url"`
	Referrer string         `json:"referrer"`
	Width    int            `json:"width"`
	Props    map[string]any `json:"props"`
	Token    string         `json:"token"`
}

type choiceBody struct {
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

func decode[T any](t *testing.T, r browsertest.Request) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.Body), &v); err != nil {
		t.Fatalf("%s: body %q: %v", r, r.Body, err)
	}
	return v
}

func granted(t *testing.T, p *browsertest.Page) []string {
	t.Helper()
	var got []string
	p.Eval(`varde.consent()`, &got)
	return got
}

func wantGranted(t *testing.T, p *browsertest.Page, want ...string) {
	t.Helper()
	if got := granted(t, p); !sameSet(got, want) {
		t.Errorf("varde.consent(): got %q, want %q", got, want)
	}
}

// sameSet reports whether a and b hold the same strings in any order: the
// server lists granted categories sorted, not in the banner's order.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// wantEvents checks, once every request has been logged, that the tab
// has made want requests to /api/event in all (across reloads).
func wantEvents(t *testing.T, p *browsertest.Page, want int, when string) {
	t.Helper()
	settle(p)
	if got := p.Filter(events); len(got) != want {
		t.Errorf("%s: got %d requests to /api/event in all, want %d; the page made:\n%s", when, len(got), want, p.RequestLog())
	}
}

// wantStored checks that each beacon the tab sent was answered 202, and
// that the site's stored events are want ("name path", then the props if
// any), in the order sent. Events are stored within a flush interval of
// their 202.
func (f *fixture) wantStored(t *testing.T, p *browsertest.Page, want ...string) {
	t.Helper()
	settle(p)
	for i := range len(p.Filter(events)) {
		if r := p.WaitRequest("beacon", events, i+1); r.Status != http.StatusAccepted {
			t.Errorf("beacon: got %s, want 202", r)
		}
	}
	var got []string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		got = got[:0]
		for _, e := range varde.events(t, f.site) {
			got = append(got, e.String())
		}
		if len(got) >= len(want) || time.Now().After(deadline) {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("stored events of %s:\n got %q\nwant %q", f.site, got, want)
	}
}

// wantRecords checks the stored versions of consent id on the test's
// site, oldest first, as "version action granted", e.g.
// "1 accept-all marketing,necessary,statistics", with " gpc" at the end
// when GPC was on, and returns them.
func (f *fixture) wantRecords(t *testing.T, id string, want ...string) []consentRecord {
	t.Helper()
	var recs []consentRecord
	var got []string
	for _, r := range varde.records(t, f.site) {
		if r.ConsentID != id {
			continue
		}
		s := fmt.Sprintf("%d %s %s", r.Version, r.Action, strings.Join(r.Granted, ","))
		if r.GPC {
			s += " gpc"
		}
		recs, got = append(recs, r), append(got, s)
	}
	if !slices.Equal(got, want) {
		t.Errorf("consent records of %s:\n got %q\nwant %q", id, got, want)
	}
	return recs
}

func TestAcceptAllSendsPageview(t *testing.T) {
	f := setup(t)
	p := f.open(t, "/", "")
	p.WaitVisible(action("accept-all"))
	wantGranted(t, p, "necessary")
	p.Click(action("accept-all"))

	c := p.WaitRequest("consent", consents)
	if c.Status != http.StatusCreated {
		t.Fatalf("consent: got %s, want 201", c)
	}
	ch := decode[choiceBody](t, c)
	if ch.Site != f.site || ch.Revision != 1 || ch.Lang != "nb" || ch.Action != "accept-all" || ch.GPC ||
		!ch.Categories["statistics"] || !ch.Categories["marketing"] || ch.ConsentID != "" || ch.URL != f.pages+"/" {
		t.Errorf("consent body: got %+v", ch)
	}
	ev := p.WaitRequest("pageview beacon", events)
	if ev.Status != http.StatusAccepted {
		t.Fatalf("pageview: got %s, want 202", ev)
	}
	b := decode[eventBody](t, ev)
	if b.Site != f.site || b.Name != "pageview" || b.URL != f.pages+"/" || b.Width != 1280 || b.Token == "" {
		t.Errorf("pageview body: got %+v", b)
	}
	d := decided(t, p, 1)
	if d.Action != "accept-all" || d.ConsentID == nil || !sameSet(d.Categories, []string{"necessary", "statistics", "marketing"}) {
		t.Errorf("varde:consent detail: got %+v", d)
	}
	wantGranted(t, p, "necessary", "statistics", "marketing")
	p.WaitFor("marketing script ran", "window.marketingRan === true")
	p.WaitFor("marketing iframe loaded", `document.querySelector('iframe[data-varde-category]').src.endsWith('/embed')`)
	if !p.Bool(`document.cookie.includes('varde_consent=' + ` + jsString(b.Token) + `)`) {
		t.Errorf("cookie: got %q, want varde_consent with the token", p.String("document.cookie"))
	}
	p.WaitGone(firstLayer)
	p.WaitVisible(floating)
	wantEvents(t, p, 1, "after one pageview")

	// What the server kept: the pageview, from a browser it took for a
	// visitor's Chrome, and the proof of consent.
	f.wantStored(t, p, "pageview /")
	for _, e := range varde.events(t, f.site) {
		if e.Browser != "Chrome" {
			t.Errorf("stored event: got browser %q, want Chrome", e.Browser)
		}
	}
	for _, r := range f.wantRecords(t, *d.ConsentID, "1 accept-all marketing,necessary,statistics") {
		if r.Revision != 1 || r.PagePath != "/" || r.Lang != "nb" || r.Browser != "Chrome" {
			t.Errorf("consent record: got %+v, want revision 1, page /, nb, Chrome", r)
		}
	}
}

func TestRejectAllSendsNothing(t *testing.T) {
	f := setup(t)
	p := f.open(t, "/", "")
	p.Click(action("reject-all"))
	if c := p.WaitRequest("consent", consents); c.Status != http.StatusCreated {
		t.Fatalf("consent: got %s, want 201", c)
	} else if ch := decode[choiceBody](t, c); ch.Categories["statistics"] || ch.Categories["marketing"] || ch.Action != "reject-all" {
		t.Errorf("consent body: got %+v, want everything refused", ch)
	}
	d := decided(t, p, 1)
	if d.Action != "reject-all" || !slices.Equal(d.Categories, []string{"necessary"}) {
		t.Errorf("varde:consent detail: got %+v", d)
	}
	p.Eval(`varde.track('Søknad sendt', {id: 1}); history.pushState(null, '', '/jobb/1024')`, nil)
	wantEvents(t, p, 0, "after reject all")
	wantGranted(t, p, "necessary")

	// The refusal is remembered: no banner, no beacon, no marketing.
	p.Reload()
	p.WaitVisible(floating)
	if p.Bool(`!!document.querySelector('` + firstLayer + `')`) {
		t.Error("first layer shown again after a refusal")
	}
	wantEvents(t, p, 0, "after reload")
	if p.Bool("window.marketingRan !== undefined") {
		t.Error("the marketing script ran after reject all")
	}
	f.wantStored(t, p)
	f.wantRecords(t, *d.ConsentID, "1 reject-all necessary")
}

func TestSettingsOptInStatistics(t *testing.T) {
	f := setup(t)
	p := f.open(t, "/", "")
	p.Click(action("settings"))
	p.WaitVisible(settings)
	var sw map[string][2]bool // name → [checked, disabled]
	p.Eval(`Object.fromEntries([...document.querySelectorAll('#varde-banner input[role=switch]')].map(i => [i.dataset.vardeCategory, [i.checked, i.disabled]]))`, &sw)
	want := map[string][2]bool{"necessary": {true, true}, "statistics": {false, false}, "marketing": {false, false}}
	if fmt.Sprint(sw) != fmt.Sprint(want) {
		t.Errorf("switches [checked disabled]: got %v, want %v", sw, want)
	}
	wantEvents(t, p, 0, "settings open, nothing chosen")

	p.Click(category("statistics"))
	p.WaitFor("statistics on", `document.querySelector('`+category("statistics")+`').checked`)
	p.Click(action("save"))
	ch := decode[choiceBody](t, p.WaitRequest("consent", consents))
	if !ch.Categories["statistics"] || ch.Categories["marketing"] || ch.Action != "custom" {
		t.Errorf("consent body: got %+v, want statistics only", ch)
	}
	if ev := p.WaitRequest("pageview beacon", events); ev.Status != http.StatusAccepted {
		t.Errorf("pageview: got %s, want 202", ev)
	}
	p.WaitGone(settings)
	wantGranted(t, p, "necessary", "statistics")
	p.WaitFor("the statistics script (data-src) ran", "window.statsRan === 1")
	if p.Bool("window.marketingRan !== undefined") {
		t.Error("the marketing script ran without marketing consent")
	}

	// Saving the same choice again releases nothing twice and sends no
	// second pageview; the server records a second version.
	p.Click(floating)
	p.Click(action("save"))
	d := decided(t, p, 2)
	if n := p.String("String(window.statsRan)"); n != "1" {
		t.Errorf("statistics script runs: got %s, want 1", n)
	}
	f.wantStored(t, p, "pageview /")
	f.wantRecords(t, *d.ConsentID, "1 custom necessary,statistics", "2 custom necessary,statistics")
}

// A consent older than the site's lifetime asks again and sends nothing,
// though its token has not expired. The server cannot backdate a consent,
// so the site shortens its lifetime from 182 to 30 days after the visitor
// accepted, and the visitor comes back 31 days later (the page's clock
// runs ahead; the token's expiry is still 151 days off).
func TestOldConsentAsksAgain(t *testing.T) {
	f := setup(t)
	p := f.open(t, "/", "")
	p.Click(action("accept-all"))
	d := decided(t, p, 1)
	p.WaitRequest("pageview", events)

	varde.setBanner(t, f.site, map[string]any{"lifetime_days": 30})
	p.ShiftClock(31 * 24 * time.Hour)
	p.Reload()
	p.WaitVisible(action("accept-all"))
	wantGranted(t, p, "necessary")
	wantEvents(t, p, 1, "with a consent older than the lifetime")
	if p.Bool("window.marketingRan !== undefined") {
		t.Error("the marketing script ran with a consent older than the lifetime")
	}

	// The answer renews the same consent: the old token still proves it.
	p.Click(action("reject-all"))
	c := p.WaitRequest("renewed consent", consents, 2)
	if ch := decode[choiceBody](t, c); c.Status != http.StatusCreated || ch.ConsentID != *d.ConsentID {
		t.Errorf("renewed consent: got %s with consent_id %q, want 201 and the earlier %s", c, ch.ConsentID, *d.ConsentID)
	}
	decided(t, p, 1)
	f.wantStored(t, p, "pageview /")
	f.wantRecords(t, *d.ConsentID, "1 accept-all marketing,necessary,statistics", "2 reject-all necessary")
}

func TestWithdrawFromFloatingButton(t *testing.T) {
	f := setup(t)
	p := f.open(t, "/", "")
	p.Click(action("accept-all"))
	token := decode[eventBody](t, p.WaitRequest("pageview beacon", events)).Token
	p.WaitFor("marketing cookies set", `document.cookie.includes('_mkt=1') && document.cookie.includes('_mkt_id=')`)
	d := decided(t, p, 1)

	p.Click(floating)
	p.WaitVisible(settings)
	if got := p.String(`document.querySelector('` + settings + `').textContent`); !strings.Contains(got, *d.ConsentID) {
		t.Errorf("settings: got %q, want it to show the consent ID %s", got, *d.ConsentID)
	}
	if !p.Bool(`document.querySelector('` + category("statistics") + `').checked && document.querySelector('` + category("marketing") + `').checked`) {
		t.Error("settings: want the current choices (statistics and marketing) switched on")
	}
	p.Click(action("withdraw"))
	del := p.WaitRequest("withdrawal", func(r browsertest.Request) bool {
		return r.Method == "DELETE" && strings.HasSuffix(r.URL, "/api/consent/"+*d.ConsentID)
	})
	if del.Status != http.StatusNoContent {
		t.Errorf("withdrawal: got %s, want 204", del)
	}
	// The server erased the records and the token stopped working, for
	// the receipt and for beacons alike.
	f.wantRecords(t, *d.ConsentID)
	if status, body := varde.call(t, "GET", "/api/consent/"+*d.ConsentID, token, ""); status != http.StatusForbidden {
		t.Errorf("receipt with the withdrawn token: got %d %s, want 403", status, body)
	}
	beacon := fmt.Sprintf(`{"site":%q,"name":"pageview","url":%q,"token":%q}`, f.site, f.pages+"/", token)
	if status, body := varde.call(t, "POST", "/api/event", "", beacon); status != http.StatusForbidden {
		t.Errorf("beacon with the withdrawn token: got %d %s, want 403", status, body)
	}
	if w := decided(t, p, 2); w.Action != "withdraw" || !slices.Equal(w.Categories, []string{"necessary"}) {
		t.Errorf("varde:consent detail: got %+v", w)
	}
	p.WaitFor("withdrawn message", `document.querySelector('#varde-banner [role=status]').textContent.length > 0`)
	if c := p.String("document.cookie"); strings.Contains(c, "varde_consent") || strings.Contains(c, "_mkt") {
		t.Errorf("cookies after withdrawal: got %q, want varde_consent and the marketing cookies gone", c)
	}
	wantGranted(t, p, "necessary")

	p.Press(kb.Escape)
	p.Eval(`history.pushState(null, '', '/jobb/1031'); varde.track('Søknad sendt')`, nil)
	wantEvents(t, p, 1, "after withdrawal and a SPA navigation")

	// Next page: asked again, and the marketing script does not run.
	p.Reload()
	p.WaitVisible(action("accept-all"))
	wantEvents(t, p, 1, "after reload")
	if p.Bool("window.marketingRan !== undefined") {
		t.Error("the marketing script ran after withdrawal")
	}
	f.wantStored(t, p, "pageview /")
}

// A new revision asks again on the next page: a visitor who had accepted
// is asked anew, and a visitor whose page showed the old revision, and
// whose choice the server refuses as stale, is asked again with the new
// one (the banner config is revalidated on every page, never used stale).
func TestNewRevisionAsksAgain(t *testing.T) {
	f := setup(t)
	p := f.open(t, "/", "")
	p.Click(action("accept-all"))
	d := decided(t, p, 1)
	p.WaitRequest("pageview", events)

	p.Reload() // same revision: the stored consent applies, no banner
	p.WaitRequest("pageview on load", events, 2)
	p.WaitVisible(floating)
	if p.Bool(`!!document.querySelector('` + firstLayer + `')`) {
		t.Fatal("first layer shown with a valid stored consent")
	}
	if d := decided(t, p, 1); d.Action != "stored" {
		t.Errorf("varde:consent on load: got action %q, want stored", d.Action)
	}
	stale := f.open(t, "/", "") // another visitor, not decided yet
	stale.WaitVisible(action("accept-all"))

	varde.setBanner(t, f.site, map[string]any{"revision": 2})
	p.Reload()
	p.WaitVisible(action("accept-all"))
	wantGranted(t, p, "necessary")
	wantEvents(t, p, 2, "new revision, not answered yet")

	p.Click(action("reject-all"))
	c := p.WaitRequest("renewed consent", consents, 2)
	ch := decode[choiceBody](t, c)
	if c.Status != http.StatusCreated || ch.Revision != 2 || ch.ConsentID != *d.ConsentID {
		t.Errorf("renewed consent: got %s, revision %d, consent_id %q; want 201, 2 and the earlier %s", c, ch.Revision, ch.ConsentID, *d.ConsentID)
	}
	decided(t, p, 1)
	wantEvents(t, p, 2, "after refusing the new revision")
	f.wantStored(t, p, "pageview /", "pageview /")
	recs := f.wantRecords(t, *d.ConsentID, "1 accept-all marketing,necessary,statistics", "2 reject-all necessary")
	if len(recs) == 2 && (recs[0].Revision != 1 || recs[1].Revision != 2) {
		t.Errorf("consent records: got revisions %d and %d, want 1 and 2", recs[0].Revision, recs[1].Revision)
	}

	// The other visitor answers the old revision: refused, nothing granted.
	stale.Click(action("accept-all"))
	if c := stale.WaitRequest("consent to the old revision", consents); c.Status != http.StatusBadRequest {
		t.Errorf("consent to the old revision: got %s, want 400", c)
	}
	wantGranted(t, stale, "necessary")
	wantEvents(t, stale, 0, "after a refused choice")
	stale.Reload()
	stale.WaitVisible(action("accept-all"))
	stale.Click(action("accept-all"))
	c = stale.WaitRequest("consent on the next page", consents, 2)
	if ch := decode[choiceBody](t, c); c.Status != http.StatusCreated || ch.Revision != 2 {
		t.Errorf("consent on the next page: got %s, revision %d; want 201 and 2", c, ch.Revision)
	}
	if ev := stale.WaitRequest("pageview", events); ev.Status != http.StatusAccepted {
		t.Errorf("pageview: got %s, want 202", ev)
	}
	f.wantStored(t, stale, "pageview /", "pageview /", "pageview /")
}

func TestGPC(t *testing.T) {
	f := setup(t)
	p := f.open(t, "/", "", (*browsertest.Page).SetGPC)
	c := p.WaitRequest("GPC refusal", consents)
	ch := decode[choiceBody](t, c)
	if c.Status != http.StatusCreated || !ch.GPC || ch.Categories["statistics"] || ch.Categories["marketing"] {
		t.Errorf("consent under GPC: got %s %+v, want 201 with gpc and everything refused", c, ch)
	}
	d := decided(t, p, 1)
	p.WaitVisible(floating)
	if p.Bool(`!!document.querySelector('` + firstLayer + `')`) {
		t.Error("first layer shown under GPC")
	}
	f.wantRecords(t, *d.ConsentID, "1 reject-all necessary gpc")
	wantEvents(t, p, 0, "under GPC")

	// The visitor may still opt in; the record keeps gpc.
	p.Click(floating)
	p.WaitVisible(settings + " .note")
	p.Click(category("statistics"))
	p.Click(action("save"))
	ch = decode[choiceBody](t, p.WaitRequest("opt-in", consents, 2))
	if !ch.GPC || !ch.Categories["statistics"] || ch.ConsentID == "" {
		t.Errorf("opt-in under GPC: got %+v, want gpc, statistics and the consent id", ch)
	}
	if ev := p.WaitRequest("pageview", events); ev.Status != http.StatusAccepted {
		t.Errorf("pageview: got %s, want 202", ev)
	}
	f.wantStored(t, p, "pageview /")
	f.wantRecords(t, *d.ConsentID, "1 reject-all necessary gpc", "2 custom necessary,statistics gpc")
}

func TestLanguage(t *testing.T) {
	f := setup(t)
	for _, tc := range []struct {
		name, query, lang, accept string
	}{
		{"html lang nb-NO", "", "nb", "Godta alle"},
		{"data-lang en", "lang=en", "en", "Accept all"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := f.open(t, "/", tc.query)
			p.WaitVisible(action("accept-all"))
			if got := p.String(`document.querySelector('` + action("accept-all") + `').textContent`); got != tc.accept {
				t.Errorf("accept button: got %q, want %q", got, tc.accept)
			}
			if got := p.String(`document.getElementById('varde-banner').lang`); got != tc.lang {
				t.Errorf("banner lang: got %q, want %q", got, tc.lang)
			}
			if r := p.Filter(browsertest.URLContains("/api/banner/")); len(r) != 1 || !strings.HasSuffix(r[0].URL, "?lang="+tc.lang) {
				t.Errorf("banner config requests: got %v, want one with ?lang=%s", r, tc.lang)
			}
		})
	}
}

func TestConsentMode(t *testing.T) {
	f := setup(t)
	p := f.open(t, "/", "gtag=1")
	p.WaitVisible(action("settings"))
	consentCalls := func() []string {
		var calls []string
		p.Eval(`dataLayer.filter(a => a[0] === 'consent').map(a => JSON.stringify(Array.from(a)))`, &calls)
		return calls
	}
	want := []string{`["consent","default",{"ad_storage":"denied","ad_user_data":"denied","ad_personalization":"denied","analytics_storage":"denied","wait_for_update":500}]`}
	if got := consentCalls(); !slices.Equal(got, want) {
		t.Errorf("consent calls before a decision:\n got %q\nwant %q", got, want)
	}
	p.Click(action("settings"))
	p.Click(category("statistics"))
	p.Click(action("save"))
	decided(t, p, 1)
	want = append(want, `["consent","update",{"ad_storage":"denied","ad_user_data":"denied","ad_personalization":"denied","analytics_storage":"granted"}]`)
	if got := consentCalls(); !slices.Equal(got, want) {
		t.Errorf("consent calls after statistics only:\n got %q\nwant %q", got, want)
	}
	f.wantStored(t, p, "pageview /")
}

func TestAxe(t *testing.T) {
	f := setup(t)
	dark := func(p *browsertest.Page) { p.EmulateMedia("prefers-color-scheme", "dark") }
	for _, tc := range []struct {
		name, path, query string
		before            []func(*browsertest.Page)
	}{
		{"banner only", "/bare", "", nil},
		{"job listings", "/", "", nil},
		{"banner only en dark", "/bare", "lang=en", []func(*browsertest.Page){dark}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := f.open(t, tc.path, tc.query, tc.before...)
			p.WaitVisible(action("accept-all"))
			p.AssertNoAxeViolations("on the first layer")
			p.Screenshot(t.Name() + "-first")
			p.Click(action("settings"))
			p.WaitVisible(settings)
			p.Eval(`document.querySelectorAll('#varde-banner details').forEach(d => d.open = true)`, nil)
			p.AssertNoAxeViolations("on the settings layer")
			p.Screenshot(t.Name() + "-settings")
		})
	}
}

// The three first-layer buttons must look the same: same size, colours
// and weight, on a desktop and stacked full width on a phone.
func TestFirstLayerButtonsEqual(t *testing.T) {
	f := setup(t)
	for _, tc := range []struct {
		name          string
		width, height int64
		mobile        bool
	}{
		{"desktop", 1280, 800, false},
		{"phone", 375, 740, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := f.open(t, "/", "", func(p *browsertest.Page) { p.SetViewport(tc.width, tc.height, tc.mobile) })
			p.WaitVisible(action("accept-all"))
			var looks []string
			p.Eval(`[...document.querySelectorAll('#varde-banner .first button')].map(b => {
				const r = b.getBoundingClientRect(), s = getComputedStyle(b)
				return [Math.round(r.width), Math.round(r.height), s.backgroundColor, s.color, s.fontWeight, s.fontSize, s.borderRadius].join(' ')
			})`, &looks)
			if len(looks) != 3 || looks[0] != looks[1] || looks[1] != looks[2] {
				t.Errorf("first-layer buttons [width height background colour weight size radius]: got %q, want three alike", looks)
			}
			var stacked bool
			p.Eval(`(([a, b]) => b.top >= a.bottom)([...document.querySelectorAll('#varde-banner .first button')].map(b => b.getBoundingClientRect()))`, &stacked)
			if stacked != tc.mobile {
				t.Errorf("buttons stacked: got %v, want %v", stacked, tc.mobile)
			}
			p.Screenshot(t.Name())
		})
	}
}

// focused names the element that has focus: a banner action, a switch,
// "open" for the floating button, else tag:where.
const focused = `(e => !e ? '' : e.dataset.vardeAction || (e.dataset.vardeCategory ? 'switch:' + e.dataset.vardeCategory : '') ||
	(e.matches('[data-varde-open]') ? 'open' : '') ||
	e.tagName.toLowerCase() + (e.closest('#varde-banner .first') ? ':first' : e.closest('#varde-banner .panel') ? ':panel' : ''))(document.activeElement)`

func TestKeyboardOnly(t *testing.T) {
	f := setup(t)
	p := f.open(t, "/", "")
	p.WaitVisible(action("accept-all"))
	p.WaitFor("focus on the first layer", focused+` === 'div:first'`)
	step := func(key string, want string, mods ...kb.Modifier) {
		t.Helper()
		p.Press(key, mods...)
		if got := p.String(focused); got != want {
			t.Fatalf("after %q: focus on %q, want %q", key, got, want)
		}
	}
	p.Press(kb.Escape) // never dismisses the first layer
	p.WaitVisible(firstLayer)
	step(kb.Tab, "a:first")
	step(kb.Tab, "accept-all")
	step(kb.Tab, "reject-all")
	step(kb.Tab, "settings")
	step(kb.Tab, "reject-all", kb.ModifierShift)
	step(kb.Tab, "settings")
	step(kb.Enter, "close")
	p.WaitVisible(settings)
	step(kb.Escape, "settings") // closes the dialog, back to its opener
	p.WaitGone(settings)
	p.WaitVisible(firstLayer)
	step(kb.Enter, "close")

	// Tab cycles through the dialog and never leaves it.
	cycle := tabCycle(t, p)
	for _, want := range []string{"close", "a:panel", "switch:statistics", "switch:marketing", "summary:panel", "save"} {
		if !slices.Contains(cycle, want) {
			t.Errorf("Tab cycle %q does not reach %s", cycle, want)
		}
	}
	step(kb.Tab, cycle[len(cycle)-1], kb.ModifierShift) // from the first back to the last
	step(kb.Tab, "close")

	for p.String(focused) != "switch:statistics" {
		p.Press(kb.Tab)
	}
	p.Press(" ")
	if !p.Bool(`document.querySelector('` + category("statistics") + `').checked`) {
		t.Fatal("Space did not switch statistics on")
	}
	for p.String(focused) != "save" {
		p.Press(kb.Tab)
	}
	p.Press(kb.Enter)
	ch := decode[choiceBody](t, p.WaitRequest("consent", consents))
	if !ch.Categories["statistics"] || ch.Categories["marketing"] {
		t.Errorf("consent body: got %+v, want statistics only", ch)
	}
	p.WaitRequest("pageview", events)
	p.WaitGone(settings)
	if got := p.String(focused); got != "open" {
		t.Errorf("focus after saving: got %q, want the floating button", got)
	}

	// Reopen from the floating button; withdraw is reachable; Esc closes
	// and focus returns to the opener.
	step(kb.Enter, "close")
	if cycle := tabCycle(t, p); !slices.Contains(cycle, "withdraw") {
		t.Errorf("Tab cycle %q does not reach withdraw", cycle)
	}
	step(kb.Escape, "open")
	p.WaitGone(settings)
	f.wantStored(t, p, "pageview /")
}

// tabCycle presses Tab from the focused element until focus comes back
// to it, and returns what had focus on the way, starting with it.
func tabCycle(t *testing.T, p *browsertest.Page) []string {
	t.Helper()
	start := p.String(focused)
	cycle := []string{start}
	for range 30 {
		p.Press(kb.Tab)
		got := p.String(focused)
		if got == start {
			return cycle
		}
		if !strings.Contains(got, ":panel") && !strings.HasPrefix(got, "switch:") && !slices.Contains([]string{"close", "save", "withdraw"}, got) {
			t.Fatalf("Tab left the settings dialog: focus on %q after %q", got, cycle)
		}
		cycle = append(cycle, got)
	}
	t.Fatalf("Tab did not come back to %q: %q", start, cycle)
	return nil
}

func TestSPANavigation(t *testing.T) {
	f := setup(t)
	p := f.open(t, "/", "")
	p.Click(action("accept-all"))
	p.WaitRequest("first pageview", events)

	p.Eval(`history.pushState(null, '', '/jobb/1024')`, nil)
	b := decode[eventBody](t, p.WaitRequest("second pageview", events, 2))
	if b.Name != "pageview" || b.URL != f.pages+"/jobb/1024" || b.Referrer != "" {
		t.Errorf("SPA pageview: got %+v, want /jobb/1024 without referrer", b)
	}
	p.Eval(`history.replaceState(null, '', '/jobb/1024'); history.replaceState(null, '', '/jobb/1024?sort=ny')`, nil)
	wantEvents(t, p, 2, "same path again")
	p.Eval(`history.back()`, nil)
	b = decode[eventBody](t, p.WaitRequest("pageview on popstate", events, 3))
	if b.URL != f.pages+"/" {
		t.Errorf("popstate pageview: got url %q, want %q", b.URL, f.pages+"/")
	}
	f.wantStored(t, p, "pageview /", "pageview /jobb/1024", "pageview /")
}

func TestCustomEvents(t *testing.T) {
	f := setup(t)
	p := f.open(t, "/", "")
	p.Click(action("accept-all"))
	p.WaitRequest("pageview", events)

	p.Eval(`varde.track('Søknad sendt', {stilling: 'Lagermedarbeider', id: 1024, fast: true, nested: {x: 1}})`, nil)
	b := decode[eventBody](t, p.WaitRequest("custom event", events, 2))
	wantProps := map[string]any{"stilling": "Lagermedarbeider", "id": 1024.0, "fast": true}
	if b.Name != "Søknad sendt" || fmt.Sprint(b.Props) != fmt.Sprint(wantProps) {
		t.Errorf("custom event: got %q %v, want %q %v", b.Name, b.Props, "Søknad sendt", wantProps)
	}

	// Outbound links and downloads (on for this site). The test stops the
	// navigation; the tracker does not need it.
	p.Eval(`document.addEventListener('click', e => e.preventDefault())`, nil)
	p.Click(`a[href="https://www.nav.no/"]`)
	b = decode[eventBody](t, p.WaitRequest("outbound click", events, 3))
	if b.Name != "Outbound Link: Click" || b.Props["url"] != "https://www.nav.no/" {
		t.Errorf("outbound click: got %q %v", b.Name, b.Props)
	}
	p.Click(`a[href$=".pdf"]`)
	b = decode[eventBody](t, p.WaitRequest("download click", events, 4))
	if b.Name != "File Download" || b.Props["url"] != f.pages+"/filer/lonnsoversikt-2025.pdf" {
		t.Errorf("download click: got %q %v", b.Name, b.Props)
	}
	p.Click(`a[href="/jobb/1024"]`) // an internal link is neither
	wantEvents(t, p, 4, "internal link")
	f.wantStored(t, p, "pageview /",
		"Søknad sendt / map[fast:true id:1024 stilling:Lagermedarbeider]",
		"Outbound Link: Click / map[url:https://www.nav.no/]",
		"File Download / map[url:"+f.pages+"/filer/lonnsoversikt-2025.pdf]")
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
