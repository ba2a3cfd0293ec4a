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

// plan is a query resolved against the catalogue: which table, which
// range, which buckets and keys.
type plan struct {
	site     string
	scope    scope
	table    table
	p        period
	interval string      // "" when there is no time dimension
	keys     []dimension // non-time dimensions, in query order
	filters  []Filter    // all must hold
	k        int
	metrics  []string // the query's metrics
	dims     []string // the query's dimensions, time included
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
	all := []string{"visits", "bounces", "duration", "pageviews", "events"}
	if pl.scope == eventScope {
		all = []string{"pageviews", "events"}
	}
	var out []string
	for _, c := range all {
		if need[c] {
			out = append(out, c)
		}
	}
	return out
}

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

// writeSource writes the rows of the site and range as a subquery with the
// columns t (the row's UTC hour or day), the dimension columns, the metric
// states and, when filtered, f (the filters hold). Without a time
// dimension, a table with a daily twin reads whole UTC days from it and
// only the edges from the hourly table.
func (pl plan) writeSource(s *sqlBuf) {
	cols := pl.columns()
	sel := strings.Join(append(slices.Clone(cols), append(pl.metricColumns(), "visitors")...), ", ")
	part := func(tbl, timeCol string, from, to time.Time) {
		s.w("SELECT "+timeCol+" AS t, "+sel+" FROM "+tbl+" WHERE site = ? AND "+timeCol+" >= ? AND "+timeCol+" < ?", pl.site, from, to)
	}
	filtered := len(pl.filters) > 0
	s.w("(SELECT t, " + sel)
	if filtered {
		s.w(", (")
		writeFilters(s, pl.filters)
		s.w(") AS f")
	}
	s.w(" FROM (")
	dFrom := pl.p.from.Truncate(24 * time.Hour)
	if dFrom.Before(pl.p.from) {
		dFrom = dFrom.Add(24 * time.Hour)
	}
	dTo := pl.p.to.Truncate(24 * time.Hour)
	if pl.interval == "" && pl.table.daily != "" && dFrom.Before(dTo) {
		part(pl.table.daily, "day", dFrom, dTo)
		if pl.p.from.Before(dFrom) {
			s.w(" UNION ALL ")
			part(pl.table.hourly, "hour", pl.p.from, dFrom)
		}
		if dTo.Before(pl.p.to) {
			s.w(" UNION ALL ")
			part(pl.table.hourly, "hour", dTo, pl.p.to)
		}
	} else {
		part(pl.table.hourly, "hour", pl.p.from, pl.p.to)
	}
	s.w("))")
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
	uniq := "uniqMerge"
	if state {
		uniq = "uniqMergeState"
	}
	s.w(uniq + suffix + "(visitors" + arg + ") AS " + prefix + "visitors")
	for _, m := range pl.metricColumns() {
		s.w(", sumMerge" + suffix + "(" + m + arg + ") AS " + prefix + m)
	}
}

// flatSQL answers a query group by group: one row per time bucket and
// key (or one row), with the complement's numbers when filtered.
// Columns: [bucket], keys..., x_visitors, metrics..., [c_visitors,
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
	pl.writeSource(&s)
	if len(group) > 0 {
		s.w(" GROUP BY " + strings.Join(group, ", ") + " HAVING x_" + pl.activity() + " > 0")
		s.w(fmt.Sprintf(" LIMIT %d", maxRows+1))
	}
	return s.b.String(), s.args
}

// maxRows bounds a breakdown's rows before pagination.
const maxRows = 100000

// foldSQL answers a breakdown. The inner query merges each key's rows; a
// key is kept when its visitors (at most its visits, see visible) reach k
// and, when filtered, its complement is empty or reaches k too. The outer
// query passes kept keys through and folds the others, per time bucket,
// into one row whose visitors are merged exactly (kept = 0, count() = how
// many keys it holds).
// Columns: [bucket], kept, keys..., x_visitors, metrics..., n,
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
		s.w(fmt.Sprintf(", if(kept, k%d, '') AS o%d", i, i))
	}
	s.w(", uniqMerge(i_visitors) AS x_visitors")
	for _, m := range pl.metricColumns() {
		s.w(", sum(i_" + m + ") AS x_" + m)
	}
	s.w(", count() AS n")
	if filtered {
		s.w(", uniqMerge(ic_visitors) AS c_visitors")
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
	pl.writeSource(&s)
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
	s.w(" HAVING i_" + act + " > 0)) GROUP BY ")
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
		writeIn(s, d.column, codes)
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
		writeIn(s, col, values)
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

// writeIn writes col IN (values); one value is an equality, as ClickHouse
// 18.16 does not read the one-element tuple ('x',) that store.In binds.
func writeIn(s *sqlBuf, col string, values []string) {
	if len(values) == 1 {
		s.w(col+" = ?", values[0])
		return
	}
	s.w(col+" IN ?", store.InStrings(values))
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
