package stats

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
)

// Query is a stats query in the shape of Plausible's Stats API v2.
type Query struct {
	SiteID     string     `json:"site_id"`
	Metrics    []string   `json:"metrics"`
	DateRange  DateRange  `json:"date_range"`
	Dimensions []string   `json:"dimensions"`
	Filters    []Filter   `json:"filters"`
	OrderBy    []OrderBy  `json:"order_by"`
	Include    Include    `json:"include"`
	Pagination Pagination `json:"pagination"`
}

// DateRange is a named period ("7d") or two dates (From, To: YYYY-MM-DD,
// both included), in the site's time zone. In a Result's echo of the
// query, From and To are the resolved first and last instants, as
// Plausible writes them.
type DateRange struct {
	Period string
	From   string
	To     string
}

// Periods are the named date ranges.
var Periods = []string{"day", "7d", "28d", "30d", "91d", "month", "6mo", "12mo", "year", "all"}

func (d DateRange) MarshalJSON() ([]byte, error) {
	if d.Period != "" {
		return json.Marshal(d.Period)
	}
	return json.Marshal([]string{d.From, d.To})
}

func (d *DateRange) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*d = DateRange{Period: s}
		return nil
	}
	var pair []string
	if err := json.Unmarshal(b, &pair); err != nil || len(pair) != 2 {
		return queryErrorf("Invalid date range %s: use one of %s, or two dates like [\"2026-01-01\",\"2026-01-31\"].",
			clip(string(b)), strings.Join(Periods, ", "))
	}
	*d = DateRange{From: pair[0], To: pair[1]}
	return nil
}

func (d DateRange) String() string {
	b, _ := d.MarshalJSON()
	return string(b)
}

// OrderBy sorts the results by a queried metric or dimension.
type OrderBy struct {
	Key       string // a metric or dimension of the query
	Direction string // "asc" or "desc"
}

func (o OrderBy) MarshalJSON() ([]byte, error) { return json.Marshal([]string{o.Key, o.Direction}) }

func (o *OrderBy) UnmarshalJSON(b []byte) error {
	var pair []string
	if err := json.Unmarshal(b, &pair); err != nil || len(pair) != 2 {
		return queryErrorf("Invalid order_by entry %s: write [\"visitors\", \"desc\"].", clip(string(b)))
	}
	*o = OrderBy{Key: pair[0], Direction: pair[1]}
	return nil
}

// Include asks for more than the rows.
type Include struct {
	// TimeLabels lists every bucket of the time dimension in meta, and
	// fills the buckets that have no row with zeros.
	TimeLabels bool `json:"time_labels,omitempty"`
	// Comparisons adds the previous period's metrics to each row (totals
	// only).
	Comparisons *Comparisons `json:"comparisons,omitempty"`
	// TotalRows puts the number of rows before pagination in meta.
	TotalRows bool `json:"total_rows,omitempty"`
	// Imports is accepted for Plausible clients and ignored: there is no
	// imported data.
	Imports bool `json:"imports,omitempty"`
}

// Comparisons selects what to compare with: only "previous_period".
type Comparisons struct {
	Mode string `json:"mode"`
}

