package stats

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/varde/varde/aggregator/store"
)

// sqlBuf builds a statement and its arguments in step: every `?` written
// gets its argument at the same time, so they cannot drift apart. Values
// reach SQL only as bound arguments; names (tables, columns) come only
// from this package's catalogue.
type sqlBuf struct {
	b    strings.Builder
	args []any
}

func (s *sqlBuf) w(text string, args ...any) {
	if strings.Count(text, "?") != len(args) {
		panic(fmt.Sprintf("stats: %d placeholders for %d arguments in %q", strings.Count(text, "?"), len(args), text))
	}
	s.b.WriteString(text)
	s.args = append(s.args, args...)
}

// plan is a query resolved against the catalogue: which source, which
// range, which buckets and keys.
type plan struct {
	site     string
	scope    scope
	src      source
	p        period
	interval string      // "" when there is no time dimension
	keys     []dimension // non-time dimensions, in query order
	filters  []Filter    // all must hold
	k        int
	metrics  []string // the query's metrics
	dims     []string // the query's dimensions, time included
	// only, when not nil, restricts the one key column to these values
	// (the candidates of a top-n breakdown).
	only []string
}

// metricColumns are the sums the query needs, in the order the builder
// selects them: the activity (visits, or events for pages) always, for
// k-anonymity, and what the metrics are computed from. Reading no more
// keeps merges to the columns a panel shows.
func (pl plan) metricColumns() []string {
	need := map[string]bool{pl.activity(): true}
	for _, m := range pl.metrics {
		switch m {
		case MetricVisits:
			need["visits"] = true
		case MetricPageviews:
			need["pageviews"] = true
		case MetricEvents:
			need["events"] = true
		case MetricViewsPerVisit:
			need["visits"], need["pageviews"] = true, true
		case MetricBounceRate:
			need["visits"], need["bounces"] = true, true
		case MetricVisitDuration:
			need["visits"], need["duration"] = true, true
		}
	}
	var out []string
	for _, c := range sumColumns {
		if need[c] && (pl.scope == visitScope || c == "pageviews" || c == "events") {
			out = append(out, c)
		}
	}
	return out
}

// sumColumns are every sum an aggregate row may carry.
var sumColumns = []string{"visits", "bounces", "duration", "pageviews", "events"}

// activity is the sum that says a row holds anything once cancelled rows
// are taken out: visits, or events for page rows.
func (pl plan) activity() string {
	if pl.scope == eventScope {
		return "events"
	}
	return "visits"
}

// columns are the dimension columns the source must carry.
func (pl plan) columns() []string {
	var cols []string
	for _, d := range pl.keys {
		if !slices.Contains(cols, d.column) {
			cols = append(cols, d.column)
		}
	}
	for _, f := range pl.filters {
		cols = f.columns(cols)
	}
	return cols
}

// table names the source that answers, for tests and logs: the daily one
// when the range has whole days to read from it.
func (pl plan) table() string {
	if _, _, ok := pl.split(); ok {
		return pl.src.daily.name()
	}
	return pl.src.hourly.name()
}

// split is the range's whole UTC days [dFrom, dTo), when the plan reads
// them from a daily source: a query without a time dimension, whose
// range holds at least one whole UTC day. A range that holds now (today,
// the last 30 days with today) holds the whole of now's UTC day as far as
// there is anything in it: that day is read whole too, and dTo may be
// after the range's end.
func (pl plan) split() (dFrom, dTo time.Time, ok bool) {
	if pl.interval != "" || pl.src.daily == nil {
		return
	}
	const day = 24 * time.Hour
	dFrom = pl.p.from.Truncate(day)
	if dFrom.Before(pl.p.from) {
		dFrom = dFrom.Add(day)
	}
	dTo = pl.p.to.Truncate(day)
	if pl.p.cut.Before(pl.p.to) {
		if today := pl.p.cut.Add(-time.Nanosecond).Truncate(day); !today.Before(dFrom) && !today.Before(dTo) {
			dTo = today.Add(day)
		}
	}
	return dFrom, dTo, dFrom.Before(dTo)
}

