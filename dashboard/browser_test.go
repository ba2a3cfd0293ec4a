package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/varde/varde/dashboard/i18n"
	"github.com/varde/varde/internal/browsertest"
)

// TestBrowser drives the dashboard in Chromium, served by a real listener
// over a store filled with the fixture's traffic, as a person would: with
// the mouse and with the keyboard only. Screenshots go to artifacts/.
func TestBrowser(t *testing.T) {
	var browser browsertest.Shared
	t.Cleanup(browser.Close)
	f := newFixture(t, "embedded")
	en := i18n.Get("en")
	overview := f.url + "/dashboard/" + siteDomain

	// signIn is a new page signed in as email, through the form.
	signIn := func(t *testing.T, email string) *browsertest.Page {
		p := browser.Page(t)
		p.Navigate(f.url + "/dashboard/login")
		p.Click("#email")
		p.Press(email)
		p.Click("#password")
		p.Press(password)
		p.Click(`form.stack-form button[type=submit]`)
		p.WaitFor("the signed-in page", `location.pathname !== '/dashboard/login' && document.readyState === 'complete'`)
		return p
	}

	t.Run("login through the form", func(t *testing.T) {
		p := browser.Page(t)
		p.Navigate(overview)
		p.WaitFor("the login page", `location.pathname === '/dashboard/login'`)
		p.Click("#email")
		p.Press(adminEmail)
		p.Press(kb.Tab)
		p.Press(password)
		p.Press(kb.Enter)
		p.WaitFor("the overview after login", `location.pathname === '/dashboard/`+siteDomain+`' && document.querySelector('.kpi')`)
		visitors, _, _ := expected("2026-10-29", "2026-11-27", nil)
		if got := tileText(p, "visitors"); got != en.Int(int64(visitors)) {
			t.Errorf("visitors tile: got %q, want %q", got, en.Int(int64(visitors)))
		}
		if got := p.String(`document.querySelector('#realtime').textContent.trim()`); got != "6 visitors in the last 5 minutes" {
			t.Errorf("realtime: got %q", got)
		}
		fullShot(t, p, "dashboard-overview")
		p.Screenshot("dashboard-overview-top")
	})

	t.Run("norwegian", func(t *testing.T) {
		p := signIn(t, adminEmail)
		p.Navigate(overview)
		p.Eval(`(s => { s.value = 'nb'; s.dispatchEvent(new Event('change')); return true })(document.getElementById('lang-select'))`, nil)
		p.WaitFor("the page in Norwegian", `document.documentElement.lang === 'nb' && document.querySelector('.kpi')`)
		_, _, pv := expected("2026-10-29", "2026-11-27", nil)
		nb := i18n.Get("nb")
		if got := tileText(p, "pageviews"); got != nb.Int(int64(pv)) {
			t.Errorf("pageviews in Norwegian: got %q, want %q", got, nb.Int(int64(pv)))
		}
		if got := p.String(`document.querySelector('#range').textContent`); got != "29. okt. – 27. nov. 2026" {
			t.Errorf("range in Norwegian: got %q", got)
		}
		fullShot(t, p, "dashboard-overview-nb")
	})

	t.Run("a click on a country filters the page", func(t *testing.T) {
		p := signIn(t, adminEmail)
		p.Navigate(overview)
		// On the map: Sweden.
		clickAt(t, p, `svg.map a[data-country="SE"] path`)
		p.WaitFor("the Sweden filter", `location.search.includes('visit:country,is,SE') && document.querySelector('.kpi')`)
		se, _, _ := expected("2026-10-29", "2026-11-27", func(v visit) bool { return v.country == "SE" })
		if got := tileText(p, "visitors"); got != en.Int(int64(se)) {
			t.Errorf("visitors from Sweden: got %q, want %q", got, en.Int(int64(se)))
		}
		// The chip's × removes the filter.
		p.Click(`.chip-x`)
		p.WaitFor("no filters", `!location.search.includes('visit:country') && document.querySelector('.kpi')`)
		// In the table: Norway, and its regions and cities appear.
		p.Click(`#countries a[href*="visit:country,is,NO"]`)
		p.WaitFor("the Norway filter", `location.search.includes('visit:country,is,NO') && document.querySelector('.kpi')`)
		no, _, _ := expected("2026-10-29", "2026-11-27", func(v visit) bool { return v.country == "NO" })
		if got := tileText(p, "visitors"); got != en.Int(int64(no)) {
			t.Errorf("visitors from Norway: got %q, want %q", got, en.Int(int64(no)))
		}
		if got := p.String(`document.querySelector('.chip').textContent.replace(/\s+/g, ' ').trim()`); !strings.HasPrefix(got, "Country is Norway") {
			t.Errorf("filter chip: got %q", got)
		}
		cities := p.String(`[...document.querySelectorAll('#cities tbody th')].map(e => e.textContent.trim()).join(',')`)
		if cities != "Bergen,Oslo,Trondheim" {
			t.Errorf("cities of Norway: got %q", cities)
		}
		fullShot(t, p, "dashboard-overview-norway")
	})

	t.Run("the date picker changes the range", func(t *testing.T) {
		p := signIn(t, adminEmail)
		p.Navigate(overview)
		p.Click(`.periods a[href*="period=7d"]`)
		p.WaitFor("7 days", `location.search.includes('period=7d')`)
		v7, _, _ := expected("2026-11-21", "2026-11-27", nil)
		if got := tileText(p, "visitors"); got != en.Int(int64(v7)) {
			t.Errorf("visitors of 7 days: got %q, want %q", got, en.Int(int64(v7)))
		}
		if got := p.String(`document.querySelector('#range').textContent`); got != "Nov 21 – 27, 2026" {
			t.Errorf("range: got %q", got)
		}
		p.Eval(`document.getElementById('from').value = '2026-11-01'; document.getElementById('to').value = '2026-11-10'; true`, nil)
		p.Click(`form.custom button`)
		p.WaitFor("the custom range", `location.search.includes('from=2026-11-01') && location.search.includes('to=2026-11-10')`)
		vc, _, _ := expected("2026-11-01", "2026-11-10", nil)
		if got := tileText(p, "visitors"); got != en.Int(int64(vc)) {
			t.Errorf("visitors of Nov 1–10: got %q, want %q", got, en.Int(int64(vc)))
		}
		if got := p.String(`document.querySelector('#range').textContent`); got != "Nov 1 – 10, 2026" {
			t.Errorf("custom range: got %q", got)
		}
	})

	t.Run("csv export", func(t *testing.T) {
		p := signIn(t, adminEmail)
		p.Navigate(overview + "?period=7d")
		href := p.String(`document.querySelector('#sources a.csv').href`)
		var got struct {
			Status      int
			Disposition string
			Body        string
		}
		p.Eval(fmt.Sprintf(`fetch(%q).then(async r => ({status: r.status, disposition: r.headers.get('content-disposition'), body: await r.text()}))`, href), &got)
		if got.Status != http.StatusOK || got.Disposition != `attachment; filename="varde-fjord.example-sources-2026-11-21-2026-11-27.csv"` {
			t.Errorf("export: got %d, %q", got.Status, got.Disposition)
		}
		g, gVisits, _ := expected("2026-11-21", "2026-11-27", func(v visit) bool { return v.source == "Google" })
		if want := fmt.Sprintf("Google,%d,%d,", g, gVisits); !strings.Contains(got.Body, want) {
			t.Errorf("export of sources: want a line starting %q in\n%s", want, got.Body)
		}
		if !strings.HasPrefix(strings.TrimPrefix(got.Body, "\ufeff"), "visit:source,visitors,visits,bounce_rate\r\n") && !strings.HasPrefix(strings.TrimPrefix(got.Body, "\ufeff"), "visit:source,visitors,visits,bounce_rate\n") {
			t.Errorf("export header: got %q", strings.SplitN(got.Body, "\n", 2)[0])
		}
	})

	t.Run("axe finds no violations", func(t *testing.T) {
		anon := browser.Page(t)
		anon.Navigate(f.url + "/dashboard/login")
		anon.AssertNoAxeViolations("on the login page")
		admin := signIn(t, adminEmail)
		for _, path := range []string{"/dashboard/" + siteDomain, "/dashboard/" + siteDomain + "?f=visit:country,is,NO&period=7d",
			"/dashboard/" + siteDomain + "/settings", "/dashboard/admin/users", "/dashboard/admin/keys", "/dashboard/admin/sites", "/dashboard"} {
			admin.Navigate(f.url + path)
			admin.AssertNoAxeViolations("on " + path)
			if strings.HasSuffix(path, "/settings") {
				fullShot(t, admin, "dashboard-settings")
				admin.Eval(`document.getElementById('categories').scrollIntoView(); true`, nil)
				admin.Screenshot("dashboard-settings-categories")
			}
		}
	})

	t.Run("keyboard reaches every control", func(t *testing.T) {
		admin := signIn(t, adminEmail)
		for _, path := range []string{"/dashboard/" + siteDomain + "?f=visit:country,is,NO", "/dashboard/" + siteDomain + "/settings"} {
			admin.Navigate(f.url + path)
			missed := tabThrough(t, admin)
			if len(missed) > 0 {
				t.Errorf("%s: Tab never reaches %d controls: %s", path, len(missed), strings.Join(missed[:min(len(missed), 10)], "; "))
			}
		}
		// And acts: Tab to the 7 days link and press Enter.
		admin.Navigate(overview)
		for range 200 {
			admin.Press(kb.Tab)
			if admin.Bool(`document.activeElement.matches('.periods a[href*="period=7d"]')`) {
				break
			}
		}
		admin.Press(kb.Enter)
		admin.WaitFor("7 days by keyboard", `location.search.includes('period=7d')`)
	})

	t.Run("a shared link shows the site read only", func(t *testing.T) {
		admin := signIn(t, adminEmail)
		admin.Navigate(overview + "/settings#shares")
		admin.Click(`#shares form[action$="/shares"] button`)
		admin.WaitVisible(`.share-url`)
		link := admin.String(`document.querySelector('.share-url').href`)
		anon := browser.Page(t)
		anon.Navigate(link)
		if got := anon.String(`document.querySelector('h1').textContent`); got != "Fjordbemanning" {
			t.Errorf("shared page heading: got %q", got)
		}
		if anon.Bool(`!!document.querySelector('a[href*="/settings"], a[href^="/dashboard/admin"], form[action="/dashboard/logout"]')`) {
			t.Errorf("the shared page links to settings, admin pages or an account")
		}
		anon.Click(`#countries a[href*="visit:country,is,NO"]`)
		anon.WaitFor("the filtered shared page", `location.pathname.startsWith('/dashboard/share/') && location.search.includes('visit:country,is,NO') && document.readyState === 'complete' && document.querySelector('.kpi')`)
		fullShot(t, anon, "dashboard-shared")
		anon.Navigate(overview)
		anon.WaitFor("the login page", `location.pathname === '/dashboard/login'`)
	})

	t.Run("a viewer cannot open admin pages or another site", func(t *testing.T) {
		p := signIn(t, viewerEmail)
		p.WaitFor("the viewer's site", `location.pathname === '/dashboard/`+siteDomain+`'`)
		if p.Bool(`!!document.querySelector('a[href="/dashboard/admin/users"], a[href$="/settings"]')`) {
			t.Errorf("the viewer sees links to admin pages or settings")
		}
		for path, want := range map[string]string{
			"/dashboard/admin/users":                 "403",
			"/dashboard/admin/keys":                  "403",
			"/dashboard/" + siteDomain + "/settings": "403",
			"/dashboard/" + otherDomain:              "404",
		} {
			p.Navigate(f.url + path)
			if got := p.String(`(document.querySelector('.status') || {}).textContent || ''`); got != want {
				t.Errorf("viewer at %s: got status %q on the page, want %s", path, got, want)
			}
			if p.Bool(`!!document.querySelector('.kpi, table.bd')`) {
				t.Errorf("viewer at %s: the page shows data", path)
			}
		}
	})
}

