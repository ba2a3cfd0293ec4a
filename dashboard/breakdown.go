package dashboard

import (
	"errors"
	"math"
	"net/url"
	"slices"
	"strings"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/stats"
	"github.com/varde/varde/dashboard/i18n"
	"github.com/varde/varde/dashboard/worldmap"
)

// breakdownSpec is one breakdown table: the dimension it groups by (and a
// second one it shows, such as a region's name), and its metrics.
type breakdownSpec struct {
	ID      string // used in URLs (export?breakdown=ID) and element ids
	Dim     string // grouped by, and filtered by on a click
	NameDim string // shown instead of Dim's value when set
	Metrics []string
}

var (
	specPages     = breakdownSpec{ID: "pages", Dim: "event:page", Metrics: []string{"visitors", "pageviews"}}
	specEntry     = breakdownSpec{ID: "entry", Dim: "visit:entry_page", Metrics: []string{"visitors", "visits", "bounce_rate"}}
	specExit      = breakdownSpec{ID: "exit", Dim: "visit:exit_page", Metrics: []string{"visitors", "visits"}}
	specSources   = breakdownSpec{ID: "sources", Dim: "visit:source", Metrics: []string{"visitors", "visits", "bounce_rate"}}
	specReferrers = breakdownSpec{ID: "referrers", Dim: "visit:referrer", Metrics: []string{"visitors", "visits"}}
	specCampaigns = breakdownSpec{ID: "campaigns", Dim: "visit:utm_campaign", Metrics: []string{"visitors", "visits"}}
	specCountries = breakdownSpec{ID: "countries", Dim: "visit:country", Metrics: []string{"visitors", "visits"}}
	specRegions   = breakdownSpec{ID: "regions", Dim: "visit:region", NameDim: "visit:region_name", Metrics: []string{"visitors", "visits"}}
	specCities    = breakdownSpec{ID: "cities", Dim: "visit:city", Metrics: []string{"visitors", "visits"}}
	specBrowsers  = breakdownSpec{ID: "browsers", Dim: "visit:browser", Metrics: []string{"visitors", "visits"}}
	specSystems   = breakdownSpec{ID: "systems", Dim: "visit:os", Metrics: []string{"visitors", "visits"}}
	specDevices   = breakdownSpec{ID: "devices", Dim: "visit:device", Metrics: []string{"visitors", "visits"}}

	// exportable are the breakdowns the CSV export offers, by ID, with a
	// few that the overview has no table for.
	exportable = map[string]breakdownSpec{}
)

func init() {
	for _, s := range []breakdownSpec{specPages, specEntry, specExit, specSources, specReferrers, specCampaigns,
		specCountries, specRegions, specCities, specBrowsers, specSystems, specDevices,
		{ID: "utm_source", Dim: "visit:utm_source", Metrics: []string{"visitors", "visits"}},
		{ID: "utm_medium", Dim: "visit:utm_medium", Metrics: []string{"visitors", "visits"}},
		{ID: "utm_content", Dim: "visit:utm_content", Metrics: []string{"visitors", "visits"}},
		{ID: "utm_term", Dim: "visit:utm_term", Metrics: []string{"visitors", "visits"}},
		{ID: "browser_versions", Dim: "visit:browser_version", Metrics: []string{"visitors", "visits"}},
		{ID: "os_versions", Dim: "visit:os_version", Metrics: []string{"visitors", "visits"}},
	} {
		exportable[s.ID] = s
	}
}

// breakdown is a table ready to show.
type breakdown struct {
	ID         string
	Dim        string
	Metrics    []string
	Rows       []breakdownRow
	Suppressed int // rows k-anonymity held back
	K          int
	More       int    // rows beyond those shown (in the CSV)
	Export     string // the CSV link
	Withheld   bool   // the filters leave fewer than K visitors
}

type breakdownRow struct {
	Label  string
	Title  string // the full value, when Label shortens it
	Link   string // the page filtered by this row; "" for rows one cannot filter by
	Values []string
	Bar    int // width of the row's bar, 0–100, relative to the top row
	Active bool
	value  string  // the dimension's value, as filtered by
	first  float64 // the first metric, unformatted
}

