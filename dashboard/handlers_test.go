package dashboard

import (
	"encoding/csv"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/dashboard/auth"
	"github.com/varde/varde/dashboard/i18n"
	"github.com/varde/varde/internal/testenv"
)

// TestHandlers runs the dashboard over real HTTP on each backend.
func TestHandlers(t *testing.T) {
	for _, backend := range []string{"embedded", "server"} {
		t.Run(backend, func(t *testing.T) {
			f := newFixture(t, backend)
			t.Run("login", func(t *testing.T) { testLogin(t, f) })
			t.Run("lockout", func(t *testing.T) { testLockout(t, f) })
			t.Run("csrf", func(t *testing.T) { testCSRF(t, f) })
			t.Run("logout", func(t *testing.T) { testLogout(t, f) })
			t.Run("viewer", func(t *testing.T) { testViewer(t, f) })
			t.Run("shared link", func(t *testing.T) { testSharedLink(t, f) })
			t.Run("headers", func(t *testing.T) { testHeaders(t, f) })
			t.Run("overview numbers", func(t *testing.T) { testOverviewNumbers(t, f) })
			t.Run("csv", func(t *testing.T) { testCSV(t, f) })
			t.Run("settings", func(t *testing.T) { testSettings(t, f) })
			t.Run("api keys", func(t *testing.T) { testAPIKeys(t, f) })
			t.Run("users", func(t *testing.T) { testUsers(t, f) })
			t.Run("no addresses logged", func(t *testing.T) {
				for _, s := range []string{"127.0.0.1", "Go-http-client", "Mozilla"} {
					if strings.Contains(f.log.String(), s) {
						t.Errorf("the log holds %q:\n%s", s, f.log.String())
					}
				}
			})
		})
	}
}

