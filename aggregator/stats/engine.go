package stats

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/store"
)

// Engine answers stats queries from the aggregate tables.
type Engine struct {
	read store.Store
}

// New is an engine reading through read, a store whose default database is
// the aggregates database (on a server, as a user that may read nothing
// else).
func New(read store.Store) *Engine { return &Engine{read: read} }

// Result is the answer to a query, shaped as Plausible's.
type Result struct {
	Results []Row `json:"results"`
	Meta    Meta  `json:"meta"`
	Query   Query `json:"query"`
}

// Row is one group: its dimension values and metrics, in the order the
// query named them.
type Row struct {
	Metrics    []any       `json:"metrics"`
	Dimensions []any       `json:"dimensions"`
	Comparison *Comparison `json:"comparison,omitempty"`
}

// Comparison is the previous period's metrics and the change: a percentage
// (bounce_rate: the difference in points).
type Comparison struct {
	Dimensions []any `json:"dimensions"`
	Metrics    []any `json:"metrics"`
	Change     []any `json:"change"`
}

// Meta says what the rows do not.
type Meta struct {
	// TimeLabels are every bucket of the time dimension (include.time_labels).
	TimeLabels []string `json:"time_labels,omitempty"`
	// TotalRows counts the rows before pagination (include.total_rows).
	TotalRows *int `json:"total_rows,omitempty"`
	// K is the site's threshold: every row returned has at least K visitors.
	K int `json:"k"`
	// SuppressedRows counts the groups held back by k-anonymity: folded
	// into an "(other)" row, or dropped.
	SuppressedRows int `json:"suppressed_rows"`
	// Withheld says why nothing is shown, when the query's population (or
	// what its filters leave out) is smaller than K.
	Withheld string `json:"withheld,omitempty"`
	// ComparisonDateRange is the compared period, first and last second.
	ComparisonDateRange []string `json:"comparison_date_range,omitempty"`
	// ComparisonWithheld says why the comparison is empty.
	ComparisonWithheld string `json:"comparison_withheld,omitempty"`
	// Table is the aggregate table that answered (for tests and logs).
	Table string `json:"-"`
}

// OtherValue names the row that holds the groups too small to show.
const OtherValue = "(other)"

// Run answers q for site at time now. A query the engine will not answer
// is a *QueryError.
func (e *Engine) Run(ctx context.Context, site aggregator.Site, q Query, now time.Time) (Result, error) {
	if err := q.validate(); err != nil {
		return Result{}, err
	}
	if !strings.EqualFold(strings.TrimSpace(q.SiteID), site.Domain) {
		return Result{}, queryErrorf("The query is for site `%s`, not `%s`.", clip(q.SiteID), site.Domain)
	}
	pl, err := e.plan(ctx, site, q, now)
	if err != nil {
		return Result{}, err
	}
	res := Result{Results: []Row{}, Meta: Meta{K: pl.k, Table: pl.table.hourly}, Query: echo(q, pl)}
	if pl.interval == "hour" && pl.p.days() > maxHourDays {
		return Result{}, queryErrorf("Dimension `time:hour` covers at most %d days; ask for time:day over %s.", maxHourDays, q.DateRange)
	}

	// The main query, the population check of a filtered breakdown and
	// the comparison run at once.
	var (
		wg                      sync.WaitGroup
		rows                    []aggRow
		population, previous    *aggRow
		mainErr, popErr, cmpErr error
		prevPlan                plan
	)
	wg.Go(func() { rows, mainErr = e.fetch(ctx, pl) })
	if len(pl.filters) > 0 && (len(pl.keys) > 0 || pl.interval != "") {
		wg.Go(func() { population, popErr = e.totals(ctx, pl) })
	}
	if q.Include.Comparisons != nil {
		prevPlan = pl
		prevPlan.p = pl.p.previous(now)
		wg.Go(func() { previous, cmpErr = e.totals(ctx, prevPlan) })
	}
	wg.Wait()
	if err := errors.Join(mainErr, popErr, cmpErr); err != nil {
		return Result{}, fmt.Errorf("stats: %s: %w", site.Domain, err)
	}

	if population != nil {
		if why := pl.withheld(*population); why != "" {
			res.Meta.Withheld = why
			res.Meta.SuppressedRows = len(rows)
			return finish(res, q, pl, nil), nil
		}
	}
	var (
		out    []resultRow
		failed int
	)
	for _, r := range rows {
		if why := pl.withheld(r); why != "" {
			failed++
			if len(rows) == 1 && pl.interval == "" && len(pl.keys) == 0 {
				res.Meta.Withheld = why
			}
			continue
		}
		out = append(out, pl.resultRow(r, false))
	}
	res.Meta.SuppressedRows = failed
	// Held-back groups fold into "(other)" (per bucket), shown when the
	// fold itself passes. The fold costs a second pass, so it runs only
	// when the page of results could reach it: it sorts last.
	offset, limit := q.Pagination.Offset, q.Pagination.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	if failed > 0 && len(pl.keys) > 0 && (q.Include.TotalRows || offset+limit > len(out)) {
		sql, args := pl.foldSQL()
		folded, err := e.query(ctx, pl, sql, args, true)
		if err != nil {
			return Result{}, fmt.Errorf("stats: %s: %w", site.Domain, err)
		}
		for _, r := range folded {
			if !r.kept && pl.withheld(r) == "" {
				out = append(out, pl.resultRow(r, true))
			}
		}
	}
	if previous != nil && len(out) == 1 {
		res.Meta.ComparisonDateRange = prevPlan.p.iso()
		c := &Comparison{Dimensions: []any{}, Metrics: make([]any, len(q.Metrics)), Change: make([]any, len(q.Metrics))}
		if why := prevPlan.withheld(*previous); why != "" {
			res.Meta.ComparisonWithheld = why
		} else {
			prev := pl.resultRow(*previous, false)
			for i, m := range q.Metrics {
				c.Metrics[i] = prev.metrics[i]
				c.Change[i] = change(m, prev.values[i], out[0].values[i])
			}
		}
		out[0].comparison = c
	}
	return finish(res, q, pl, out), nil
}

