package dashboard

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/stats"
	"github.com/varde/varde/dashboard/access"
	"github.com/varde/varde/dashboard/i18n"
)

// TestTemplatesRender renders every page, in both languages, with data
// that reaches each branch: a broken template fails here, not in use.
func TestTemplatesRender(t *testing.T) {
	pages := parseTemplates()
	site := aggregator.NewSite("fjord.example")
	site.Timezone = "Europe/Oslo"
	admin := aggregator.User{Email: "admin@fjord.example", Role: aggregator.RoleAdmin, CreatedAt: now}
	for _, lang := range i18n.Languages {
		l := i18n.Get(lang)
		data := map[string][]any{
			"login": {loginData{}, loginData{Email: "a@b.c", Error: "login.failed", Next: "/dashboard/x"}},
			"error": {errorData{Status: 404, Message: l.T("error.not_found")}},
			"sites": {siteListData{}, siteListData{Sites: []siteSummary{{Site: site, Visitors: "12"}}}},
			"overview": {
				sampleOverview(t, site, l, false),
				sampleOverview(t, site, l, true),
				failedOverview(site, l),
			},
			"settings": {
				settingsFor(t, site, settingsState{}),
				settingsFor(t, site, settingsState{Lang: "en", NewShare: "/dashboard/share/abc", Flash: "settings.saved", Problems: []string{"k must be between 1 and 1000, not 0"}}),
			},
			"users":      {usersData{Users: []aggregator.User{admin, {Email: "v@x.y", Role: "viewer", Sites: []string{site.Domain}}}, Sites: []aggregator.Site{site}, Me: admin.Email, Flash: "users.done_created", Problems: []string{"x"}}},
			"adminsites": {adminSitesData{Sites: []aggregator.Site{site}, Timezones: commonTimezones, Form: aggregator.NewSite(""), Flash: "admin_sites.created"}, adminSitesData{Form: site, Problems: []string{"x"}}},
			"keys":       {keysData{Keys: []aggregator.APIKey{{ID: "abcdefabcdef", Site: site.Domain, Name: "n", CreatedAt: now}, {ID: "0123456789ab", Site: site.Domain, Revoked: true}}, Sites: []aggregator.Site{site}, NewKey: "varde_abcdefabcdef_secret", NewSite: site.Domain, Flash: "keys.created"}, keysData{}},
		}
		for name, tpl := range pages {
			samples, ok := data[name]
			if !ok {
				t.Errorf("template %s has no sample data in this test", name)
				continue
			}
			for i, d := range samples {
				for _, user := range []*aggregator.User{nil, &admin} {
					p := page{L: l, Title: "t", User: user, CSRF: "token", Path: "/dashboard", Assets: loadAssets(), Nav: "sites", Data: d}
					var buf bytes.Buffer
					if err := tpl.ExecuteTemplate(&buf, "layout", p); err != nil {
						t.Errorf("%s (%s, sample %d): %v", name, lang, i, err)
						continue
					}
					checkPage(t, name+"/"+lang, buf.String(), l)
				}
			}
		}
	}
}

// checkPage holds what every page must be: no inline script or style, no
// missing text, ids unique.
func checkPage(t *testing.T, name, html string, l i18n.Lang) {
	t.Helper()
	if regexp.MustCompile(`<script>|\son[a-z]+=|\sstyle=`).MatchString(html) {
		t.Errorf("%s: inline script, handler or style", name)
	}
	for _, m := range regexp.MustCompile(`[>"]([a-z_]+\.[a-z_0-9.-]+)[<"]`).FindAllStringSubmatch(html, -1) {
		if l.Has(m[1]) {
			t.Errorf("%s: the text key %s shows untranslated", name, m[1])
		}
	}
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(`\sid="([^"]+)"`).FindAllStringSubmatch(html, -1) {
		if seen[m[1]] {
			t.Errorf("%s: id %q twice", name, m[1])
		}
		seen[m[1]] = true
	}
}

