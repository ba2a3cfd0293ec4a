package stats

import (
	"cmp"
	"context"
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

	mu     sync.Mutex
	closed map[string]closedAt // by site, see closedDays
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
	res, errs := e.RunMany(ctx, site, []Query{q}, now)
	return res[0], errs[0]
}

// RunMany answers several queries of one site at once, as Run would answer
// each: their statements are sent together, one UNION ALL for each step
// (usually two), so a page of panels costs a few round trips, not one or
// two per panel. A query's error is its own; a failed statement fails the
// queries it served.
func (e *Engine) RunMany(ctx context.Context, site aggregator.Site, qs []Query, now time.Time) ([]Result, []error) {
	var (
		once  sync.Once
		first time.Time
		ferr  error
	)
	firstHour := func() (time.Time, error) {
		once.Do(func() { first, ferr = e.firstHour(ctx, site.Domain) })
		return first, ferr
	}
	jobs := make([]*job, len(qs))
	for i, q := range qs {
		jobs[i] = &job{q: q, now: now}
		jobs[i].plan(site, firstHour)
	}
	var days closed
	if slices.ContainsFunc(jobs, func(j *job) bool { return j.err == nil }) {
		// Without it, every day is read from its states.
		days, _ = e.closedDays(ctx, site.Domain)
	}
	for _, j := range jobs {
		if j.err == nil {
			j.start(days)
		}
	}
	// Top-n breakdowns take two steps (rank, then their candidates);
	// the rest mostly one. The two kinds go their own ways at the same
	// time, so that the candidates are read while the rest still is.
	var topN, rest []*job
	for _, j := range jobs {
		if j.topN {
			topN = append(topN, j)
		} else {
			rest = append(rest, j)
		}
	}
	var wg sync.WaitGroup
	for _, group := range [][]*job{topN, rest} {
		if len(group) > 0 {
			wg.Go(func() { e.drive(ctx, site, group, days) })
		}
	}
	wg.Wait()
	res := make([]Result, len(jobs))
	errs := make([]error, len(jobs))
	for i, j := range jobs {
		res[i], errs[i] = j.res, j.err
	}
	return res, errs
}

// drive runs the jobs step by step, the fetches of each step as one batch,
// until none has anything left to fetch.
func (e *Engine) drive(ctx context.Context, site aggregator.Site, jobs []*job, c closed) {
	for {
		var batch []*fetch
		for _, j := range jobs {
			batch = append(batch, j.pending...)
		}
		if len(batch) == 0 {
			return
		}
		err := e.runBatch(ctx, batch, c)
		for _, j := range jobs {
			if len(j.pending) == 0 {
				continue
			}
			if err != nil {
				j.pending, j.err = nil, fmt.Errorf("stats: %s: %w", site.Domain, err)
				continue
			}
			j.advance()
		}
	}
}

// job is one query on its way through RunMany: each step hands out the
// fetches it needs next (pending) and reads their rows in advance.
type job struct {
	q       Query
	now     time.Time
	pl      plan
	res     Result
	err     error
	pending []*fetch
	next    func()

	main, pop, prev *fetch
	prevPlan        plan

	// The top-n path (see pick): the groups known to be kept or held
	// back without their visitors, and the largest activity of the former.
	topN          bool
	sure, certain int
	maxOut        int64
}

// plan checks the job's query and plans it; on failure, j.err says why.
func (j *job) plan(site aggregator.Site, firstHour func() (time.Time, error)) {
	q := j.q
	if err := q.validate(); err != nil {
		j.err = err
		return
	}
	if !strings.EqualFold(strings.TrimSpace(q.SiteID), site.Domain) {
		j.err = queryErrorf("The query is for site `%s`, not `%s`.", clip(q.SiteID), site.Domain)
		return
	}
	pl, err := plan0(site, q, j.now, firstHour)
	if err != nil {
		j.err = err
		return
	}
	if pl.interval == "hour" && pl.p.days() > maxHourDays {
		j.err = queryErrorf("Dimension `time:hour` covers at most %d days; ask for time:day over %s.", maxHourDays, q.DateRange)
		return
	}
	j.pl = pl
	j.res = Result{Results: []Row{}, Meta: Meta{K: pl.k, Table: pl.table()}, Query: echo(q, pl)}
}