// plan resolves the query against the site and the catalogue.
func (e *Engine) plan(ctx context.Context, site aggregator.Site, q Query, now time.Time) (plan, error) {
	loc := site.Location()
	p, err := resolvePeriod(q.DateRange, loc, now, func() (time.Time, error) { return e.firstHour(ctx, site.Domain) })
	if err != nil {
		return plan{}, err
	}
	pl := plan{site: site.Domain, p: p, filters: q.Filters, k: max(site.K, 1), metrics: q.Metrics, dims: q.Dimensions}
	for _, d := range q.Dimensions {
		if isTimeDimension(d) {
			pl.interval = p.interval(d)
			continue
		}
		pl.keys = append(pl.keys, dimensions[d])
	}
	cols := pl.columns()
	if slices.Contains(cols, "page") {
		pl.scope = eventScope
	}
	t, ok := navigate(pl.scope, cols)
	if !ok {
		return plan{}, queryErrorf("No aggregate table holds %s together.", strings.Join(cols, ", "))
	}
	pl.table = t
	return pl, nil
}

// firstHour is the first hour with visits of the site, or zero.
func (e *Engine) firstHour(ctx context.Context, site string) (time.Time, error) {
	rows, err := e.read.Query(ctx, "SELECT min(hour), count() FROM visits_total_hourly WHERE site = ?", site)
	if err != nil {
		return time.Time{}, fmt.Errorf("stats: first day of %s: %w", site, err)
	}
	var t time.Time
	var n uint64
	if rows.Next() {
		if err := rows.Scan(&t, &n); err != nil {
			return time.Time{}, err
		}
	}
	if n == 0 {
		return time.Time{}, nil
	}
	return t, nil
}

// aggRow is a row as the aggregate query returns it.
type aggRow struct {
	bucket   time.Time
	kept     bool
	keys     []string
	visitors int64
	sums     map[string]int64
	n        int
	// The complement: the same group where the filters do not hold.
	cVisitors int64
	cSums     map[string]int64
}

// count is the row's visitors for k-anonymity and for the visitors
// metric: uniq, but never more than the row's visits (or events). A visit
// whose exit page changed as it grew leaves its visitor in the old exit
// page's uniq state while its visits there cancel out; the bound takes
// such stale visitors out where it can.
func (pl plan) count(visitors int64, sums map[string]int64) int64 {
	return max(0, min(visitors, sums[pl.activity()]))
}