func testLogin(t *testing.T, f *fixture) {
	c := f.client(t)
	r := c.get("/dashboard/" + siteDomain + "?period=7d")
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/dashboard/login?next=%2Fdashboard%2F"+siteDomain+"%3Fperiod%3D7d" {
		t.Fatalf("signed out: got %d to %q, want 303 to the login page with next", r.StatusCode, r.Header.Get("Location"))
	}
	token := c.csrf("/dashboard/login")
	wrong := c.post("/dashboard/login", url.Values{"_csrf": {token}, "email": {adminEmail}, "password": {"wrong password!"}})
	unknown := c.post("/dashboard/login", url.Values{"_csrf": {token}, "email": {"nobody@fjord.example"}, "password": {"wrong password!"}})
	for _, r := range []response{wrong, unknown} {
		if r.StatusCode != http.StatusUnauthorized || !strings.Contains(r.body, "Wrong email or password.") {
			t.Errorf("bad login: got %d, want 401 with the one message; body %.200s", r.StatusCode, r.body)
		}
	}
	r = c.post("/dashboard/login", url.Values{"_csrf": {token}, "email": {strings.ToUpper(adminEmail)}, "password": {password},
		"next": {"/dashboard/" + siteDomain + "?period=7d"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/dashboard/"+siteDomain+"?period=7d" {
		t.Fatalf("login: got %d to %q, want 303 back to the page asked for", r.StatusCode, r.Header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, ck := range r.Cookies() {
		if ck.Name == sessionCookie {
			cookie = ck
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Secure {
		t.Errorf("session cookie: got %+v, want HttpOnly, SameSite=Lax, not Secure over plain HTTP", cookie)
	}
	if r := c.get("/dashboard/" + siteDomain); r.StatusCode != http.StatusOK {
		t.Errorf("overview after login: got %d, want 200", r.StatusCode)
	}
	// An open redirect is not possible through next.
	c2 := f.client(t)
	r = c2.post("/dashboard/login", url.Values{"_csrf": {c2.csrf("/dashboard/login")}, "email": {adminEmail}, "password": {password}, "next": {"https://evil.example/"}})
	if loc := r.Header.Get("Location"); loc != "/dashboard" {
		t.Errorf("login with an outside next: got Location %q, want /dashboard", loc)
	}
}

func testLockout(t *testing.T, f *fixture) {
	ctx := testCtx(t)
	email := "locked@fjord.example"
	if err := (aggregator.Users{Store: f.write}).Put(ctx, aggregator.User{Email: email, Role: aggregator.RoleViewer, PasswordHash: passwordHash(t)}); err != nil {
		t.Fatal(err)
	}
	c := f.client(t)
	token := c.csrf("/dashboard/login")
	for i := range 5 {
		r := c.post("/dashboard/login", url.Values{"_csrf": {token}, "email": {email}, "password": {"not the password"}})
		if r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: got %d, want 401", i+1, r.StatusCode)
		}
	}
	r := c.post("/dashboard/login", url.Values{"_csrf": {token}, "email": {email}, "password": {password}})
	if r.StatusCode != http.StatusTooManyRequests || !strings.Contains(r.body, "Too many failed attempts") {
		t.Errorf("right password while locked: got %d, want 429 with the lockout message", r.StatusCode)
	}
	// Another client, the same account: locked too (the count is in the store).
	c2 := f.client(t)
	r = c2.post("/dashboard/login", url.Values{"_csrf": {c2.csrf("/dashboard/login")}, "email": {email}, "password": {password}})
	if r.StatusCode != http.StatusTooManyRequests {
		t.Errorf("locked account from another client: got %d, want 429", r.StatusCode)
	}
	// Unknown accounts lock the same way, so the lockout tells nothing.
	for range 5 {
		c.post("/dashboard/login", url.Values{"_csrf": {token}, "email": {"ghost@fjord.example"}, "password": {"not the password"}})
	}
	r = c.post("/dashboard/login", url.Values{"_csrf": {token}, "email": {"ghost@fjord.example"}, "password": {"not the password"}})
	if r.StatusCode != http.StatusTooManyRequests {
		t.Errorf("unknown account after 5 failures: got %d, want 429", r.StatusCode)
	}
	// Other accounts are not affected.
	c3 := f.client(t)
	c3.login(adminEmail)
}

func testCSRF(t *testing.T, f *fixture) {
	c := f.client(t)
	r := c.post("/dashboard/login", url.Values{"email": {adminEmail}, "password": {password}})
	if r.StatusCode != http.StatusForbidden {
		t.Errorf("login without a token: got %d, want 403", r.StatusCode)
	}
	c.login(adminEmail)
	form := url.Values{"section": {"site"}, "name": {"Hacked"}, "timezone": {"UTC"}, "k": {"1"}, "retention_days": {"30"}, "consent_retention_days": {"30"}, "geo": {"city"}}
	for _, token := range []string{"", "forged", f.client(t).csrf("/dashboard/login")} {
		form.Set("_csrf", token)
		r := c.post("/dashboard/"+siteDomain+"/settings", form)
		if r.StatusCode != http.StatusForbidden {
			t.Errorf("settings with token %q: got %d, want 403", token, r.StatusCode)
		}
	}
	// Another session's token does not work either.
	other := f.client(t)
	other.login(adminEmail)
	form.Set("_csrf", other.csrf("/dashboard"))
	if r := c.post("/dashboard/"+siteDomain+"/settings", form); r.StatusCode != http.StatusForbidden {
		t.Errorf("settings with another session's token: got %d, want 403", r.StatusCode)
	}
	site, _ := (aggregator.Sites{Store: f.write}).Get(testCtx(t), siteDomain)
	if site.Name == "Hacked" || site.K == 1 {
		t.Errorf("a rejected request changed the site: %+v", site)
	}
}

func testLogout(t *testing.T, f *fixture) {
	c := f.client(t)
	c.login(adminEmail)
	u, _ := url.Parse(f.url)
	cookies := c.http.Jar.Cookies(u)
	r := c.post("/dashboard/logout", url.Values{"_csrf": {c.csrf("/dashboard")}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/dashboard/login" {
		t.Fatalf("logout: got %d to %q, want 303 to the login page", r.StatusCode, r.Header.Get("Location"))
	}
	// The old cookie, replayed, no longer works: the session is revoked in the store.
	replay := f.client(t)
	replay.http.Jar.SetCookies(u, cookies)
	if r := replay.get("/dashboard"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("old session cookie after logout: got %d, want 303 to login", r.StatusCode)
	}
}

func testViewer(t *testing.T, f *fixture) {
	c := f.client(t)
	c.login(viewerEmail)
	for path, want := range map[string]int{
		"/dashboard/" + siteDomain:                              http.StatusOK,
		"/dashboard/" + siteDomain + "/export?breakdown=pages":  http.StatusOK,
		"/dashboard/" + siteDomain + "/settings":                http.StatusForbidden,
		"/dashboard/" + otherDomain:                             http.StatusNotFound,
		"/dashboard/" + otherDomain + "/settings":               http.StatusNotFound,
		"/dashboard/" + otherDomain + "/export?breakdown=pages": http.StatusNotFound,
		"/dashboard/admin/users":                                http.StatusForbidden,
		"/dashboard/admin/sites":                                http.StatusForbidden,
		"/dashboard/admin/keys":                                 http.StatusForbidden,
		"/dashboard/nosuch.example":                             http.StatusNotFound,
	} {
		r := c.get(path)
		if r.StatusCode != want {
			t.Errorf("viewer GET %s: got %d, want %d", path, r.StatusCode, want)
		}
		if want != http.StatusOK && (strings.Contains(r.body, "Visitors") || strings.Contains(r.body, otherDomain+"</")) {
			t.Errorf("viewer GET %s: the refusal shows data", path)
		}
	}
	token := c.csrf("/dashboard/" + siteDomain)
	for path, want := range map[string]int{
		"/dashboard/admin/users":                 http.StatusForbidden,
		"/dashboard/admin/keys":                  http.StatusForbidden,
		"/dashboard/" + siteDomain + "/settings": http.StatusForbidden,
		"/dashboard/" + siteDomain + "/shares":   http.StatusForbidden,
		"/dashboard/" + otherDomain + "/shares":  http.StatusNotFound,
	} {
		if r := c.post(path, url.Values{"_csrf": {token}, "site": {siteDomain}, "email": {"x@y.z"}, "role": {"admin"}, "password": {"0123456789abc"}}); r.StatusCode != want {
			t.Errorf("viewer POST %s: got %d, want %d", path, r.StatusCode, want)
		}
	}
	// The site list shows only the viewer's site (and sends them to it).
	if r := c.get("/dashboard"); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/dashboard/"+siteDomain {
		t.Errorf("viewer's site list: got %d to %q, want 303 to their one site", r.StatusCode, r.Header.Get("Location"))
	}
	if r := c.get("/dashboard/" + siteDomain); strings.Contains(r.body, "/settings") || strings.Contains(r.body, "/dashboard/admin") {
		t.Errorf("viewer's overview links to settings or admin pages")
	}
}

var shareLinkRE = regexp.MustCompile(`href="(/dashboard/share/[A-Za-z0-9_-]+)"`)

func testSharedLink(t *testing.T, f *fixture) {
	admin := f.client(t)
	admin.login(adminEmail)
	r := admin.post("/dashboard/"+siteDomain+"/shares", url.Values{"_csrf": {admin.csrf("/dashboard")}})
	m := shareLinkRE.FindStringSubmatch(r.body)
	if r.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("create a shared link: got %d and no link in the page", r.StatusCode)
	}
	link := m[1]
	if strings.Contains(admin.get("/dashboard/"+siteDomain+"/settings").body, link) {
		t.Errorf("the settings page shows the link again; it must be shown once")
	}
	anon := f.client(t)
	r = anon.get(link + "?period=7d&f=visit:country,is,NO")
	if r.StatusCode != http.StatusOK || !strings.Contains(r.body, "Fjordbemanning") {
		t.Fatalf("shared link: got %d, want the overview", r.StatusCode)
	}
	for _, bad := range []string{"/settings", "/dashboard/admin", otherDomain, "Sign out", `action="/dashboard/logout"`} {
		if strings.Contains(r.body, bad) {
			t.Errorf("shared page contains %q", bad)
		}
	}
	if !strings.Contains(r.body, `href="`+link+`?period=7d&amp;f=visit:country,is,NO&amp;f=`) && !strings.Contains(r.body, link+"?period=7d&amp;f=visit:country,is,NO&amp;f=") {
		t.Errorf("shared page: row links do not stay on the shared link")
	}
	if r := anon.get(link + "/export?breakdown=countries"); r.StatusCode != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		t.Errorf("shared CSV: got %d %s, want 200 text/csv", r.StatusCode, r.Header.Get("Content-Type"))
	}
	for _, path := range []string{link + "/settings", "/dashboard/" + siteDomain, "/dashboard/" + otherDomain, "/dashboard/admin/users"} {
		if r := anon.get(path); r.StatusCode == http.StatusOK {
			t.Errorf("with only a shared link, GET %s: got 200", path)
		}
	}
	if r := anon.post(link, url.Values{}); r.StatusCode < 400 {
		t.Errorf("POST to a shared link: got %d, want an error", r.StatusCode)
	}
	// Revoke it: the link is gone.
	id := regexp.MustCompile(`name="id" value="([0-9a-f]{12})"`).FindStringSubmatch(admin.get("/dashboard/" + siteDomain + "/settings").body)
	if id == nil {
		t.Fatal("no shared link listed on the settings page")
	}
	if r := admin.post("/dashboard/"+siteDomain+"/shares/revoke", url.Values{"_csrf": {admin.csrf("/dashboard")}, "id": {id[1]}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: got %d, want 303", r.StatusCode)
	}
	if r := anon.get(link); r.StatusCode != http.StatusNotFound {
		t.Errorf("revoked link: got %d, want 404", r.StatusCode)
	}
}

func testHeaders(t *testing.T, f *fixture) {
	admin := f.client(t)
	admin.login(adminEmail)
	anon := f.client(t)
	asset := regexp.MustCompile(`/dashboard/assets/app\.[0-9a-f]+\.css`).FindString(anon.get("/dashboard/login").body)
	pages := []struct {
		c    *client
		path string
	}{
		{anon, "/dashboard/login"}, {anon, "/dashboard"}, {anon, "/dashboard/nope/nope/nope"}, {anon, asset},
		{anon, "/dashboard/share/not-a-token"},
		{admin, "/dashboard"}, {admin, "/dashboard/" + siteDomain}, {admin, "/dashboard/" + siteDomain + "/settings"},
		{admin, "/dashboard/" + siteDomain + "/export?breakdown=pages"}, {admin, "/dashboard/admin/users"},
		{admin, "/dashboard/admin/sites"}, {admin, "/dashboard/admin/keys"}, {admin, "/dashboard/nosuch.example"},
		{admin, "/dashboard/" + siteDomain + "/export?breakdown=nonsense"},
	}
	for _, p := range pages {
		r := p.c.get(p.path)
		h := r.Header
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("GET %s: CSP %q", p.path, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("GET %s: got nosniff %q, referrer %q, frame %q", p.path, h.Get("X-Content-Type-Options"), h.Get("Referrer-Policy"), h.Get("X-Frame-Options"))
		}
		if strings.Contains(r.body, "<script>") || regexp.MustCompile(`\son[a-z]+=`).MatchString(r.body) || strings.Contains(r.body, " style=") {
			t.Errorf("GET %s: the page has inline script, a handler attribute or an inline style", p.path)
		}
	}
	r := anon.get(asset)
	if r.StatusCode != http.StatusOK || r.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/css") {
		t.Errorf("asset %s: got %d, cache %q, type %q", asset, r.StatusCode, r.Header.Get("Cache-Control"), r.Header.Get("Content-Type"))
	}
	if r := admin.get("/dashboard/" + siteDomain); r.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("overview Cache-Control: got %q, want no-store", r.Header.Get("Cache-Control"))
	}
}

func testOverviewNumbers(t *testing.T, f *fixture) {
	c := f.client(t)
	c.login(adminEmail)
	en := i18n.Get("en")
	visitors, visits, pageviews := expected("2026-10-29", "2026-11-27", nil)
	start := time.Now()
	body := c.get("/dashboard/" + siteDomain).body
	t.Logf("overview served in %v", time.Since(start))
	for metric, n := range map[string]int{"visitors": visitors, "visits": visits, "pageviews": pageviews} {
		if got, want := kpiValue(body, metric), en.Int(int64(n)); got != want {
			t.Errorf("overview tile %s: got %q, want %q", metric, got, want)
		}
	}
	prev, _, _ := expected("2026-09-29", "2026-10-28", nil)
	if want := en.Change(float64(visitors-prev)/float64(prev)*100, true); !strings.Contains(html.UnescapeString(body), `<span class="delta">`+want+`</span>`) {
		t.Errorf("overview: no change %s against the previous period in %s", want, regexp.MustCompile(`<span class="delta">[^<]*</span>`).FindAllString(body, -1))
	}
	if !strings.Contains(body, "6 visitors in the last 5 minutes") {
		t.Errorf("overview: no realtime count")
	}
	if !strings.Contains(body, "2 rows with fewer than 5 visitors are hidden.") {
		t.Errorf("overview: no note of the countries held back")
	}
	no, _, _ := expected("2026-10-29", "2026-11-27", func(v visit) bool { return v.country == "NO" })
	body = c.get("/dashboard/" + siteDomain + "?f=visit:country,is,NO").body
	if got, want := kpiValue(body, "visitors"), en.Int(int64(no)); got != want {
		t.Errorf("overview filtered by Norway: visitors %q, want %q", got, want)
	}
	if !strings.Contains(body, `id="regions"`) || !strings.Contains(body, "Trøndelag") || !strings.Contains(body, "Bergen") {
		t.Errorf("overview filtered by Norway: no regions and cities")
	}
	// Norwegian: numbers as 1 234, dates as 27. nov. 2026.
	c.http.Jar.SetCookies(mustURL(f.url+"/dashboard"), []*http.Cookie{{Name: langCookie, Value: "nb", Path: "/dashboard"}})
	body = c.get("/dashboard/" + siteDomain + "?period=custom&from=2026-11-01&to=2026-11-27").body
	if !strings.Contains(body, "1.–27. nov. 2026") || !strings.Contains(body, `lang="nb"`) || !strings.Contains(body, "Besøkende") {
		t.Errorf("overview in Norwegian: range or texts missing")
	}
	c.http.Jar.SetCookies(mustURL(f.url+"/dashboard"), []*http.Cookie{{Name: langCookie, Value: "en", Path: "/dashboard"}})
}

var kpiRE = regexp.MustCompile(`data-metric="([a-z_]+)">\s*<dt>[^<]*</dt>\s*<dd class="kpi-value">([^<]*)</dd>`)

// kpiValue is the number on the page's KPI tile of metric.
func kpiValue(body, metric string) string {
	for _, m := range kpiRE.FindAllStringSubmatch(body, -1) {
		if m[1] == metric {
			return m[2]
		}
	}
	return ""
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func testCSV(t *testing.T, f *fixture) {
	c := f.client(t)
	c.login(adminEmail)
	r := c.get("/dashboard/" + siteDomain + "/export?breakdown=countries&format=csv")
	if r.StatusCode != http.StatusOK || r.Header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("export: got %d %q", r.StatusCode, r.Header.Get("Content-Type"))
	}
	if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename="varde-fjord.example-countries-2026-10-29-2026-11-27.csv"` {
		t.Errorf("Content-Disposition: got %q", cd)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, rec := range recs[1:] {
		got[rec[0]] = rec[1:]
	}
	if strings.Join(recs[0], ",") != "visit:country,visitors,visits" {
		t.Errorf("header: got %v", recs[0])
	}
	for _, cc := range []string{"NO", "SE", "DK", "FI", "DE"} {
		v, visits, _ := expected("2026-10-29", "2026-11-27", func(v visit) bool { return v.country == cc })
		if want := []string{strconv.Itoa(v), strconv.Itoa(visits)}; strings.Join(got[cc], ",") != strings.Join(want, ",") {
			t.Errorf("CSV row %s: got %v, want %v", cc, got[cc], want)
		}
	}
	for _, held := range []string{"US", "IS"} {
		if _, ok := got[held]; ok {
			t.Errorf("CSV has the row %s, which has fewer than k visitors", held)
		}
	}
	if other, ok := got["(other)"]; !ok || other[0] != "5" {
		t.Errorf("CSV (other) row: got %v, want the 5 held-back visitors folded", other)
	}
	// Filtered, and every breakdown exports.
	r = c.get("/dashboard/" + siteDomain + "/export?breakdown=cities&f=visit:country,is,NO&period=7d")
	if !strings.Contains(r.body, "Trondheim") || strings.Contains(r.body, "Stockholm") {
		t.Errorf("cities of Norway: got %q", r.body)
	}
	for id := range exportable {
		if r := c.get("/dashboard/" + siteDomain + "/export?breakdown=" + id); r.StatusCode != http.StatusOK {
			t.Errorf("export %s: got %d", id, r.StatusCode)
		}
	}
}

func testSettings(t *testing.T, f *fixture) {
	c := f.client(t)
	c.login(adminEmail)
	ctx := testCtx(t)
	sites := aggregator.Sites{Store: f.write}
	before, _ := sites.Get(ctx, siteDomain)
	token := c.csrf("/dashboard/" + siteDomain + "/settings")
	post := func(form url.Values) response {
		form.Set("_csrf", token)
		return c.post("/dashboard/"+siteDomain+"/settings", form)
	}
	if r := post(url.Values{"section": {"site"}, "name": {"Fjordbemanning AS"}, "timezone": {"Europe/Oslo"}, "k": {"7"},
		"retention_days": {"60"}, "consent_retention_days": {"365"}, "geo": {"region"}, "query_allow": {"job, q"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("save site: got %d; %.300s", r.StatusCode, r.body)
	}
	if r := post(url.Values{"section": {"texts"}, "lang": {"nb"}, "text.title": {"Vi bruker informasjonskapsler"}, "text.accept_all": {"Ja takk"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("save texts: got %d", r.StatusCode)
	}
	if r := post(url.Values{"section": {"banner"}, "policy_url": {"/personvern"}, "lifetime_days": {"90"}, "default_lang": {"nb"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("save banner: got %d", r.StatusCode)
	}
	if r := post(url.Values{"section": {"categories"}, "lang": {"nb"},
		"cat.1.label": {"Analyse"}, "cat.1.svc.0.name": {"Varde"}, "cat.1.svc.0.ck.0.name": {"varde_consent"},
		"cat.1.svc.0.ck.new.name": {"varde_seen"}, "cat.1.svc.0.ck.new.duration": {"1 dag"},
		"cat.2.svc.new.name": {"LinkedIn Insight"},
		"cat.new.name":       {"preferences"}, "cat.new.label": {"Preferanser"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("save categories: got %d; %s", r.StatusCode, regexp.MustCompile(`(?s)<div class="form-error".*?</div>`).FindString(r.body))
	}
	if r := post(url.Values{"section": {"revision"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("raise revision: got %d", r.StatusCode)
	}
	after, err := sites.Get(ctx, siteDomain)
	if err != nil {
		t.Fatal(err)
	}
	b := after.Banner
	switch {
	case after.Name != "Fjordbemanning AS", after.K != 7, after.RetentionDays != 60, after.ConsentRetentionDays != 365, after.Geo != "region",
		strings.Join(after.QueryAllow, ",") != "job,q":
		t.Errorf("site settings: got %+v", after)
	case b.Revision != before.Banner.Revision+1:
		t.Errorf("revision: got %d, want %d", b.Revision, before.Banner.Revision+1)
	case b.Texts["nb"]["title"] != "Vi bruker informasjonskapsler" || b.Texts["nb"]["accept_all"] != "Ja takk":
		t.Errorf("texts: got %v", b.Texts)
	case b.LifetimeDays != 90 || b.FloatingButton:
		t.Errorf("banner: got lifetime %d, floating button %v; want 90, off", b.LifetimeDays, b.FloatingButton)
	case len(b.Categories) != 4 || b.Categories[3].Name != "preferences" || b.Categories[1].Label["nb"] != "Analyse":
		t.Errorf("categories: got %+v", b.Categories)
	case len(b.Categories[1].Services[0].Cookies) != 2 || b.Categories[1].Services[0].Cookies[1].Duration["nb"] != "1 dag":
		t.Errorf("cookies: got %+v", b.Categories[1].Services[0].Cookies)
	case len(b.Categories[2].Services) != 1 || b.Categories[2].Services[0].Name != "LinkedIn Insight":
		t.Errorf("services: got %+v", b.Categories[2].Services)
	}
	if !strings.Contains(f.log.String(), "admin: banner revision raised") || !strings.Contains(f.log.String(), adminEmail) {
		t.Errorf("no audit line for the revision bump")
	}
	// An invalid change is refused, listed, and nothing is stored.
	r := post(url.Values{"section": {"site"}, "name": {"x"}, "timezone": {"Mars/Olympus"}, "k": {"0"}, "retention_days": {"60"}, "consent_retention_days": {"365"}, "geo": {"street"}})
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Mars/Olympus") || !strings.Contains(r.body, "k must be between") {
		t.Errorf("invalid settings: got %d, want 422 naming each problem", r.StatusCode)
	}
	if now, _ := sites.Get(ctx, siteDomain); now.Timezone != "Europe/Oslo" || now.K != 7 {
		t.Errorf("invalid settings were stored: %+v", now)
	}
	// Put the site back as the other subtests expect it.
	after.K, after.Geo = before.K, before.Geo
	if err := sites.Put(ctx, after); err != nil {
		t.Fatal(err)
	}
}

var keyRE = regexp.MustCompile(`varde_[0-9a-f]{12}_[A-Za-z0-9_-]{16,}`)

func testAPIKeys(t *testing.T, f *fixture) {
	c := f.client(t)
	c.login(adminEmail)
	r := c.post("/dashboard/admin/keys", url.Values{"_csrf": {c.csrf("/dashboard/admin/keys")}, "site": {siteDomain}, "name": {"reporting"}})
	key := keyRE.FindString(r.body)
	if r.StatusCode != http.StatusOK || key == "" {
		t.Fatalf("create key: got %d and no key in the page", r.StatusCode)
	}
	id, secret, ok := auth.ParseAPIKey(key)
	if !ok {
		t.Fatalf("the key %q does not parse", key)
	}
	stored, err := (aggregator.APIKeys{Store: f.write}).Get(testCtx(t), id)
	if err != nil {
		t.Fatal(err)
	}
	if stored.SecretHash != auth.HashSecret(secret) || strings.Contains(stored.SecretHash, secret) || stored.Site != siteDomain || stored.Name != "reporting" {
		t.Errorf("stored key: got %+v, want only the secret's hash", stored)
	}
	rows, err := f.write.Query(testCtx(t), "SELECT count() FROM api_keys WHERE secret_hash = ? OR id = ? AND name LIKE ?", secret, secret, "%"+secret+"%")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	rows.Next()
	rows.Scan(&n)
	if n != 0 {
		t.Errorf("the secret itself is stored")
	}
	again := c.get("/dashboard/admin/keys")
	if strings.Contains(again.body, secret) || !strings.Contains(again.body, "varde_"+id) {
		t.Errorf("the keys page, reloaded: shows the secret again, or not the key's id")
	}
	if r := c.post("/dashboard/admin/keys/revoke", url.Values{"_csrf": {c.csrf("/dashboard/admin/keys")}, "id": {id}}); r.StatusCode != http.StatusSeeOther {
		t.Errorf("revoke: got %d", r.StatusCode)
	}
	if k, _ := (aggregator.APIKeys{Store: f.write}).Get(testCtx(t), id); !k.Revoked {
		t.Errorf("revoked key: got %+v", k)
	}
}

func testUsers(t *testing.T, f *fixture) {
	c := f.client(t)
	c.login(adminEmail)
	token := c.csrf("/dashboard/admin/users")
	r := c.post("/dashboard/admin/users", url.Values{"_csrf": {token}, "email": {"Kari@Fjord.example"}, "password": {"kari-passord-123"}, "role": {"viewer"}, "sites": {siteDomain}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("create user: got %d; %.300s", r.StatusCode, r.body)
	}
	kari := f.client(t)
	r = kari.post("/dashboard/login", url.Values{"_csrf": {kari.csrf("/dashboard/login")}, "email": {"kari@fjord.example"}, "password": {"kari-passord-123"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("new user's login: got %d", r.StatusCode)
	}
	if r := kari.get("/dashboard/" + siteDomain); r.StatusCode != http.StatusOK {
		t.Errorf("new viewer's site: got %d", r.StatusCode)
	}
	// Taking the site away takes effect at once (sessions re-read the account).
	if r := c.post("/dashboard/admin/users/update", url.Values{"_csrf": {token}, "email": {"kari@fjord.example"}, "role": {"viewer"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("update user: got %d", r.StatusCode)
	}
	waitFor(t, func() bool { return kari.get("/dashboard/"+siteDomain).StatusCode == http.StatusNotFound }, "the viewer to lose the site")
	if r := c.post("/dashboard/admin/users/delete", url.Values{"_csrf": {token}, "email": {"kari@fjord.example"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete user: got %d", r.StatusCode)
	}
	waitFor(t, func() bool { return kari.get("/dashboard").StatusCode == http.StatusSeeOther }, "the deleted user's session to end")
	if r := c.post("/dashboard/admin/users/delete", url.Values{"_csrf": {token}, "email": {adminEmail}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("deleting oneself: got %d, want 422", r.StatusCode)
	}
	if !strings.Contains(f.log.String(), "admin: user created") {
		t.Errorf("no audit line for the new user")
	}
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var _ = testenv.Required

func TestSessionSite(t *testing.T) {
	f := newFixture(t, "embedded")
	app := fiber.New()
	app.Get("/probe", func(c *fiber.Ctx) error {
		allowed, authed := f.dash.SessionSite(c, c.Query("site"))
		return c.SendString(strconv.FormatBool(allowed) + "," + strconv.FormatBool(authed))
	})
	probe := func(cookies []*http.Cookie, site string) string {
		req := httptest.NewRequest("GET", "/probe?site="+site, nil)
		for _, ck := range cookies {
			req.AddCookie(ck)
		}
		resp, err := app.Test(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	viewer := f.client(t)
	viewer.login(viewerEmail)
	cookies := viewer.http.Jar.Cookies(mustURL(f.url + "/"))
	for _, tt := range []struct {
		cookies []*http.Cookie
		site    string
		want    string
	}{
		{nil, siteDomain, "false,false"},
		{cookies, siteDomain, "true,true"},
		{cookies, otherDomain, "false,true"},
		{[]*http.Cookie{{Name: sessionCookie, Value: "forged"}}, siteDomain, "false,false"},
	} {
		if got := probe(tt.cookies, tt.site); got != tt.want {
			t.Errorf("SessionSite(%s, %d cookies): got %s, want %s", tt.site, len(tt.cookies), got, tt.want)
		}
	}
}
