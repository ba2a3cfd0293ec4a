package dashboard

import (
	"context"
	"errors"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/stats"
	"github.com/varde/varde/dashboard/i18n"
)

// overviewData is the overview page: one site, one view, and a panel for
// each part of the page. Each panel is filled by its own queries, run at
// the same time as the others' and each with its own timeout, so a slow
// or failing panel shows its error in place and never blanks the page.
type overviewData struct {
	Site   aggregator.Site
	View   view
	Base   string // the page's path: /dashboard/SITE or /dashboard/share/TOKEN
	Shared bool   // a read-only shared link
	Admin  bool

	Realtime  panel[realtimeView]
	KPIs      panel[kpiSet]
	Chart     panel[chart]
	Map       panel[worldMap]
	Consent   panel[consentView]
	Pages     panel[breakdown]
	Entry     panel[breakdown]
	Exit      panel[breakdown]
	Sources   panel[breakdown]
	Referrers panel[breakdown]
	Campaigns panel[breakdown]
	Countries panel[breakdown]
	Regions   panel[breakdown]
	Cities    panel[breakdown]
	Browsers  panel[breakdown]
	Systems   panel[breakdown]
	Devices   panel[breakdown]
}

// panel is one part of the page: its content, or the error it met.
type panel[T any] struct {
	V   T
	Err string // a sentence for the reader; "" when the panel is fine
	On  bool   // the panel applies to this view (regions only for a country)
}

// PeriodLinks are the date picker's choices.
func (o overviewData) PeriodLinks() []periodLink {
	out := make([]periodLink, 0, len(periods))
	for _, p := range periods {
		out = append(out, periodLink{Key: "period." + p, URL: o.Base + o.View.WithPeriod(p), Current: o.View.Period == p})
	}
	return out
}

type periodLink struct {
	Key     string
	URL     string
	Current bool
}

// Chips are the view's filters, each with the link that removes it.
func (o overviewData) Chips(l i18n.Lang) []chip {
	out := make([]chip, 0, len(o.View.Filters))
	for i, f := range o.View.Filters {
		out = append(out, chip{
			Dim:    l.T("dim." + f.Dim),
			Op:     l.T("op." + f.Op),
			Value:  displayValue(l, f.Dim, f.Value),
			Remove: o.Base + o.View.Without(i),
		})
	}
	return out
}

type chip struct {
	Dim, Op, Value string
	Remove         string
}

// overview is /dashboard/{site}.
func (d *Dashboard) overview(c *fiber.Ctx) error {
	site, ok, err := d.siteFor(c)
	if !ok {
		return err
	}
	s, _ := current(c)
	data := d.buildOverview(c.UserContext(), site, d.parseViewOf(c, site), d.lang(c), "/dashboard/"+site.Domain)
	data.Admin = s.user.Role == aggregator.RoleAdmin
	return d.render(c, http.StatusOK, "overview", "overview.title", data)
}

func (d *Dashboard) parseViewOf(c *fiber.Ctx, site aggregator.Site) view {
	q := c.Context().QueryArgs()
	vals := map[string][]string{}
	q.VisitAll(func(k, v []byte) { vals[string(k)] = append(vals[string(k)], string(v)) })
	return parseView(vals, site.Location(), d.opts.Now())
}