// withheld says why a row (or a query's population) may not be shown:
// fewer than k visitors, or, under filters, a complement that is not empty
// but smaller than k (subtracting the row from the unfiltered one would
// reveal it).
func (pl plan) withheld(r aggRow) string {
	if v := pl.count(r.visitors, r.sums); v < int64(pl.k) {
		if len(pl.filters) > 0 {
			return fmt.Sprintf("Fewer than %d visitors match the filters in this period; so few are not shown.", pl.k)
		}
		return fmt.Sprintf("Fewer than %d visitors in this period; so few are not shown.", pl.k)
	}
	if len(pl.filters) > 0 {
		if c := pl.count(r.cVisitors, r.cSums); c > 0 && c < int64(pl.k) {
			return fmt.Sprintf("Fewer than %d visitors are left out by the filters in this period; the numbers would reveal them by difference, so they are not shown.", pl.k)
		}
	}
	return ""
}

// fetch runs the main query.
func (e *Engine) fetch(ctx context.Context, pl plan) ([]aggRow, error) {
	sql, args := pl.flatSQL()
	rows, err := e.query(ctx, pl, sql, args, false)
	if err != nil {
		return nil, err
	}
	if len(rows) > maxRows {
		return nil, queryErrorf("The breakdown has more than %d rows; narrow it with a filter or a shorter date range.", maxRows)
	}
	return rows, nil
}

// totals runs the plan without dimensions: the population of a filtered
// query, or the previous period.
func (e *Engine) totals(ctx context.Context, pl plan) (*aggRow, error) {
	pl.keys, pl.interval = nil, ""
	if t, ok := navigate(pl.scope, pl.columns()); ok {
		pl.table = t
	}
	rows, err := e.fetch(ctx, pl)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return &aggRow{sums: map[string]int64{}, cSums: map[string]int64{}}, nil
	}
	return &rows[0], nil
}

func (e *Engine) query(ctx context.Context, pl plan, sql string, args []any, folded bool) ([]aggRow, error) {
	rows, err := e.read.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	metrics := pl.metricColumns()
	filtered := len(pl.filters) > 0
	out := make([]aggRow, 0, rows.Len())
	for _, v := range rows.Values {
		r := aggRow{kept: !folded, n: 1, sums: map[string]int64{}, cSums: map[string]int64{}}
		i := 0
		if pl.interval != "" {
			r.bucket, _ = v[i].(time.Time)
			i++
		}
		if folded {
			r.kept = toInt(v[i]) == 1
			i++
		}
		for range pl.keys {
			s, _ := v[i].(string)
			r.keys = append(r.keys, s)
			i++
		}
		r.visitors = toInt(v[i])
		i++
		for _, m := range metrics {
			r.sums[m] = toInt(v[i])
			i++
		}
		if folded {
			r.n = int(toInt(v[i]))
			i++
		}
		if filtered {
			r.cVisitors = toInt(v[i])
			i++
			for _, m := range metrics {
				r.cSums[m] = toInt(v[i])
				i++
			}
		}
		out = append(out, r)
	}
	return out, nil
}

func toInt(v any) int64 {
	switch v := v.(type) {
	case int64:
		return v
	case uint64:
		if v > math.MaxInt64 {
			return math.MaxInt64
		}
		return int64(v)
	case float64:
		return int64(v)
	case bool:
		if v {
			return 1
		}
	}
	return 0
}

// resultRow is a row on its way out: shown values, and numbers to sort by.
type resultRow struct {
	dims       []any
	metrics    []any
	values     []float64
	other      bool
	comparison *Comparison
}