func sampleOverview(t *testing.T, site aggregator.Site, l i18n.Lang, filtered bool) overviewData {
	q := map[string][]string{}
	if filtered {
		q["f"] = []string{"visit:country,is,NO", "event:page,contains,/jobs"}
	}
	v := parseView(q, site.Location(), now)
	o := overviewData{Site: site, View: v, Base: "/dashboard/" + site.Domain, Admin: true, Shared: filtered}
	o.Realtime.V = realtimeView{Visitors: 3}
	o.KPIs.V = kpiSet{Tiles: []kpi{{Key: "visitors", Value: "1", Change: "+1%", Good: true}, {Key: "bounce_rate", NA: true, Value: "–"}}, Withheld: filtered, K: 5}
	o.Chart.V = drawChart([]string{"2026-11-26", "2026-11-27"}, map[string][2]float64{"2026-11-26": {3, 5}}, "time:day", v, l)
	b := breakdown{ID: "pages", Dim: "event:page", Metrics: []string{"visitors"}, Suppressed: 2, K: 5, Export: "/x",
		Rows: []breakdownRow{{Label: "/", Link: "?f=event:page,is,/", Values: []string{"3"}, Bar: 100, Active: true}, {Label: "(other)", Values: []string{"5"}}}}
	for _, p := range []*panel[breakdown]{&o.Pages, &o.Entry, &o.Exit, &o.Sources, &o.Referrers, &o.Campaigns, &o.Countries, &o.Regions, &o.Cities, &o.Browsers, &o.Systems, &o.Devices} {
		p.On = true
		p.V = b
		p.V.ID = strings.ToLower(strings.ReplaceAll(l.T("panel.pages"), " ", "")) + string(rune('a'+len(b.Rows)))
	}
	for i, p := range []*panel[breakdown]{&o.Pages, &o.Entry, &o.Exit, &o.Sources, &o.Referrers, &o.Campaigns, &o.Countries, &o.Regions, &o.Cities, &o.Browsers, &o.Systems, &o.Devices} {
		p.V.ID = "b" + string(rune('a'+i))
	}
	o.Cities.V.Rows = nil
	o.Regions.V.Withheld = true
	o.Map.V = newWorldMap(breakdown{Rows: []breakdownRow{{value: "NO", first: 10}, {value: "SE", first: 2}}}, v, l, o.Base)
	o.Consent.V = drawConsent(stats.ConsentResult{
		Totals:     []stats.ConsentRow{{Action: "accept-all", Records: 10}, {Action: "reject-all", GPC: true, Records: 5}},
		Series:     []stats.ConsentRow{{Time: "2026-11-26", Action: "accept-all", Records: 10}, {Time: "2026-11-27", Action: "reject-all", Records: 5}},
		TimeLabels: []string{"2026-11-26", "2026-11-27"},
	}, "time:day", l)
	o.Consent.V.Suppressed, o.Consent.V.K = 1, 5
	return o
}

func failedOverview(site aggregator.Site, l i18n.Lang) overviewData {
	v := parseView(nil, site.Location(), now)
	o := overviewData{Site: site, View: v, Base: "/dashboard/" + site.Domain}
	msg := l.T("panel.timeout")
	o.Realtime.Err, o.KPIs.Err, o.Chart.Err, o.Map.Err, o.Consent.Err = msg, msg, msg, msg, msg
	for i, p := range []*panel[breakdown]{&o.Pages, &o.Entry, &o.Exit, &o.Sources, &o.Referrers, &o.Campaigns, &o.Countries, &o.Regions, &o.Cities, &o.Browsers, &o.Systems, &o.Devices} {
		p.Err = msg
		p.V.ID = "e" + string(rune('a'+i))
	}
	o.Consent.V.Empty = true
	return o
}

func settingsFor(t *testing.T, site aggregator.Site, st settingsState) settingsData {
	t.Helper()
	lang := st.Lang
	if lang == "" {
		lang = "nb"
	}
	d := settingsData{Site: site, Lang: lang, Langs: []string{"nb", "en"}, Timezones: commonTimezones, NewShare: st.NewShare, Flash: st.Flash, Problems: st.Problems,
		Shares: []access.Share{{ID: "abc", CreatedBy: "a@b.c", CreatedAt: now}}}
	d.Texts = []textField{{Key: "title", Default: "x"}, {Key: "body", Long: true}}
	d.Categories = []categoryForm{{Index: 0, Name: "necessary", Required: true, Builtin: true}, {Index: 1, Name: "statistics",
		Services: []serviceForm{{Index: 0, Name: "Varde", Cookies: []cookieForm{{Index: 0, Name: "varde_consent"}}}}}}
	return d
}