// Pagination pages through the rows. Limit 0 means DefaultLimit.
type Pagination struct {
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

// Limits of a query.
const (
	MaxQueryBytes   = 64 << 10
	DefaultLimit    = 10000
	MaxLimit        = 10000
	maxDimensions   = 4
	maxFilterNodes  = 50
	maxFilterDepth  = 6
	maxFilterValues = 100
	maxValueBytes   = 1000
)

var queryFields = []string{"site_id", "metrics", "date_range", "dimensions", "filters", "order_by", "include", "pagination"}

// ParseQuery reads a query from its JSON body, strictly: unknown fields,
// unknown metrics, dimensions or operators, bad dates and oversized bodies
// are *QueryError naming what is wrong.
func ParseQuery(body []byte) (Query, error) {
	if len(body) > MaxQueryBytes {
		return Query{}, queryErrorf("The query is larger than %d KB.", MaxQueryBytes>>10)
	}
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&raw); err != nil {
		return Query{}, jsonError("", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Query{}, queryErrorf("The query is not valid JSON: there is more after the object.")
	}
	if raw == nil {
		return Query{}, queryErrorf("The query must be a JSON object like {\"site_id\": \"example.com\", \"metrics\": [\"visitors\"], \"date_range\": \"7d\"}.")
	}
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !slices.Contains(queryFields, k) {
			return Query{}, queryErrorf("Unknown field `%s` in the query; the fields are %s.", clip(k), strings.Join(queryFields, ", "))
		}
	}
	var q Query
	for _, f := range []struct {
		name string
		dst  any
	}{
		{"site_id", &q.SiteID}, {"metrics", &q.Metrics}, {"date_range", &q.DateRange},
		{"dimensions", &q.Dimensions}, {"filters", &q.Filters}, {"order_by", &q.OrderBy},
		{"include", &q.Include}, {"pagination", &q.Pagination},
	} {
		v, ok := raw[f.name]
		if !ok || string(v) == "null" {
			continue
		}
		if err := decodeStrict(v, f.dst); err != nil {
			return Query{}, jsonError(f.name, err)
		}
	}
	if _, ok := raw["site_id"]; !ok {
		return Query{}, queryErrorf("Missing `site_id`: the domain of the site, like example.com.")
	}
	if _, ok := raw["date_range"]; !ok {
		return Query{}, queryErrorf("Missing `date_range`: one of %s, or two dates like [\"2026-01-01\",\"2026-01-31\"].", strings.Join(Periods, ", "))
	}
	if err := q.validate(); err != nil {
		return Query{}, err
	}
	return q, nil
}

func decodeStrict(b []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(dst)
}

// jsonError turns a decoding error into a sentence about the field.
func jsonError(field string, err error) error {
	var qe *QueryError
	if errors.As(err, &qe) {
		return qe
	}
	where := "the query"
	if field != "" {
		where = "`" + field + "`"
	}
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return queryErrorf("The query is not valid JSON: %s (at byte %d).", syntax.Error(), syntax.Offset)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return queryErrorf("The query is not valid JSON: it ends too early.")
	case errors.As(err, &typ):
		if typ.Field != "" {
			return queryErrorf("Invalid %s: `%s` cannot be a %s.", where, typ.Field, typ.Value)
		}
		return queryErrorf("Invalid %s: it cannot be a %s.", where, typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return queryErrorf("Unknown field `%s` in %s.", clip(name), where)
	}
	return queryErrorf("Invalid %s: %s.", where, clip(err.Error()))
}

// validate checks what can be checked without the site: names, shapes,
// limits and combinations. Run checks it again, for queries built in Go.
func (q *Query) validate() error {
	if strings.TrimSpace(q.SiteID) == "" {
		return queryErrorf("Missing `site_id`: the domain of the site, like example.com.")
	}
	if len(q.Metrics) == 0 {
		return queryErrorf("Missing `metrics`: ask for at least one of %s.", strings.Join(Metrics, ", "))
	}
	for i, m := range q.Metrics {
		if !slices.Contains(Metrics, m) {
			return queryErrorf("Unknown metric `%s`; the metrics are %s.", clip(m), strings.Join(Metrics, ", "))
		}
		if slices.Contains(q.Metrics[:i], m) {
			return queryErrorf("Metric `%s` is asked for twice.", m)
		}
	}
	if err := q.DateRange.validate(); err != nil {
		return err
	}
	if len(q.Dimensions) > maxDimensions {
		return queryErrorf("Too many dimensions: at most %d.", maxDimensions)
	}
	timeDims := 0
	for i, d := range q.Dimensions {
		if _, ok := dimensions[d]; !ok && !isTimeDimension(d) {
			return queryErrorf("Unknown dimension `%s`; the dimensions are %s, and time, time:hour, time:day, time:week, time:month.", clip(d), strings.Join(Dimensions, ", "))
		}
		if slices.Contains(q.Dimensions[:i], d) {
			return queryErrorf("Dimension `%s` is asked for twice.", d)
		}
		if isTimeDimension(d) {
			timeDims++
			if timeDims > 1 {
				return queryErrorf("Only one time dimension can be asked for; `%s` is the second.", d)
			}
		}
	}
	nodes := 0
	for _, f := range q.Filters {
		if err := f.validate(1, &nodes); err != nil {
			return err
		}
	}
	for _, o := range q.OrderBy {
		if o.Direction != "asc" && o.Direction != "desc" {
			return queryErrorf("Invalid order_by entry [%q, %q]: the direction is \"asc\" or \"desc\".", clip(o.Key), clip(o.Direction))
		}
		if !slices.Contains(q.Metrics, o.Key) && !slices.Contains(q.Dimensions, o.Key) {
			return queryErrorf("Invalid order_by entry [%q, %q]: `%s` is not a queried metric or dimension.", clip(o.Key), o.Direction, clip(o.Key))
		}
	}
	if q.Include.TimeLabels && timeDims == 0 {
		return queryErrorf("Invalid include.time_labels: it needs a time dimension.")
	}
	if c := q.Include.Comparisons; c != nil {
		if c.Mode != "previous_period" {
			return queryErrorf("Invalid include.comparisons mode %q: only \"previous_period\" is supported.", clip(c.Mode))
		}
		if len(q.Dimensions) > 0 {
			return queryErrorf("Invalid include.comparisons: comparisons are for totals, a query without dimensions.")
		}
	}
	if p := q.Pagination; p.Limit < 0 || p.Limit > MaxLimit || p.Offset < 0 {
		return queryErrorf("Invalid pagination {\"limit\": %d, \"offset\": %d}: the limit is 1 to %d, the offset 0 or more.", p.Limit, p.Offset, MaxLimit)
	}
	return q.validateCombination()
}

