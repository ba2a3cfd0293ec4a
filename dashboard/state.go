package dashboard

import (
	"net/url"
	"slices"
	"strings"
	"time"
)

// view is the state of an overview page, all of it in the query string so
// that a view can be bookmarked and shared: the period (?period=30d, or
// ?period=custom&from=2026-11-01&to=2026-11-20) and the filters
// (?f=visit:country,is,NO, repeatable).
type view struct {
	Period  string
	From    time.Time // first day, in the site's time zone (midnight)
	To      time.Time // last day, included
	Filters []filter
	Today   time.Time
}

// periods are the date picker's choices, in its order.
var periods = []string{"day", "7d", "30d", "month", "6mo", "12mo"}

const defaultPeriod = "30d"

// filter narrows every panel of the page to rows where Dim Op Value.
type filter struct {
	Dim   string
	Op    string // is, is_not, contains, contains_not
	Value string
}

// filterDims are the dimensions a page may be filtered by.
var filterDims = []string{
	"event:page", "visit:entry_page", "visit:exit_page", "visit:source", "visit:referrer",
	"visit:utm_source", "visit:utm_medium", "visit:utm_campaign", "visit:utm_content", "visit:utm_term",
	"visit:country", "visit:region", "visit:city",
	"visit:browser", "visit:browser_version", "visit:os", "visit:os_version", "visit:device",
}

var filterOps = []string{"is", "is_not", "contains", "contains_not"}

// parseView reads the page state from the query string; what it does not
// understand falls back to the default (30 days, no filters), so an old or
// hand-edited link still opens. now is turned into the site's "today".
func parseView(q url.Values, loc *time.Location, now time.Time) view {
	local := now.In(loc)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
	v := view{Period: q.Get("period"), Today: today}
	switch v.Period {
	case "custom":
		from, err1 := time.ParseInLocation(time.DateOnly, q.Get("from"), loc)
		to, err2 := time.ParseInLocation(time.DateOnly, q.Get("to"), loc)
		if to.Before(from) {
			from, to = to, from
		}
		if to.Sub(from) > 3*366*24*time.Hour {
			from = to.AddDate(-3, 0, 0)
		}
		if first := time.Date(2000, 1, 1, 0, 0, 0, 0, loc); from.Before(first) {
			from = first
		}
		if err1 != nil || err2 != nil || to.Before(from) || to.After(today.AddDate(1, 0, 0)) {
			v.Period = defaultPeriod
			break
		}
		v.From, v.To = from, to
	case "day", "7d", "30d", "month", "6mo", "12mo":
	default:
		v.Period = defaultPeriod
	}
	if v.Period != "custom" {
		v.From, v.To = periodRange(v.Period, today)
	}
	for _, raw := range q["f"] {
		if f, ok := parseFilter(raw); ok && len(v.Filters) < 10 {
			v.Filters = append(v.Filters, f)
		}
	}
	return v
}

// periodRange is the first and last day of a named period ending today.
// Every range includes today, so the numbers move while one watches.
func periodRange(period string, today time.Time) (time.Time, time.Time) {
	first := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, today.Location())
	switch period {
	case "day":
		return today, today
	case "7d":
		return today.AddDate(0, 0, -6), today
	case "month":
		return first, today
	case "6mo":
		return first.AddDate(0, -5, 0), today
	case "12mo":
		return first.AddDate(0, -11, 0), today
	}
	return today.AddDate(0, 0, -29), today
}

// days is the number of days in the range.
func (v view) days() int {
	return int(v.To.Sub(v.From).Hours()/24+0.5) + 1
}

// granularity is the chart's bucket: hours for a day, days up to three
// months, weeks up to about seven months, months beyond.
func (v view) granularity() string {
	switch d := v.days(); {
	case d <= 2:
		return "time:hour"
	case d <= 93:
		return "time:day"
	case d <= 190:
		return "time:week"
	}
	return "time:month"
}

func parseFilter(raw string) (filter, bool) {
	parts := strings.SplitN(raw, ",", 3)
	if len(parts) != 3 || !slices.Contains(filterDims, parts[0]) || !slices.Contains(filterOps, parts[1]) ||
		parts[2] == "" || len(parts[2]) > 500 {
		return filter{}, false
	}
	f := filter{Dim: parts[0], Op: parts[1], Value: parts[2]}
	if f.Dim == "visit:country" && (f.Op == "is" || f.Op == "is_not") {
		f.Value = strings.ToUpper(f.Value)
		if len(f.Value) != 2 {
			return filter{}, false
		}
	}
	return f, true
}

func (f filter) String() string { return f.Dim + "," + f.Op + "," + f.Value }

// values is the query string of the view, with its filters replaced by
// those given.
func (v view) values(filters []filter) url.Values {
	q := url.Values{}
	if v.Period != defaultPeriod {
		q.Set("period", v.Period)
	}
	if v.Period == "custom" {
		q.Set("from", v.From.Format(time.DateOnly))
		q.Set("to", v.To.Format(time.DateOnly))
	}
	for _, f := range filters {
		q.Add("f", f.String())
	}
	return q
}

// Query is the view's query string, starting with "?" (or "" for the
// default view).
func (v view) Query() string { return encode(v.values(v.Filters)) }

// WithFilter is the query string with the filter added, replacing any
// filter on the same dimension: what a click on a row leads to.
func (v view) WithFilter(dim, value string) string {
	fs := []filter{}
	for _, f := range v.Filters {
		if f.Dim != dim {
			fs = append(fs, f)
		}
	}
	fs = append(fs, filter{Dim: dim, Op: "is", Value: value})
	return encode(v.values(fs))
}

// Without is the query string without the i-th filter.
func (v view) Without(i int) string {
	fs := slices.Delete(slices.Clone(v.Filters), i, i+1)
	return encode(v.values(fs))
}

// WithoutFilters is the query string with no filters.
func (v view) WithoutFilters() string { return encode(v.values(nil)) }

// WithPeriod is the query string of the same filters over another period.
func (v view) WithPeriod(period string) string {
	w := v
	w.Period = period
	return encode(w.values(v.Filters))
}

// Has reports whether the view filters by dim.
func (v view) Has(dim string) bool {
	return slices.ContainsFunc(v.Filters, func(f filter) bool { return f.Dim == dim })
}

// Value is the value the view filters dim by with "is", or "".
func (v view) Value(dim string) string {
	for _, f := range v.Filters {
		if f.Dim == dim && f.Op == "is" {
			return f.Value
		}
	}
	return ""
}

// encode writes the query string in a fixed order, leaving the characters
// of a filter (: , /) readable: ?period=7d&f=visit:country,is,NO.
func encode(q url.Values) string {
	var b strings.Builder
	for _, k := range []string{"period", "from", "to", "f"} {
		for _, v := range q[k] {
			if b.Len() == 0 {
				b.WriteByte('?')
			} else {
				b.WriteByte('&')
			}
			b.WriteString(k + "=" + readable.Replace(url.QueryEscape(v)))
		}
	}
	return b.String()
}

var readable = strings.NewReplacer("%3A", ":", "%2C", ",", "%2F", "/")