// start hands out the job's first fetches, knowing the site's closed days
// c: the main query, the population check of a filtered breakdown and
// the comparison go out together.
func (j *job) start(c closed) {
	pl, q := j.pl, j.q
	if j.topN = pl.topN(q, c); j.topN {
		j.main = rankFetch(pl)
	} else {
		j.main = flatFetch(pl, false)
	}
	j.pending = []*fetch{j.main}
	if len(pl.filters) > 0 && (len(pl.keys) > 0 || pl.interval != "") {
		j.pop = flatFetch(pl.totals(), false)
		j.pending = append(j.pending, j.pop)
	}
	if q.Include.Comparisons != nil {
		j.prevPlan = pl
		j.prevPlan.p = pl.p.previous(j.now)
		j.prev = flatFetch(j.prevPlan.totals(), false)
		j.pending = append(j.pending, j.prev)
	}
	j.next = j.afterFirst
}

func (j *job) advance() {
	j.pending = nil
	j.next()
}

func (j *job) afterFirst() {
	if !j.topN {
		j.evaluate(j.main.flat())
		return
	}
	rank := j.main.ranks()
	if len(rank) > maxRows {
		j.err = queryErrorf("The breakdown has more than %d rows; narrow it with a filter or a shorter date range.", maxRows)
		return
	}
	cands := j.pick(rank)
	if len(cands) == 0 {
		j.evaluate(nil)
		return
	}
	if len(cands) > maxCandidates {
		j.full()
		return
	}
	pl := j.pl
	pl.only = cands
	j.main = flatFetch(pl, false)
	j.pending = []*fetch{j.main}
	j.next = func() { j.evaluate(j.main.flat()) }
}

// full falls back from the top-n path to reading every group.
func (j *job) full() {
	j.topN = false
	j.main = flatFetch(j.pl, false)
	j.pending = []*fetch{j.main}
	j.next = func() { j.evaluate(j.main.flat()) }
}

// evaluate applies k-anonymity to the rows of the main query and finishes
// the result, or asks for the fold of the held-back groups first.
func (j *job) evaluate(rows []aggRow) {
	pl, q := j.pl, j.q
	if len(rows) > maxRows {
		j.err = queryErrorf("The breakdown has more than %d rows; narrow it with a filter or a shorter date range.", maxRows)
		return
	}
	if j.pop != nil {
		population := j.pop.total()
		if why := pl.withheld(population); why != "" {
			j.res.Meta.Withheld = why
			j.res.Meta.SuppressedRows = len(rows)
			j.res = finish(j.res, q, pl, nil)
			return
		}
	}
	var (
		out    []resultRow
		counts []int64
		failed int
	)
	for _, r := range rows {
		if why := pl.withheld(r); why != "" {
			failed++
			if len(rows) == 1 && pl.interval == "" && len(pl.keys) == 0 {
				j.res.Meta.Withheld = why
			}
			continue
		}
		out = append(out, pl.resultRow(r, false))
		counts = append(counts, pl.count(r.visitors, r.sums))
	}
	// Held-back groups fold into "(other)" (per bucket), shown when the
	// fold itself passes. The fold costs a second pass, so it runs only
	// when the page of results could reach it: it sorts last.
	offset, limit := q.Pagination.Offset, q.Pagination.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	if j.topN {
		// Only the candidates came back: their rows are the answer when
		// no group left out could be on the page or in a fold.
		kept, held := len(out)+j.sure, failed+j.certain
		exact := j.sure == 0
		if !exact && len(counts) >= offset+limit {
			slices.Sort(counts)
			exact = counts[len(counts)-(offset+limit)] > j.maxOut
		}
		if !exact || (held > 0 && offset+limit > kept) {
			j.full()
			return
		}
		failed = held
	}
	j.res.Meta.SuppressedRows = failed
	if failed > 0 && len(pl.keys) > 0 && (q.Include.TotalRows || offset+limit > len(out)) {
		fold := flatFetch(pl, true)
		j.pending = []*fetch{fold}
		j.next = func() {
			for _, r := range fold.flat() {
				if !r.kept && pl.withheld(r) == "" {
					out = append(out, pl.resultRow(r, true))
				}
			}
			j.compare(out)
		}
		return
	}
	j.compare(out)
}