// writeSource writes the rows of the site and range as a subquery with the
// columns t (the row's UTC hour, when withHour; hourly reads only), the
// dimension columns, the given metric states
// and, when filtered, f (the filters hold). Whole UTC days come from the
// daily source when the plan has one, the edges (or the whole range) from
// the hourly one.
func (pl plan) writeSource(s *sqlBuf, withHour bool, states []string) {
	cols := pl.columns()
	sel := strings.Join(append(slices.Clone(cols), states...), ", ")
	if withHour {
		sel = "t, " + sel
	}
	filtered := len(pl.filters) > 0
	s.w("(SELECT " + sel)
	if filtered {
		s.w(", (")
		writeFilters(s, pl.filters)
		s.w(") AS f")
	}
	s.w(" FROM (")
	part := func(r read, from, to time.Time) {
		var list []string
		if withHour {
			list = append(list, r.time+" AS t")
		}
		for _, c := range cols {
			if phys := r.cols[c]; phys != c {
				list = append(list, phys+" AS "+c)
			} else {
				list = append(list, c)
			}
		}
		list = append(list, states...)
		lo, hi := any(from), any(to)
		if r.time == "day" {
			lo, hi = store.Date(from), store.Date(to)
		}
		s.w("SELECT "+strings.Join(list, ", ")+" FROM "+r.table+" WHERE site = ?", pl.site)
		if r.dim != "" {
			s.w(" AND dim = ?", r.dim)
		}
		s.w(" AND "+r.time+" >= ? AND "+r.time+" < ?", lo, hi)
	}
	if dFrom, dTo, ok := pl.split(); ok {
		part(*pl.src.daily, dFrom, dTo)
		if pl.p.from.Before(dFrom) {
			s.w(" UNION ALL ")
			part(pl.src.hourly, pl.p.from, dFrom)
		}
		if dTo.Before(pl.p.to) {
			s.w(" UNION ALL ")
			part(pl.src.hourly, dTo, pl.p.to)
		}
	} else {
		part(pl.src.hourly, pl.p.from, pl.p.to)
	}
	s.w("))")
}

// states are the state columns a query of the plan merges.
func (pl plan) states() []string {
	return append(pl.metricColumns(), "visitors")
}

// writeBucket writes the time bucket of t in the site's zone.
func (pl plan) writeBucket(s *sqlBuf) {
	tz := pl.p.loc.String()
	switch pl.interval {
	case "hour":
		s.w("t")
	case "day":
		s.w("toDate(t, ?)", tz)
	case "week":
		s.w("toMonday(t, ?)", tz)
	case "month":
		s.w("toStartOfMonth(t, ?)", tz)
	}
}

// writeAggregates writes the merged metrics of the rows where cond holds
// (all rows when cond is ""), each named prefix+metric. The visitors
// column is a state when state is set, for folding.
func (pl plan) writeAggregates(s *sqlBuf, cond, prefix string, state bool) {
	suffix, arg := "", ""
	if cond != "" {
		suffix, arg = "If", ", "+cond
	}
	uniq := suffix
	if state {
		uniq = "State" + suffix
	}
	s.w(visitorsMerge(uniq) + "(visitors" + arg + ") AS " + prefix + "visitors")
	for _, m := range pl.metricColumns() {
		s.w(", sumMerge" + suffix + "(" + m + arg + ") AS " + prefix + m)
	}
}

// flatSQL answers a query group by group: one row per time bucket and
// key (or one row), with the complement's numbers when filtered.
// Columns: [tb], k0..., x_visitors, x_metrics..., [c_visitors,
// c_metrics...].
func (pl plan) flatSQL() (string, []any) {
	var s sqlBuf
	s.w("SELECT ")
	var group []string
	if pl.interval != "" {
		pl.writeBucket(&s)
		s.w(" AS tb, ")
		group = append(group, "tb")
	}
	for i, d := range pl.keys {
		s.w(fmt.Sprintf("%s AS k%d, ", d.column, i))
		group = append(group, fmt.Sprintf("k%d", i))
	}
	filtered := len(pl.filters) > 0
	cond := ""
	if filtered {
		cond = "f"
	}
	pl.writeAggregates(&s, cond, "x_", false)
	if filtered {
		s.w(", ")
		pl.writeAggregates(&s, "NOT f", "c_", false)
	}
	s.w(" FROM ")
	pl.writeSource(&s, pl.interval != "", pl.states())
	if len(group) > 0 {
		s.w(" GROUP BY " + strings.Join(group, ", ") + " HAVING x_" + pl.activity() + " > 0")
		s.w(fmt.Sprintf(" LIMIT %d", maxRows+1))
	}
	return s.b.String(), s.args
}

// maxRows bounds a breakdown's rows before pagination.
const maxRows = 100000