// tileText is the text of the page's KPI tile of metric.
func tileText(p *browsertest.Page, metric string) string {
	return p.String(fmt.Sprintf(`document.querySelector('.kpi[data-metric=%q] .kpi-value').textContent`, metric))
}

// tabThrough presses Tab until focus comes back round, and returns the
// visible, enabled controls it never reached.
func tabThrough(t *testing.T, p *browsertest.Page) []string {
	t.Helper()
	p.Eval(`window.__seen = new Set(); document.addEventListener('focusin', e => window.__seen.add(e.target)); document.activeElement && document.activeElement.blur(); true`, nil)
	total := p.String(`String(document.querySelectorAll('a[href], button, input, select, textarea, summary').length)`)
	n := 0
	fmt.Sscan(total, &n)
	for range n + 10 {
		p.Press(kb.Tab)
	}
	var missed []string
	p.Eval(`[...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')]
		.filter(e => !e.disabled && e.getAttribute('tabindex') !== '-1' && e.getClientRects().length > 0 && !e.closest('[hidden], details:not([open]) > :not(summary)'))
		.filter(e => !window.__seen.has(e))
		.map(e => e.outerHTML.slice(0, 80))`, &missed)
	return missed
}

// clickAt sends a real mouse click to the middle of the element, for SVG
// shapes that chromedp's visibility check does not see.
func clickAt(t *testing.T, p *browsertest.Page, sel string) {
	t.Helper()
	var box struct{ X, Y float64 }
	p.Eval(fmt.Sprintf(`(e => { e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect(); return {x: r.left + r.width / 2, y: r.top + r.height / 2}; })(document.querySelector(%q))`, sel), &box)
	ctx, cancel := context.WithTimeout(p.Context(), 5*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.MouseClickXY(box.X, box.Y)); err != nil {
		t.Fatalf("click %s: %v", sel, err)
	}
}
