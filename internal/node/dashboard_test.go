package node

import (
	"testing"
	"time"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/dashboard/auth"
	"github.com/varde/varde/internal/browsertest"
	"github.com/varde/varde/internal/testenv"
)

// TestDashboardWithRealTraffic: the scenario's traffic goes through the
// collector, the sessionizer folds it in, and a marketing person signs in
// through the form and reads the numbers worked out for the scenario; a
// click on a country filters the page and changes them.
func TestDashboardWithRealTraffic(t *testing.T) {
	var browser browsertest.Shared
	t.Cleanup(browser.Close)
	geodb := testenv.GeoDB(t, testPlaces)
	w := testenv.EmbeddedStore(t)
	migrate(t, w)
	agg, _ := aggregator.AggregateDatabase(t.Context(), w)
	r0, err := openRead(t, agg)
	if err != nil {
		t.Fatal(err)
	}
	s := stores{"embedded", w, r0}
	site := aggregator.NewSite(e2eSite)
	site.Name = "Nordjobb"
	site.Timezone = "Europe/Oslo"
	site.K = 1
	addSite(t, w, site)
	hash, err := auth.HashPassword("marketing-passord-1")
	if err != nil {
		t.Fatal(err)
	}
	if err := (aggregator.Users{Store: w}).Put(t.Context(), aggregator.User{Email: "marked@nordjobb.no", PasswordHash: hash, Role: aggregator.RoleViewer, Sites: []string{e2eSite}}); err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}
	r := startNode(t, s, clk, geodb)
	waitStored(t, w, play(t, r, clk, scenario))
	clk.Set(time.Date(2026, 11, 22, 13, 0, 0, 0, time.UTC))
	if _, err := r.n.Sessionizer.RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}

	p := browser.Page(t)
	p.Navigate(r.base + "/dashboard/login")
	p.Click("#email")
	p.Press("marked@nordjobb.no")
	p.Click("#password")
	p.Press("marketing-passord-1")
	p.Click(`form.stack-form button[type=submit]`)
	p.WaitFor("the viewer's site", `location.pathname === '/dashboard/`+e2eSite+`' && document.querySelector('.kpi')`)
	overview := r.base + "/dashboard/" + e2eSite + "?period=custom&from=2026-11-20&to=2026-11-22&lang=en"
	p.Navigate(overview)
	p.WaitFor("the overview", `document.querySelector('.kpi')`)
	tile := func(metric string) string {
		return p.String(`document.querySelector('.kpi[data-metric="` + metric + `"] .kpi-value').textContent.trim()`)
	}
	for metric, want := range map[string]string{"visitors": "8", "visits": "10", "pageviews": "17", "bounce_rate": "40%"} {
		if got := tile(metric); got != want {
			t.Errorf("%s tile: got %q, want %q", metric, got, want)
		}
	}
	p.Click(`#countries a[href*="visit:country,is,SE"]`)
	p.WaitFor("the Sweden filter", `location.search.includes('visit:country,is,SE') && document.querySelector('.kpi')`)
	for metric, want := range map[string]string{"visitors": "2", "visits": "2", "pageviews": "4"} {
		if got := tile(metric); got != want {
			t.Errorf("%s tile filtered by Sweden: got %q, want %q", metric, got, want)
		}
	}
	p.Screenshot("node-dashboard-sweden")
}