// foldSQL answers a breakdown. The inner query merges each key's rows; a
// key is kept when its visitors (at most its visits, see count) reach k
// and, when filtered, its complement is empty or reaches k too. The outer
// query folds the keys not kept, per time bucket, into one row whose
// visitors are merged exactly (the kept ones came with the main query).
// Columns: [tb], kept (0), o0... (empty), x_visitors, x_metrics...,
// [c_visitors, c_metrics...].
func (pl plan) foldSQL() (string, []any) {
	var s sqlBuf
	filtered := len(pl.filters) > 0
	act := pl.activity()
	s.w("SELECT ")
	if pl.interval != "" {
		s.w("tb, ")
	}
	s.w("kept")
	for i := range pl.keys {
		s.w(fmt.Sprintf(", '' AS o%d", i))
	}
	s.w(", " + visitorsMerge("") + "(i_visitors) AS x_visitors")
	for _, m := range pl.metricColumns() {
		s.w(", sum(i_" + m + ") AS x_" + m)
	}
	if filtered {
		s.w(", " + visitorsMerge("") + "(ic_visitors) AS c_visitors")
		for _, m := range pl.metricColumns() {
			s.w(", sum(ic_" + m + ") AS c_" + m)
		}
	}
	s.w(" FROM (SELECT *, (least(toInt64(finalizeAggregation(i_visitors)), i_"+act+") >= ?", pl.k)
	if filtered {
		s.w(" AND (least(toInt64(finalizeAggregation(ic_visitors)), ic_"+act+") <= 0 OR least(toInt64(finalizeAggregation(ic_visitors)), ic_"+act+") >= ?)", pl.k)
	}
	s.w(") AS kept FROM (SELECT ")
	if pl.interval != "" {
		pl.writeBucket(&s)
		s.w(" AS tb, ")
	}
	for i, d := range pl.keys {
		s.w(fmt.Sprintf("%s AS k%d, ", d.column, i))
	}
	cond := ""
	if filtered {
		cond = "f"
	}
	pl.writeAggregates(&s, cond, "i_", true)
	if filtered {
		s.w(", ")
		pl.writeAggregates(&s, "NOT f", "ic_", true)
	}
	s.w(" FROM ")
	pl.writeSource(&s, pl.interval != "", pl.states())
	s.w(" GROUP BY ")
	if pl.interval != "" {
		s.w("tb, ")
	}
	for i := range pl.keys {
		if i > 0 {
			s.w(", ")
		}
		s.w(fmt.Sprintf("k%d", i))
	}
	s.w(" HAVING i_" + act + " > 0)) WHERE NOT kept GROUP BY ")
	if pl.interval != "" {
		s.w("tb, ")
	}
	s.w("kept")
	for i := range pl.keys {
		s.w(fmt.Sprintf(", o%d", i))
	}
	s.w(fmt.Sprintf(" LIMIT %d", maxRows+1))
	return s.b.String(), s.args
}

// writeFilters writes the conjunction of the filters.
func writeFilters(s *sqlBuf, filters []Filter) {
	for i, f := range filters {
		if i > 0 {
			s.w(" AND ")
		}
		writeFilter(s, f)
	}
}

// noneValue is how an empty value is shown and filtered for.
const noneValue = "(none)"

func writeFilter(s *sqlBuf, f Filter) {
	switch f.Op {
	case OpAnd, OpOr:
		s.w("(")
		for i, g := range f.Filters {
			if i > 0 {
				s.w(" " + strings.ToUpper(f.Op) + " ")
			}
			writeFilter(s, g)
		}
		s.w(")")
		return
	case OpNot:
		s.w("NOT (")
		writeFilter(s, f.Filters[0])
		s.w(")")
		return
	case OpIsNot, OpContainsNot:
		g := f
		g.Op = strings.TrimSuffix(f.Op, "_not")
		s.w("NOT (")
		writeFilter(s, g)
		s.w(")")
		return
	}
	d := dimensions[f.Dimension]
	fold := f.CaseSensitive != nil && !*f.CaseSensitive
	if d.countryName {
		codes := matchCountries(f.Op, f.Values, fold)
		if len(codes) == 0 {
			s.w("0")
			return
		}
		s.w(d.column+" IN ?", store.InStrings(codes))
		return
	}
	values := make([]string, len(f.Values))
	for i, v := range f.Values {
		if v == noneValue {
			v = ""
		}
		if fold {
			v = strings.ToLower(v)
		}
		values[i] = v
	}
	col := d.column
	switch f.Op {
	case OpIs:
		if fold {
			col = "lowerUTF8(" + col + ")"
		}
		s.w(col+" IN ?", store.InStrings(values))
	case OpContains:
		fn := "position"
		if fold {
			fn = "positionCaseInsensitiveUTF8"
		}
		s.w("(")
		for i, v := range values {
			if i > 0 {
				s.w(" OR ")
			}
			s.w(fn+"("+col+", ?) > 0", v)
		}
		s.w(")")
	}
}

// matchCountries are the codes whose names the filter matches.
func matchCountries(op string, values []string, fold bool) []string {
	var out []string
	for code, name := range countryNames {
		n := name
		if fold {
			n = strings.ToLower(n)
		}
		for _, v := range values {
			if fold {
				v = strings.ToLower(v)
			}
			if (op == OpIs && n == v) || (op == OpContains && strings.Contains(n, v)) {
				out = append(out, code)
				break
			}
		}
	}
	for _, v := range values {
		if v == noneValue {
			out = append(out, "")
		}
	}
	slices.Sort(out)
	return out
}