// validateCombination enforces which metrics and dimensions go together:
// a query that groups or filters by event:page reads page aggregates, which
// have visitors, pageviews and events but no visits (a visit is not split
// by page) and no exit page (an event does not know how its visit ends).
func (q *Query) validateCombination() error {
	if !q.usesDimension("event:page") {
		return nil
	}
	for _, m := range q.Metrics {
		if slices.Contains(visitOnlyMetrics, m) {
			return queryErrorf("Metric `%s` cannot be queried with `event:page` in dimensions or filters: it is kept per visit, not per page; use visit:entry_page or visit:exit_page, or the metrics visitors, pageviews and events.", m)
		}
	}
	if q.usesDimension("visit:exit_page") {
		return queryErrorf("`visit:exit_page` cannot be combined with `event:page`: a page view does not know where its visit ends.")
	}
	return nil
}

// usesDimension reports whether the query groups or filters by name.
func (q *Query) usesDimension(name string) bool {
	if slices.Contains(q.Dimensions, name) {
		return true
	}
	for _, f := range q.Filters {
		if f.uses(name) {
			return true
		}
	}
	return false
}

func (d DateRange) validate() error {
	if d.Period != "" {
		if !slices.Contains(Periods, d.Period) {
			return queryErrorf("Invalid date range %q: use one of %s, or two dates like [\"2026-01-01\",\"2026-01-31\"].", clip(d.Period), strings.Join(Periods, ", "))
		}
		return nil
	}
	from, err := parseDate(d.From)
	if err != nil {
		return err
	}
	to, err := parseDate(d.To)
	if err != nil {
		return err
	}
	if to.Before(from) {
		return queryErrorf("Invalid date range [%q, %q]: the first date is after the last.", d.From, d.To)
	}
	if to.Sub(from) > maxRangeDays*24*time.Hour {
		return queryErrorf("Invalid date range [%q, %q]: at most %d days.", d.From, d.To, maxRangeDays)
	}
	return nil
}

// maxRangeDays bounds a custom range (about 20 years).
const maxRangeDays = 7305

func parseDate(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || t.Year() < 2000 || t.Year() > 2200 {
		return time.Time{}, queryErrorf("Invalid date range %q: a date reads YYYY-MM-DD, like 2026-01-31.", clip(s))
	}
	return t, nil
}

// clip shortens user input quoted in an error message.
func clip(s string) string {
	const max = 100
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}

// String renders the query as its JSON, for logs and messages.
func (q Query) String() string {
	b, err := json.Marshal(q)
	if err != nil {
		return fmt.Sprintf("%+v", q.SiteID)
	}
	return string(b)
}