// breakdownJob is the panel of spec: its query, and the table it makes of
// the answer, handed to set.
func (d *Dashboard) breakdownJob(site aggregator.Site, v view, l i18n.Lang, spec breakdownSpec, base string, limit int, set func(breakdown), errp *string) panelJob {
	dims := []string{spec.Dim}
	if spec.NameDim != "" {
		dims = append(dims, spec.NameDim)
	}
	metrics, err := metricsFor(spec.Metrics, spec.Dim, v)
	if err != nil {
		return panelJob{errp: errp, done: func([]table, []error) error { return err }}
	}
	return panelJob{
		reqs: []request{{metrics: metrics, dims: dims, from: v.From, to: v.To, filters: v.Filters, limit: limit}},
		errp: errp,
		done: func(ts []table, errs []error) error {
			if errs[0] != nil {
				return errs[0]
			}
			set(breakdownFrom(ts[0], site, v, l, spec, metrics, base))
			return nil
		},
	}
}

func breakdownFrom(t table, site aggregator.Site, v view, l i18n.Lang, spec breakdownSpec, metrics []string, base string) breakdown {
	b := breakdown{
		ID: spec.ID, Dim: spec.Dim, Metrics: metrics, Suppressed: t.suppressed, K: site.K, Withheld: t.withheld,
		Export: base + "/export" + exportQuery(v, spec.ID),
	}
	top := 0.0
	for _, r := range t.rows {
		if len(r.vals) > 0 {
			top = math.Max(top, r.vals[0])
		}
	}
	current := v.Value(spec.Dim)
	for _, r := range t.rows {
		value := ""
		if len(r.dims) > 0 {
			value = r.dims[0]
		}
		label := displayValue(l, spec.Dim, value)
		if spec.NameDim != "" && len(r.dims) > 1 && r.dims[1] != "" {
			label = r.dims[1]
		}
		row := breakdownRow{Label: label, Active: value != "" && value == current, value: value}
		if len(r.vals) > 0 {
			row.first = r.vals[0]
		}
		if value != "" && value != otherValue && value != noneValue {
			row.Link = base + v.WithFilter(spec.Dim, value)
		}
		if len([]rune(label)) > 60 {
			row.Title = label
			row.Label = string([]rune(label)[:58]) + "…"
		}
		for i, m := range metrics {
			val := 0.0
			if i < len(r.vals) {
				val = r.vals[i]
			}
			row.Values = append(row.Values, formatMetric(l, m, val))
		}
		if top > 0 && len(r.vals) > 0 {
			row.Bar = int(math.Round(r.vals[0] / top * 100))
		}
		b.Rows = append(b.Rows, row)
	}
	return b
}

// otherValue is the row k-anonymity folds small rows into; noneValue is
// the engine's name for an empty value.
const (
	otherValue = stats.OtherValue
	noneValue  = "(none)"
)

// displayValue is how a dimension's value reads in the UI: countries by
// name, device classes translated, an empty value as "(none)".
func displayValue(l i18n.Lang, dim, value string) string {
	switch {
	case value == otherValue:
		return l.T("value.other")
	case (dim == "visit:source" || dim == "visit:referrer") && (value == noneValue || value == "" || value == "Direct / None"):
		return l.T("value.direct")
	case value == "" || value == noneValue:
		return l.T("value.none")
	case dim == "visit:country":
		return worldmap.Name(value, l.Code)
	case dim == "visit:device":
		key := "device." + strings.ToLower(value)
		if l.Has(key) {
			return l.T(key)
		}
	}
	return value
}

// exportQuery is the export link's query string: the view plus the
// breakdown.
func exportQuery(v view, id string) string {
	q := v.Query()
	sep := "?"
	if q != "" {
		sep = "&"
	}
	return q + sep + "breakdown=" + url.QueryEscape(id) + "&format=csv"
}

// visitMetrics are kept per visit: the engine cannot split them by page,
// so a page breakdown, or a view filtered by page, shows visitors and
// pageviews only.
var visitMetrics = []string{"visits", "views_per_visit", "bounce_rate", "visit_duration"}

// errPageFilter is a panel that cannot be shown while the page is
// filtered by page (a page view does not know where its visit ends).
var errPageFilter = errors.New("dashboard: not available with a page filter")

func metricsFor(metrics []string, dim string, v view) ([]string, error) {
	byPage := dim == "event:page" || v.Has("event:page")
	if !byPage {
		return metrics, nil
	}
	if dim == "visit:exit_page" || (dim == "event:page" && v.Has("visit:exit_page")) {
		return nil, errPageFilter
	}
	out := []string{}
	for _, m := range metrics {
		if !slices.Contains(visitMetrics, m) {
			out = append(out, m)
		}
	}
	if !slices.Contains(out, "pageviews") {
		out = append(out, "pageviews")
	}
	return out, nil
}