// siteFor loads the site of the URL, if the account may see it. A site
// the account may not see is answered as one that does not exist. When ok
// is false the answer is written, and err is what the handler returns.
func (d *Dashboard) siteFor(c *fiber.Ctx) (site aggregator.Site, ok bool, err error) {
	s, _ := current(c)
	domain := strings.ToLower(c.Params("site"))
	if !canSee(s.user, domain) {
		return site, false, d.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	site, err = d.sites.Get(c.UserContext(), domain)
	if errors.Is(err, aggregator.ErrNotFound) {
		return site, false, d.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	if err != nil {
		return site, false, d.fail(c, err)
	}
	return site, true, nil
}

// buildOverview runs every panel at once and waits for all of them. The
// panels' stats queries go to the engine together when it can take them
// so (batchStats): the page costs a few statements, not one or two per
// panel. Each panel still gets its own answer or error; the batch has the
// panel timeout.
func (d *Dashboard) buildOverview(ctx context.Context, site aggregator.Site, v view, l i18n.Lang, base string) overviewData {
	o := overviewData{Site: site, View: v, Base: base}
	country := v.Value("visit:country")
	o.Regions.On, o.Cities.On = country != "", country != ""
	o.Realtime.On, o.KPIs.On, o.Chart.On, o.Map.On, o.Consent.On = true, true, true, true, true

	var wg sync.WaitGroup
	run := func(errp *string, f func(ctx context.Context) error) {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, d.opts.PanelTimeout)
			defer cancel()
			if err := f(ctx); err != nil {
				*errp = d.panelError(l, site, err)
			}
		})
	}
	run(&o.Realtime.Err, func(ctx context.Context) (err error) {
		o.Realtime.V, err = d.realtime(ctx, site)
		return err
	})
	run(&o.Consent.Err, func(ctx context.Context) (err error) {
		o.Consent.V, err = d.consent(ctx, site, v, l)
		return err
	})

	jobs := []panelJob{
		d.kpisJob(site, v, l, &o.KPIs),
		d.chartJob(v, l, &o.Chart),
	}
	for _, b := range []struct {
		p    *panel[breakdown]
		spec breakdownSpec
	}{
		{&o.Pages, specPages}, {&o.Entry, specEntry}, {&o.Exit, specExit},
		{&o.Sources, specSources}, {&o.Referrers, specReferrers}, {&o.Campaigns, specCampaigns},
		{&o.Browsers, specBrowsers}, {&o.Systems, specSystems}, {&o.Devices, specDevices},
		{&o.Regions, specRegions}, {&o.Cities, specCities},
	} {
		b.p.On = b.p.On || (b.spec.ID != "regions" && b.spec.ID != "cities")
		if !b.p.On {
			continue
		}
		jobs = append(jobs, d.breakdownJob(site, v, l, b.spec, base, overviewRows, func(bd breakdown) { b.p.V = bd }, &b.p.Err))
	}
	o.Countries.On = true
	// One query feeds both the map (every country) and the table (the top).
	countries := d.breakdownJob(site, v, l, specCountries, base, 300, func(all breakdown) {
		o.Map.V = newWorldMap(all, v, l, base)
		top := all
		if len(top.Rows) > overviewRows {
			top.Rows = top.Rows[:overviewRows]
			top.More = len(all.Rows) - overviewRows
		}
		o.Countries.V = top
	}, &o.Countries.Err)
	countries.alsoErr = &o.Map.Err
	jobs = append(jobs, countries)
	d.runJobs(ctx, site, l, jobs)
	wg.Wait()
	return o
}

// panelJob is a panel's stats queries and what it makes of their answers.
type panelJob struct {
	reqs []request
	// done builds the panel from the answers, one per request; an error
	// shows in the panel's place (errp, and alsoErr when set).
	done    func(ts []table, errs []error) error
	errp    *string
	alsoErr *string
}

// batchStats is the engine's way to answer several queries at once, when
// it has one (*stats.Engine does).
type batchStats interface {
	RunMany(ctx context.Context, site aggregator.Site, qs []stats.Query, now time.Time) ([]stats.Result, []error)
}

// runJobs answers the panels' queries, together when the engine can, and
// builds the panels. Without a batch, or when the batch's statement
// fails, each panel asks on its own, so one panel's trouble stays in its
// place.
func (d *Dashboard) runJobs(ctx context.Context, site aggregator.Site, l i18n.Lang, jobs []panelJob) {
	finish := func(j panelJob, ts []table, errs []error) {
		if err := j.done(ts, errs); err != nil {
			*j.errp = d.panelError(l, site, err)
			if j.alsoErr != nil {
				*j.alsoErr = *j.errp
			}
		}
	}
	if b, ok := d.stats.(batchStats); ok {
		var reqs []request
		for _, j := range jobs {
			reqs = append(reqs, j.reqs...)
		}
		bctx, cancel := context.WithTimeout(ctx, d.opts.PanelTimeout)
		ts, errs := d.queries(bctx, b, site, reqs)
		cancel()
		if !failedTogether(errs) {
			i := 0
			for _, j := range jobs {
				n := len(j.reqs)
				finish(j, ts[i:i+n], errs[i:i+n])
				i += n
			}
			return
		}
	}
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, d.opts.PanelTimeout)
			defer cancel()
			ts, errs := make([]table, len(j.reqs)), make([]error, len(j.reqs))
			var inner sync.WaitGroup
			for i, r := range j.reqs {
				inner.Go(func() { ts[i], errs[i] = d.query(ctx, site, r) })
			}
			inner.Wait()
			finish(j, ts, errs)
		})
	}
	wg.Wait()
}

