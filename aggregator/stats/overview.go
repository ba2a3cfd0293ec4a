package stats

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/varde/varde/aggregator"
)

// Overview is the dashboard's main page: totals with the previous period,
// a time series, and six top-10 breakdowns.
type Overview struct {
	// Totals: visitors, visits, pageviews, views_per_visit, bounce_rate,
	// visit_duration, each with its comparison.
	Totals Result
	// Series: visitors and pageviews per bucket ("time": hours for a day,
	// days up to 92 days, months beyond), every bucket labelled.
	Series Result
	// Top 10 by visitors. Pages also have pageviews; countries have the
	// code and the name as dimensions.
	Pages, Sources, Countries, Browsers, OS, Devices Result
	// Errors holds the panels that could not be answered, by name (for
	// instance "pages" under a filter on visit:exit_page); the others are
	// filled all the same.
	Errors map[string]error
}

// OverviewLimit is how many rows each breakdown of the overview shows.
const OverviewLimit = 10

// OverviewQueries are the queries of the overview, by panel name.
func OverviewQueries(site string, period DateRange, filters []Filter) map[string]Query {
	q := func(metrics []string, dims ...string) Query {
		return Query{SiteID: site, Metrics: metrics, DateRange: period, Dimensions: dims, Filters: filters,
			Pagination: Pagination{Limit: OverviewLimit}}
	}
	visitors := []string{MetricVisitors}
	totals := q([]string{MetricVisitors, MetricVisits, MetricPageviews, MetricViewsPerVisit, MetricBounceRate, MetricVisitDuration})
	totals.Include.Comparisons = &Comparisons{Mode: "previous_period"}
	totals.Pagination = Pagination{}
	series := q([]string{MetricVisitors, MetricPageviews}, DimTime)
	series.Include.TimeLabels = true
	series.Pagination = Pagination{}
	return map[string]Query{
		"totals":    totals,
		"series":    series,
		"pages":     q([]string{MetricVisitors, MetricPageviews}, "event:page"),
		"sources":   q(visitors, "visit:source"),
		"countries": q(visitors, "visit:country", "visit:country_name"),
		"browsers":  q(visitors, "visit:browser"),
		"os":        q(visitors, "visit:os"),
		"devices":   q(visitors, "visit:device"),
	}
}

// Overview runs the overview's queries together (see RunMany). It fails
// only when no panel could be answered; see Overview.Errors.
func (e *Engine) Overview(ctx context.Context, site aggregator.Site, period DateRange, filters []Filter, now time.Time) (Overview, error) {
	queries := OverviewQueries(site.Domain, period, filters)
	names := slices.Sorted(maps.Keys(queries))
	qs := make([]Query, len(names))
	for i, name := range names {
		qs[i] = queries[name]
	}
	res, errs := e.RunMany(ctx, site, qs, now)
	results := map[string]Result{}
	failed := map[string]error{}
	for i, name := range names {
		if errs[i] != nil {
			failed[name] = errs[i]
			continue
		}
		results[name] = res[i]
	}
	ov := Overview{
		Totals: results["totals"], Series: results["series"], Pages: results["pages"], Sources: results["sources"],
		Countries: results["countries"], Browsers: results["browsers"], OS: results["os"], Devices: results["devices"],
	}
	if len(failed) > 0 {
		ov.Errors = failed
	}
	if len(failed) == len(queries) {
		return ov, fmt.Errorf("stats: overview of %s: %w", site.Domain, errors.Join(errs...))
	}
	return ov, nil
}
