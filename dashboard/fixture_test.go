package dashboard

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/stats"
	"github.com/varde/varde/aggregator/store"
	"github.com/varde/varde/consent"
	"github.com/varde/varde/dashboard/auth"
	"github.com/varde/varde/internal/httpapi"
	"github.com/varde/varde/internal/testenv"
)

// The fixture's world: a Norwegian staffing site with known traffic, a
// second site, an admin and a viewer of the first site only. The clock
// stands still at now.
var (
	now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

	siteDomain  = "fjord.example"
	otherDomain = "other.example"

	adminEmail  = "admin@fjord.example"
	viewerEmail = "viewer@fjord.example"
	password    = "correct horse battery"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// fixture is a migrated store with the known data, and the dashboard
// served on a real listener.
type fixture struct {
	write store.Store
	dash  *Dashboard
	url   string // http://127.0.0.1:PORT
	log   *logBuffer
}

// logBuffer keeps the dashboard's log lines, to check what is logged.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// openBackend opens the store of a backend and, beside it, a store on its
// aggregates database for the stats engine.
func openBackend(t testing.TB, backend string) (write, read store.Store) {
	t.Helper()
	switch backend {
	case "embedded":
		lib := testenv.ChdbLib(t)
		write = testenv.EmbeddedStore(t)
		agg := migrate(t, write)
		r, err := store.Open(testCtx(t), store.Options{URL: "chdb://" + testenv.EmbeddedDataDir(), LibPath: lib, Database: agg})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		return write, r
	default:
		srv := testenv.SharedServer(t)
		write = testenv.ServerStore(t)
		agg := migrate(t, write)
		r, err := store.Open(testCtx(t), store.Options{URL: srv.URL(agg)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		return write, r
	}
}

func migrate(t testing.TB, s store.Store) string {
	t.Helper()
	if _, err := aggregator.Migrate(testCtx(t), s, quiet); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	agg, err := aggregator.AggregateDatabase(testCtx(t), s)
	if err != nil {
		t.Fatal(err)
	}
	return agg
}

// newFixture fills a fresh store and serves the dashboard.
func newFixture(t testing.TB, backend string) *fixture {
	t.Helper()
	write, read := openBackend(t, backend)
	seed(t, write)
	logs := &logBuffer{}
	d := New(Options{
		Store: write, Stats: stats.New(read), Log: slog.New(slog.NewTextHandler(logs, nil)),
		Now:          func() time.Time { return now },
		SessionCache: time.Millisecond,
	})
	app := httpapi.NewApp(d.log)
	d.Register(app)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln)
	t.Cleanup(func() { app.ShutdownWithTimeout(5 * time.Second) })
	return &fixture{write: write, dash: d, url: "http://" + ln.Addr().String(), log: logs}
}

var (
	hashOnce sync.Once
	pwHash   string
)

func passwordHash(t testing.TB) string {
	hashOnce.Do(func() {
		h, err := auth.HashPassword(password)
		if err != nil {
			panic(err)
		}
		pwHash = h
	})
	return pwHash
}

// seed writes the sites, the accounts and the traffic.
func seed(t testing.TB, s store.Store) {
	t.Helper()
	ctx := testCtx(t)
	site := aggregator.NewSite(siteDomain)
	site.Name = "Fjordbemanning"
	site.Timezone = "Europe/Oslo"
	site.Banner.PolicyURL = "/personvern"
	site.Banner.Categories[1].Services = []consent.Service{{Name: "Varde", Cookies: []consent.Cookie{{Name: "varde_consent", Duration: consent.Text{"nb": "6 måneder"}}}}}
	other := aggregator.NewSite(otherDomain)
	other.Name = "Other site"
	for _, st := range []aggregator.Site{site, other} {
		st.CreatedAt = now.AddDate(-1, 0, 0)
		if err := (aggregator.Sites{Store: s}).Put(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	users := aggregator.Users{Store: s}
	for _, u := range []aggregator.User{
		{Email: adminEmail, Role: aggregator.RoleAdmin, PasswordHash: passwordHash(t)},
		{Email: viewerEmail, Role: aggregator.RoleViewer, Sites: []string{siteDomain}, PasswordHash: passwordHash(t)},
	} {
		if err := users.Put(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	loadTraffic(t, s)
}

// visit is one visit of the fixture's traffic.
type visit struct {
	visitor, id               uint64
	start                     time.Time
	pages                     []string
	source, referrer, utm     string
	country, region, regName  string
	city, browser, os, device string
}

// fixtureVisits are 600 visits over the 30 days to now (20 a day, between
// 07:00 and 12:00 in Oslo) and 400 in the 30 days before. Every tenth visit
// is a returning visitor's second visit of the day. Mostly from Norway,
// then Sweden, Denmark, Finland and Germany; Iceland (3 visitors) and the
// US (2) stay under k = 5 and are held back.
func fixtureVisits() []visit {
	var out []visit
	pages := [][]string{{"/"}, {"/", "/jobs"}, {"/jobs", "/jobs/oslo-sykepleier-123", "/apply"}, {"/om-oss"}, {"/jobs", "/jobs/bergen-lager-456"}, {"/", "/kontakt"}}
	sources := []struct{ source, referrer, utm string }{
		{"Google", "www.google.com", ""}, {"", "", ""}, {"LinkedIn", "www.linkedin.com", "host-2026"},
		{"Facebook", "m.facebook.com", ""}, {"Bing", "www.bing.com", ""},
	}
	tech := [][3]string{{"Chrome", "Windows", "desktop"}, {"Safari", "iOS", "mobile"}, {"Firefox", "macOS", "desktop"}, {"Chrome", "Android", "mobile"}, {"Edge", "Windows", "desktop"}}
	norway := [][3]string{{"NO-03", "Oslo", "Oslo"}, {"NO-46", "Vestland", "Bergen"}, {"NO-50", "Trøndelag", "Trondheim"}}
	for i := range 1000 {
		v := visit{id: uint64(i + 1), visitor: uint64(i + 1), pages: pages[i%len(pages)]}
		back := i % 30
		if i >= 600 {
			back = 30 + i%30
		}
		v.start = time.Date(2026, 11, 27-back, 6+i%6, i%60, 0, 0, time.UTC)
		if i%10 == 9 {
			v.visitor = uint64(i) // the visitor of visit i-1, on the same day
		}
		src := sources[i%len(sources)]
		v.source, v.referrer, v.utm = src.source, src.referrer, src.utm
		tc := tech[i%len(tech)]
		v.browser, v.os, v.device = tc[0], tc[1], tc[2]
		if i%7 == 0 {
			v.browser, v.os, v.device = "Safari", "iPadOS", "tablet"
		}
		switch r := i % 100; {
		case i == 98 || i == 198:
			v.country, v.region, v.regName, v.city = "US", "US-CA", "California", "San Francisco"
		case i == 297 || i == 397 || i == 497:
			v.country, v.region, v.regName, v.city = "IS", "IS-1", "Höfuðborgarsvæði", "Reykjavík"
		case r < 60:
			n := norway[i%3]
			v.country, v.region, v.regName, v.city = "NO", n[0], n[1], n[2]
		case r < 80:
			v.country, v.region, v.regName, v.city = "SE", "SE-AB", "Stockholm", "Stockholm"
		case r < 90:
			v.country, v.region, v.regName, v.city = "DK", "DK-84", "Hovedstaden", "København"
		case r < 95:
			v.country, v.region, v.regName, v.city = "FI", "FI-18", "Uusimaa", "Helsinki"
		default:
			v.country, v.region, v.regName, v.city = "DE", "DE-BE", "Berlin", "Berlin"
		}
		if v.visitor != v.id {
			// A returning visitor comes back from where they were.
			prev := out[len(out)-1]
			v.country, v.region, v.regName, v.city = prev.country, prev.region, prev.regName, prev.city
			v.browser, v.os, v.device = prev.browser, prev.os, prev.device
		}
		out = append(out, v)
	}
	return out
}

// expected counts the fixture's visitors, visits and pageviews on the
// days from..to (in Oslo) that match.
func expected(from, to string, match func(visit) bool) (visitors, visits, pageviews int) {
	oslo, _ := time.LoadLocation("Europe/Oslo")
	first, _ := time.ParseInLocation(time.DateOnly, from, oslo)
	last, _ := time.ParseInLocation(time.DateOnly, to, oslo)
	last = last.AddDate(0, 0, 1)
	seen := map[uint64]bool{}
	for _, v := range fixtureVisits() {
		if v.start.Before(first) || !v.start.Before(last) || (match != nil && !match(v)) {
			continue
		}
		seen[v.visitor] = true
		visits++
		pageviews += len(v.pages)
	}
	return len(seen), visits, pageviews
}

var sessionColumns = strings.Split("site, visitor_id, session_id, sign, start, end, duration, pageviews, events, bounce, hostname, entry_page, exit_page, referrer, source, utm_source, utm_medium, utm_campaign, utm_content, utm_term, country, region, region_name, city, browser, browser_version, os, os_version, device", ", ")

var sessionEventColumns = strings.Split("site, visitor_id, session_id, event_id, sign, time, name, hostname, path, entry_page, referrer, source, utm_source, utm_medium, utm_campaign, utm_content, utm_term, country, region, region_name, city, browser, browser_version, os, os_version, device, props_keys, props_values", ", ")

var eventColumns = strings.Split("site, time, ms, event_id, batch_id, insert_id, visitor_id, prev_visitor_id, name, hostname, path, query, referrer, source, utm_source, utm_medium, utm_campaign, utm_content, utm_term, country, region, region_name, city, browser, browser_version, os, os_version, device, screen_width, props_keys, props_values", ", ")

var consentRecordColumns = strings.Split("consent_id, version, site, time, revision, lang, granted, refused, action, gpc, page_path, country, browser", ", ")

// loadTraffic writes the visits as the sessionizer would (sessions and
// session_events, sign +1), six raw events two minutes ago for the live
// count, and consent decisions.
func loadTraffic(t testing.TB, s store.Store) {
	t.Helper()
	ctx := testCtx(t)
	var sess, evs [][]any
	for _, v := range fixtureVisits() {
		n := len(v.pages)
		dur := (n - 1) * 60
		bounce := 0
		if n == 1 {
			bounce = 1
		}
		utmSource, utmMedium := "", ""
		if v.utm != "" {
			utmSource, utmMedium = "linkedin", "social"
		}
		sess = append(sess, []any{siteDomain, v.visitor, v.id, 1, v.start, v.start.Add(time.Duration(dur) * time.Second), dur, n, n, bounce,
			siteDomain, v.pages[0], v.pages[n-1], v.referrer, v.source, utmSource, utmMedium, v.utm, "", "",
			v.country, v.region, v.regName, v.city, v.browser, "", v.os, "", v.device})
		for i, p := range v.pages {
			evs = append(evs, []any{siteDomain, v.visitor, v.id, v.id*100 + uint64(i), 1, v.start.Add(time.Duration(i) * time.Minute), "pageview",
				siteDomain, p, v.pages[0], v.referrer, v.source, utmSource, utmMedium, v.utm, "", "",
				v.country, v.region, v.regName, v.city, v.browser, "", v.os, "", v.device, []string{}, []string{}})
		}
	}
	if err := s.Insert(ctx, "sessions", sessionColumns, sess); err != nil {
		t.Fatal(err)
	}
	if err := s.Insert(ctx, "session_events", sessionEventColumns, evs); err != nil {
		t.Fatal(err)
	}
	var raw [][]any
	for i := range 6 {
		raw = append(raw, []any{siteDomain, now.Add(-2 * time.Minute), 0, uint64(9000 + i), 1, 1, uint64(9000 + i), 0, "pageview",
			siteDomain, "/jobs", "", "", "", "", "", "", "", "", "NO", "", "", "", "Chrome", "", "Windows", "", "desktop", 1280, []string{}, []string{}})
	}
	if err := s.Insert(ctx, "events", eventColumns, raw); err != nil {
		t.Fatal(err)
	}
	var recs [][]any
	add := func(n int, back int, action string, gpc bool) {
		for i := range n {
			at := time.Date(2026, 11, 27-back, 10, i, 0, 0, time.UTC)
			granted, refused := []string{"necessary", "statistics", "marketing"}, []string{}
			if action != "accept-all" {
				granted, refused = []string{"necessary"}, []string{"marketing", "statistics"}
			}
			recs = append(recs, []any{fmt.Sprintf("c-%s-%d-%d", action, back, i), 1, siteDomain, at, 1, "nb", granted, refused, action, gpc, "/", "NO", "Chrome"})
		}
	}
	add(10, 1, "accept-all", false)
	add(10, 3, "accept-all", false)
	add(10, 5, "accept-all", false)
	add(10, 2, "reject-all", true)
	add(8, 4, "custom", false)
	add(6, 6, "withdraw", false)
	if err := s.Insert(ctx, "consent_records", consentRecordColumns, recs); err != nil {
		t.Fatal(err)
	}
}

// client is a browser without a browser: cookies, no redirects followed.
type client struct {
	t    testing.TB
	base string
	http *http.Client
}

func (f *fixture) client(t testing.TB) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: f.url, http: &http.Client{
		Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type response struct {
	*http.Response
	body string
}

func (c *client) get(path string) response {
	c.t.Helper()
	return c.do("GET", path, nil)
}

func (c *client) post(path string, form url.Values) response {
	c.t.Helper()
	return c.do("POST", path, form)
}

func (c *client) do(method, path string, form url.Values) response {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept-Language", "en-GB,en;q=0.9")
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{Response: resp, body: string(b)}
}

var csrfRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// csrf is the token of the forms on the page at path.
func (c *client) csrf(path string) string {
	c.t.Helper()
	r := c.get(path)
	m := csrfRE.FindStringSubmatch(r.body)
	if m == nil {
		c.t.Fatalf("GET %s: no CSRF token in the page (status %d)", path, r.StatusCode)
	}
	return m[1]
}

// login signs in through the form and fails the test unless it works.
func (c *client) login(email string) {
	c.t.Helper()
	r := c.post("/dashboard/login", url.Values{"_csrf": {c.csrf("/dashboard/login")}, "email": {email}, "password": {password}})
	if r.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("login as %s: got status %d, want 303; body: %.300s", email, r.StatusCode, r.body)
	}
}