// compare adds the previous period to a totals row, and finishes.
func (j *job) compare(out []resultRow) {
	pl, q := j.pl, j.q
	if j.prev != nil && len(out) == 1 {
		previous := j.prev.total()
		j.res.Meta.ComparisonDateRange = j.prevPlan.p.iso()
		c := &Comparison{Dimensions: []any{}, Metrics: make([]any, len(q.Metrics)), Change: make([]any, len(q.Metrics))}
		if why := j.prevPlan.withheld(previous); why != "" {
			j.res.Meta.ComparisonWithheld = why
		} else {
			prev := pl.resultRow(previous, false)
			for i, m := range q.Metrics {
				c.Metrics[i] = prev.metrics[i]
				c.Change[i] = change(m, prev.values[i], out[0].values[i])
			}
		}
		out[0].comparison = c
	}
	j.res = finish(j.res, q, pl, out)
}

// plan0 resolves the query against the site and the catalogue.
func plan0(site aggregator.Site, q Query, now time.Time, firstHour func() (time.Time, error)) (plan, error) {
	loc := site.Location()
	p, err := resolvePeriod(q.DateRange, loc, now, firstHour)
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
	src, ok := navigate(pl.scope, cols)
	if !ok {
		return plan{}, queryErrorf("No aggregate table holds %s together.", strings.Join(cols, ", "))
	}
	pl.src = src
	return pl, nil
}

// totals is the plan without dimensions: the population of a filtered
// query, or the previous period.
func (pl plan) totals() plan {
	pl.keys, pl.interval, pl.only = nil, "", nil
	if src, ok := navigate(pl.scope, pl.columns()); ok {
		pl.src = src
	}
	return pl
}

// firstHour is the first hour with visits of the site, or zero.
func (e *Engine) firstHour(ctx context.Context, site string) (time.Time, error) {
	rows, err := e.read.Query(ctx, "SELECT min(hour), count() FROM "+totalHourly+" WHERE site = ?", site)
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
	// Rows sort by the query's order, then by their dimensions as text: a
	// total order (no two rows have the same dimensions), so an unstable
	// sort gives the same page every time. The text of each row is made
	// once: a breakdown can have thousands of rows, most of them ties.
	order := orderOf(q)
	type ranked struct {
		resultRow
		text []string
	}
	sorted := make([]ranked, len(rows))
	for i, r := range rows {
		sorted[i].resultRow = r
		sorted[i].text = make([]string, len(r.dims))
		for j, d := range r.dims {
			sorted[i].text[j] = fmt.Sprint(d)
		}
	}
	type key struct {
		metric, dim int
		desc        bool
	}
	keys := make([]key, len(order))
	for i, o := range order {
		keys[i] = key{slices.Index(q.Metrics, o.Key), slices.Index(q.Dimensions, o.Key), o.Direction == "desc"}
	}
	slices.SortFunc(sorted, func(a, b ranked) int {
		if a.other != b.other {
			if a.other {
				return 1
			}
			return -1
		}
		for _, k := range keys {
			c := 0
			if k.metric >= 0 {
				c = cmp.Compare(a.values[k.metric], b.values[k.metric])
			} else if k.dim >= 0 {
				c = cmp.Compare(a.text[k.dim], b.text[k.dim])
			}
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return slices.Compare(a.text, b.text)
	})
	for i := range sorted {
		rows[i] = sorted[i].resultRow
	}
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