// TestTemplateKeysKnown checks every text key a template or handler names
// exists in both languages, and that the catalogs have the same keys.
func TestTemplateKeysKnown(t *testing.T) {
	nb, en := i18n.Get("nb"), i18n.Get("en")
	var keys []string
	files, _ := fs.Glob(templateFiles, "templates/*.html")
	for _, f := range files {
		b, _ := fs.ReadFile(templateFiles, f)
		for _, m := range regexp.MustCompile(`\.T "([a-z_0-9.-]+)"`).FindAllStringSubmatch(string(b), -1) {
			keys = append(keys, m[1])
		}
	}
	for _, p := range periods {
		keys = append(keys, "period."+p)
	}
	for _, d := range filterDims {
		keys = append(keys, "dim."+d)
	}
	for _, o := range filterOps {
		keys = append(keys, "op."+o)
	}
	for _, m := range append(kpiMetrics, "events") {
		keys = append(keys, "metric."+m)
	}
	for _, spec := range exportable {
		for _, m := range spec.Metrics {
			keys = append(keys, "col."+m)
		}
	}
	for _, a := range consentActions {
		keys = append(keys, "consent."+a)
	}
	for _, k := range []string{"geo.country", "geo.region", "geo.city", "langname.nb", "langname.nn", "langname.en", "langname.sv", "langname.da", "langname.de",
		"users.done_created", "users.done_updated", "users.done_deleted"} {
		keys = append(keys, k)
	}
	for _, k := range slices.Compact(slices.Sorted(slices.Values(keys))) {
		if !nb.Has(k) || !en.Has(k) {
			t.Errorf("text key %q: in nb %v, in en %v; want both", k, nb.Has(k), en.Has(k))
		}
	}
	for _, k := range nb.Keys() {
		if !en.Has(k) {
			t.Errorf("text key %q is in nb only", k)
		}
	}
	for _, k := range en.Keys() {
		if !nb.Has(k) {
			t.Errorf("text key %q is in en only", k)
		}
	}
}

// TestPanelErrorInPlace: a panel that fails or times out shows its error,
// and the other panels still show their numbers.
func TestPanelErrorInPlace(t *testing.T) {
	site := aggregator.NewSite("fjord.example")
	d := New(Options{Stats: slowStats{}, Now: func() time.Time { return now }, PanelTimeout: 50 * time.Millisecond})
	start := time.Now()
	o := d.buildOverview(t.Context(), site, parseView(nil, site.Location(), now), i18n.Get("en"), "/dashboard/x")
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("overview took %v with one stuck panel, want about the panel timeout", took)
	}
	if o.Pages.Err != i18n.Get("en").T("panel.timeout") {
		t.Errorf("stuck pages panel: got error %q, want the timeout sentence", o.Pages.Err)
	}
	if o.Sources.Err != i18n.Get("en").T("panel.failed") {
		t.Errorf("failing sources panel: got error %q, want the failure sentence", o.Sources.Err)
	}
	if o.KPIs.Err != "" || len(o.KPIs.V.Tiles) != 6 || o.KPIs.V.Tiles[0].Value != "7" {
		t.Errorf("KPIs beside a stuck panel: got %+v, err %q", o.KPIs.V, o.KPIs.Err)
	}
	if o.Browsers.Err != "" || len(o.Browsers.V.Rows) != 1 {
		t.Errorf("browsers beside a stuck panel: got %+v, err %q", o.Browsers.V, o.Browsers.Err)
	}
}

// slowStats answers at once, except the pages breakdown (never, until the
// context ends) and sources (an error).
type slowStats struct{}

func (slowStats) Run(ctx context.Context, site aggregator.Site, q stats.Query, now time.Time) (stats.Result, error) {
	if slices.Contains(q.Dimensions, "event:page") {
		<-ctx.Done()
		return stats.Result{}, ctx.Err()
	}
	if slices.Contains(q.Dimensions, "visit:source") {
		return stats.Result{}, errors.New("boom")
	}
	row := stats.Row{Dimensions: []any{}}
	for range q.Metrics {
		row.Metrics = append(row.Metrics, int64(7))
	}
	for range q.Dimensions {
		row.Dimensions = append(row.Dimensions, "x")
	}
	return stats.Result{Results: []stats.Row{row}}, nil
}

func (slowStats) Realtime(context.Context, aggregator.Site, time.Time) (stats.Realtime, error) {
	return stats.Realtime{Visitors: 1}, nil
}

func (slowStats) Consent(context.Context, aggregator.Site, stats.DateRange, string, time.Time) (stats.ConsentResult, error) {
	return stats.ConsentResult{}, nil
}
