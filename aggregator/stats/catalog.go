package stats

import (
	"fmt"
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
		d := dimension{column: col}
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

// Aggregate tables. These names are the only tables the read side can name.
const (
	totalHourly   = "visits_total_hourly"
	dimsDaily     = "daily_dims"
	pageHourly    = "events_page_hourly"
	visitsWide    = "visits_wide_hourly"
	eventsWide    = "events_wide_hourly"
	realtimeTable = "realtime_minutely"
	consentTable  = "consent_hourly"
	// dimsClosed holds daily_dims's rows of closed days, visitors as
	// counts; closedDays says which days are closed (see batch.go).
	dimsClosed = "closed_dims"
	closedDays = "closed_days"
)

// visitorsFunc and visitorsParams are the aggregate function of the
// visitors states, as the schema declares them.
const (
	visitorsFunc   = "uniqCombined"
	visitorsParams = "(14)"
)

// visitorsMerge names the function that merges visitors states, with more
// combinators after -Merge ("", "If", "State", "StateIf").
func visitorsMerge(combinators string) string {
	return visitorsFunc + "Merge" + combinators + visitorsParams
}

// group is a dimension of daily_dims: its dim value and the columns its
// v1, v2... hold.
type group struct {
	dim     string
	scope   scope
	columns []string
	// few: a dimension of a few values at most (tens, hundreds), whose
	// breakdowns are merged in full; the others rank their groups first
	// (see topN).
	few bool
}

// groups are the dims tables' dimensions, narrowest first within a scope:
// the first that holds every column a query needs answers it.
var groups = []group{
	{dim: "total", scope: visitScope, few: true},
	{dim: "device", scope: visitScope, columns: []string{"device"}, few: true},
	{dim: "browser", scope: visitScope, columns: []string{"browser"}, few: true},
	{dim: "os", scope: visitScope, columns: []string{"os"}, few: true},
	{dim: "source", scope: visitScope, columns: []string{"source"}, few: true},
	{dim: "country", scope: visitScope, columns: []string{"country"}, few: true},
	{dim: "entry_page", scope: visitScope, columns: []string{"entry_page"}},
	{dim: "exit_page", scope: visitScope, columns: []string{"exit_page"}},
	{dim: "browser_version", scope: visitScope, columns: []string{"browser", "browser_version"}},
	{dim: "os_version", scope: visitScope, columns: []string{"os", "os_version"}},
	{dim: "referrer", scope: visitScope, columns: []string{"source", "referrer"}},
	{dim: "utm", scope: visitScope, columns: []string{"utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"}},
	{dim: "geo", scope: visitScope, columns: []string{"country", "region", "region_name", "city"}},
	{dim: "page", scope: eventScope, columns: []string{"page"}},
}

var (
	geoColumns    = []string{"country", "region", "region_name", "city"}
	sourceColumns = []string{"source", "referrer"}
	utmColumns    = []string{"utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"}
	techColumns   = []string{"browser", "browser_version", "os", "os_version", "device"}

	// The wide tables' dimension columns.
	visitsWideColumns = concat([]string{"entry_page", "exit_page"}, sourceColumns, utmColumns, geoColumns, techColumns)
	eventsWideColumns = concat([]string{"page", "entry_page"}, sourceColumns, utmColumns, geoColumns, techColumns)
)

// ColumnDim is a dimension of closed_dims only: one column of a group of
// daily_dims on its own (Dim's v1), for breakdowns by that column, whose
// visitors cannot be added up over the group's rows (a visitor can be in
// two rows of one campaign, with two utm_sources). From names the group
// and Value its column that holds it.
type ColumnDim struct{ Dim, Column, From, Value string }

// ColumnDims are the dimensions of closed_dims that daily_dims does not
// have.
var ColumnDims = []ColumnDim{
	{"col:referrer", "referrer", "referrer", "v2"},
	{"col:utm_source", "utm_source", "utm", "v1"},
	{"col:utm_medium", "utm_medium", "utm", "v2"},
	{"col:utm_campaign", "utm_campaign", "utm", "v3"},
	{"col:utm_content", "utm_content", "utm", "v4"},
	{"col:utm_term", "utm_term", "utm", "v5"},
}

// closedRead is where the closed days of a breakdown by columns are, in
// closed_dims: the daily group's dim when the breakdown is by all of its
// columns, else a dimension of a single column (ColumnDims).
func closedRead(daily read, columns []string) (read, bool) {
	r := daily
	r.table = dimsClosed
	if len(daily.cols) == len(columns) {
		return r, true
	}
	if len(columns) != 1 {
		return read{}, false
	}
	for _, c := range ColumnDims {
		if c.Column == columns[0] {
			r.dim, r.cols = c.Dim, map[string]string{c.Column: "v1"}
			return r, true
		}
	}
	return read{}, false
}

// AggregateTables lists every table the read side may name.
func AggregateTables() []string {
	return []string{totalHourly, dimsDaily, pageHourly, visitsWide, eventsWide, realtimeTable, consentTable, dimsClosed, closedDays}
}

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

func holds(have, need []string) bool {
	for _, c := range need {
		if !slices.Contains(have, c) {
			return false
		}
	}
	return true
}

// read is one table a source reads: its name, the dim it reads of a dims
// table, its time column, and its columns by the names queries use.
type read struct {
	table string
	dim   string // dims tables only
	time  string // "day" (a Date) or "hour"
	cols  map[string]string
	few   bool // the group's few flag
}

func (r read) name() string {
	if r.dim != "" {
		return r.table + "(" + r.dim + ")"
	}
	return r.table
}

// source is where a query's rows come from: whole UTC days from daily (a
// daily_dims dimension) when the query has no time dimension, and hours
// (the range's edges, or all of it) from hourly.
type source struct {
	daily  *read // nil: hours only
	hourly read
}

// dimsRead reads a dimension of a dims table, whose v1, v2... hold the
// group's columns.
func dimsRead(table, time string, g group) *read {
	r := &read{table: table, dim: g.dim, time: time, cols: map[string]string{}, few: g.few}
	for i, c := range g.columns {
		r.cols[c] = fmt.Sprintf("v%d", i+1)
	}
	return r
}

func wideRead(table string, columns []string) read {
	r := read{table: table, time: "hour", cols: map[string]string{}}
	for _, c := range columns {
		r.cols[c] = c
	}
	return r
}

// navigate picks, for the columns a query groups or filters by, the
// narrowest daily_dims dimension for whole days and the narrowest hourly
// table for hours.
func navigate(s scope, columns []string) (source, bool) {
	var src source
	for _, g := range groups {
		if g.scope == s && holds(g.columns, columns) {
			src.daily = dimsRead(dimsDaily, "day", g)
			break
		}
	}
	switch {
	case s == visitScope && len(columns) == 0:
		src.hourly = read{table: totalHourly, time: "hour"}
		return src, true
	case s == eventScope && holds([]string{"page"}, columns):
		src.hourly = wideRead(pageHourly, []string{"page"})
		return src, true
	}
	wide, cols := visitsWide, visitsWideColumns
	if s == eventScope {
		wide, cols = eventsWide, eventsWideColumns
	}
	if !holds(cols, columns) {
		return source{}, false
	}
	src.hourly = wideRead(wide, cols)
	return src, true
}