// resultRow computes the query's dimensions and metrics of an aggregate
// row.
func (pl plan) resultRow(r aggRow, other bool) resultRow {
	out := resultRow{other: other, dims: make([]any, 0, len(pl.dims)), metrics: make([]any, len(pl.metrics)), values: make([]float64, len(pl.metrics))}
	k := 0
	for _, d := range pl.dims {
		switch {
		case isTimeDimension(d):
			out.dims = append(out.dims, pl.p.bucketLabel(pl.interval, r.bucket))
		case other:
			out.dims = append(out.dims, OtherValue)
			k++
		default:
			v := r.keys[k]
			k++
			switch {
			case v == "":
				v = noneValue
			case dimensions[d].countryName:
				v = countryName(v)
			}
			out.dims = append(out.dims, v)
		}
	}
	visits := float64(r.sums["visits"])
	ratio := func(a string) float64 {
		if visits <= 0 {
			return 0
		}
		return float64(r.sums[a]) / visits
	}
	for i, m := range pl.metrics {
		var v float64
		switch m {
		case MetricVisitors:
			v = float64(pl.count(r.visitors, r.sums))
		case MetricVisits, MetricPageviews, MetricEvents:
			v = float64(max(0, r.sums[m]))
		case MetricBounceRate:
			v = math.Round(ratio("bounces") * 100)
		case MetricVisitDuration:
			v = math.Round(ratio("duration"))
		case MetricViewsPerVisit:
			v = math.Round(ratio("pageviews")*100) / 100
		}
		out.values[i] = v
		if m == MetricViewsPerVisit {
			out.metrics[i] = v
		} else {
			out.metrics[i] = int64(v)
		}
	}
	return out
}

// change is Plausible's comparison: percent change, or for bounce_rate the
// difference in points.
func change(metric string, old, now float64) any {
	if metric == MetricBounceRate {
		if old > 0 {
			return int64(math.Round(now - old))
		}
		return nil
	}
	switch {
	case old == 0 && now > 0:
		return int64(100)
	case old == 0:
		return int64(0)
	}
	return int64(math.Round((now - old) / old * 100))
}

// finish labels, orders and pages the rows.
func finish(res Result, q Query, pl plan, rows []resultRow) Result {
	if q.Include.TimeLabels && pl.interval != "" {
		res.Meta.TimeLabels = pl.p.labels(pl.interval)
		if len(pl.keys) == 0 && res.Meta.Withheld == "" {
			// Buckets without a row (empty, or held back) read zero.
			seen := map[any]bool{}
			for _, r := range rows {
				seen[r.dims[0]] = true
			}
			for _, l := range res.Meta.TimeLabels {
				if !seen[l] {
					z := pl.resultRow(aggRow{sums: map[string]int64{}}, false)
					z.dims[0] = l
					rows = append(rows, z)
				}
			}
		}
	}
	order := orderOf(q)
	slices.SortStableFunc(rows, func(a, b resultRow) int {
		if a.other != b.other {
			if a.other {
				return 1
			}
			return -1
		}
		for _, o := range order {
			c := 0
			if i := slices.Index(q.Metrics, o.Key); i >= 0 {
				c = cmp.Compare(a.values[i], b.values[i])
			} else if i := slices.Index(q.Dimensions, o.Key); i >= 0 {
				c = cmp.Compare(fmt.Sprint(a.dims[i]), fmt.Sprint(b.dims[i]))
			}
			if o.Direction == "desc" {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		for i := range a.dims {
			if c := cmp.Compare(fmt.Sprint(a.dims[i]), fmt.Sprint(b.dims[i])); c != 0 {
				return c
			}
		}
		return 0
	})
	if q.Include.TotalRows {
		n := len(rows)
		res.Meta.TotalRows = &n
	}
	offset, limit := q.Pagination.Offset, q.Pagination.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	if offset > len(rows) {
		offset = len(rows)
	}
	rows = rows[offset:min(len(rows), offset+limit)]
	for _, r := range rows {
		res.Results = append(res.Results, Row{Metrics: r.metrics, Dimensions: r.dims, Comparison: r.comparison})
	}
	return res
}

// echo is the query as answered: the range resolved, defaults filled in.
func echo(q Query, pl plan) Query {
	q.DateRange = DateRange{From: pl.p.iso()[0], To: pl.p.iso()[1]}
	if q.Dimensions == nil {
		q.Dimensions = []string{}
	}
	if q.Filters == nil {
		q.Filters = []Filter{}
	}
	if q.Pagination.Limit == 0 {
		q.Pagination.Limit = DefaultLimit
	}
	q.OrderBy = orderOf(q)
	return q
}

// orderOf is the query's order, or the default: the time dimension
// ascending, else the first metric descending.
func orderOf(q Query) []OrderBy {
	if len(q.OrderBy) > 0 {
		return q.OrderBy
	}
	for _, d := range q.Dimensions {
		if isTimeDimension(d) {
			return []OrderBy{{Key: d, Direction: "asc"}}
		}
	}
	return []OrderBy{{Key: q.Metrics[0], Direction: "desc"}}
}