// failedTogether says whether a batch failed as one (its statement), not
// query by query: then each panel asks again on its own.
func failedTogether(errs []error) bool {
	if len(errs) < 2 {
		return false
	}
	for _, err := range errs {
		var qe *stats.QueryError
		if err == nil || errors.As(err, &qe) || errors.Is(err, context.DeadlineExceeded) {
			return false
		}
	}
	return true
}

// overviewRows is how many rows a breakdown shows on the overview; the CSV
// export has them all.
const overviewRows = 10

// panelError is what a panel shows instead of its numbers.
func (d *Dashboard) panelError(l i18n.Lang, site aggregator.Site, err error) string {
	var qe *stats.QueryError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		d.log.Warn("dashboard: panel timed out", "site", site.Domain, "timeout", d.opts.PanelTimeout)
		return l.T("panel.timeout")
	case errors.As(err, &qe):
		return qe.Msg
	case errors.Is(err, errPageFilter):
		return l.T("panel.page_filter")
	}
	d.log.Error("dashboard: panel failed", "site", site.Domain, "err", err)
	return l.T("panel.failed")
}

// kpi is one tile: a metric, its value and its change.
type kpi struct {
	Key    string // metric
	Value  string
	Change string // "+12 %", or "" without a previous value
	Good   bool   // the change is for the better
	Bad    bool
	Prev   string
	NA     bool // not available for this view (a visit metric filtered by page)
}

var kpiMetrics = []string{"visitors", "visits", "pageviews", "views_per_visit", "bounce_rate", "visit_duration"}

// kpiSet is the row of tiles; Withheld when the filters leave fewer than
// K visitors, so nothing can be shown.
type kpiSet struct {
	Tiles    []kpi
	Withheld bool
	K        int
}

func (d *Dashboard) kpisJob(site aggregator.Site, v view, l i18n.Lang, p *panel[kpiSet]) panelJob {
	metrics := kpiMetrics
	if v.Has("event:page") {
		// Visit metrics are not split by page: the tiles show what is.
		metrics = []string{"visitors", "pageviews"}
	}
	return panelJob{
		// The engine's comparison: the same length just before, cut at the
		// same time of day when the range runs to now.
		reqs: []request{{metrics: metrics, from: v.From, to: v.To, filters: v.Filters, compare: true}},
		errp: &p.Err,
		done: func(ts []table, errs []error) error {
			if errs[0] != nil {
				return errs[0]
			}
			p.V = kpisFrom(metrics, ts[0], l)
			p.V.K = site.K
			return nil
		},
	}
}

func kpisFrom(metrics []string, cur table, l i18n.Lang) kpiSet {
	pick := func(vals func(tableRow) []float64, m string) (float64, bool) {
		i := slices.Index(metrics, m)
		if i < 0 || len(cur.rows) == 0 || i >= len(vals(cur.rows[0])) {
			return 0, false
		}
		return vals(cur.rows[0])[i], true
	}
	now := func(r tableRow) []float64 { return r.vals }
	prev := func(r tableRow) []float64 { return r.prev }
	out := make([]kpi, 0, len(kpiMetrics))
	for _, m := range kpiMetrics {
		k := kpi{Key: m, Value: "–"}
		value, ok := pick(now, m)
		switch {
		case !slices.Contains(metrics, m):
			k.NA = true
		case ok || !cur.withheld:
			k.Value = formatMetric(l, m, value)
		}
		if before, ok := pick(prev, m); ok && before > 0 && !k.NA && !cur.withheld {
			pct := (value - before) / before * 100
			k.Change = l.Change(pct, true)
			k.Prev = formatMetric(l, m, before)
			up, down := math.Round(pct) > 0, math.Round(pct) < 0
			if m == "bounce_rate" {
				up, down = down, up
			}
			k.Good, k.Bad = up, down
		}
		out = append(out, k)
	}
	return kpiSet{Tiles: out, Withheld: cur.withheld}
}

// formatMetric writes a metric's value the way the language writes it.
func formatMetric(l i18n.Lang, metric string, v float64) string {
	switch metric {
	case "bounce_rate":
		return l.Percent(v)
	case "visit_duration":
		return l.Duration(v)
	case "views_per_visit":
		return l.Number(v, 2)
	}
	return l.Int(int64(math.Round(v)))
}
