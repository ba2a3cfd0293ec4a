package stats

import (
	"slices"
	"strings"
)

// Metric names, as the stats API spells them.
const (
	MetricVisitors      = "visitors"
	MetricVisits        = "visits"
	MetricPageviews     = "pageviews"
	MetricViewsPerVisit = "views_per_visit"
	MetricBounceRate    = "bounce_rate"
	MetricVisitDuration = "visit_duration"
	MetricEvents        = "events"
)

// Metrics are the metrics the engine answers, in the order error messages
// list them.
var Metrics = []string{MetricVisitors, MetricVisits, MetricPageviews, MetricViewsPerVisit,
	MetricBounceRate, MetricVisitDuration, MetricEvents}

// visitOnlyMetrics are kept per visit, so they cannot be split by page.
var visitOnlyMetrics = []string{MetricVisits, MetricViewsPerVisit, MetricBounceRate, MetricVisitDuration}

// Time dimensions. "time" picks hour, day, week or month from the length
// of the date range.
const (
	DimTime      = "time"
	DimTimeHour  = "time:hour"
	DimTimeDay   = "time:day"
	DimTimeWeek  = "time:week"
	DimTimeMonth = "time:month"
)

// dimension is a non-time dimension: the aggregate table column it reads,
// and how a value is shown.
type dimension struct {
	name   string
	column string
	// countryName shows the ISO code as the country's English name, and
	// filters by names.
	countryName bool
}

// Dimensions are the non-time dimensions the engine answers.
var Dimensions = []string{
	"event:page", "visit:entry_page", "visit:exit_page", "visit:source", "visit:referrer",
	"visit:utm_source", "visit:utm_medium", "visit:utm_campaign", "visit:utm_content", "visit:utm_term",
	"visit:country", "visit:country_name", "visit:region", "visit:region_name", "visit:city", "visit:city_name",
	"visit:browser", "visit:browser_version", "visit:os", "visit:os_version", "visit:device",
}

var dimensions = func() map[string]dimension {
	m := map[string]dimension{}
	for _, name := range Dimensions {
		col := strings.TrimPrefix(strings.TrimPrefix(name, "event:"), "visit:")
		d := dimension{name: name, column: col}
		switch col {
		case "country_name":
			d.column, d.countryName = "country", true
		case "city_name":
			d.column = "city"
		}
		m[name] = d
	}
	return m
}()

func isTimeDimension(name string) bool {
	switch name {
	case DimTime, DimTimeHour, DimTimeDay, DimTimeWeek, DimTimeMonth:
		return true
	}
	return false
}

// scope is where a query's numbers come from: visits (sessions) or events
// (pages).
type scope int

const (
	visitScope scope = iota
	eventScope
)

// table is an aggregate table: its hourly name, its daily twin if any, and
// the dimension columns it is keyed by. These names are the only tables
// the read side can name.
type table struct {
	hourly  string
	daily   string
	scope   scope
	columns []string
}

var (
	geoColumns    = []string{"country", "region", "region_name", "city"}
	sourceColumns = []string{"source", "referrer"}
	utmColumns    = []string{"utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"}
	techColumns   = []string{"browser", "browser_version", "os", "os_version", "device"}
)

// tables is the aggregate navigator's catalogue, narrowest first within a
// scope: the first table holding every needed column answers.
var tables = []table{
	{hourly: "visits_total_hourly", scope: visitScope},
	{hourly: "visits_device_hourly", daily: "visits_device_daily", scope: visitScope, columns: []string{"device"}},
	{hourly: "visits_entry_hourly", daily: "visits_entry_daily", scope: visitScope, columns: []string{"entry_page"}},
	{hourly: "visits_exit_hourly", daily: "visits_exit_daily", scope: visitScope, columns: []string{"exit_page"}},
	{hourly: "visits_browser_hourly", daily: "visits_browser_daily", scope: visitScope, columns: []string{"browser", "browser_version"}},
	{hourly: "visits_os_hourly", daily: "visits_os_daily", scope: visitScope, columns: []string{"os", "os_version"}},
	{hourly: "visits_source_hourly", daily: "visits_source_daily", scope: visitScope, columns: sourceColumns},
	{hourly: "visits_geo_hourly", daily: "visits_geo_daily", scope: visitScope, columns: geoColumns},
	{hourly: "visits_utm_hourly", daily: "visits_utm_daily", scope: visitScope, columns: utmColumns},
	{hourly: "visits_wide_hourly", scope: visitScope, columns: concat([]string{"entry_page", "exit_page"}, sourceColumns, utmColumns, geoColumns, techColumns)},
	{hourly: "events_page_hourly", daily: "events_page_daily", scope: eventScope, columns: []string{"page"}},
	{hourly: "events_wide_hourly", scope: eventScope, columns: concat([]string{"page", "entry_page"}, sourceColumns, utmColumns, geoColumns, techColumns)},
}

// Tables that are not read through the navigator.
const (
	realtimeTable = "realtime_minutely"
	consentTable  = "consent_hourly"
)

// AggregateTables lists every table the read side may name.
func AggregateTables() []string {
	var out []string
	for _, t := range tables {
		out = append(out, t.hourly)
		if t.daily != "" {
			out = append(out, t.daily)
		}
	}
	return append(out, realtimeTable, consentTable)
}

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// navigate picks the narrowest table of the scope that holds every column.
func navigate(s scope, columns []string) (table, bool) {
	for _, t := range tables {
		if t.scope != s {
			continue
		}
		ok := true
		for _, c := range columns {
			if !slices.Contains(t.columns, c) {
				ok = false
				break
			}
		}
		if ok {
			return t, true
		}
	}
	return table{}, false
}
