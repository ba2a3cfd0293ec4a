package dashboard

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/stats"
)

// Stats is what the dashboard needs of the read side: queries in the
// stats API's shape, the live count and the consent counts. *stats.Engine
// has it; the interface is declared here, where it is used.
type Stats interface {
	Run(ctx context.Context, site aggregator.Site, q stats.Query, now time.Time) (stats.Result, error)
	Realtime(ctx context.Context, site aggregator.Site, now time.Time) (stats.Realtime, error)
	Consent(ctx context.Context, site aggregator.Site, dr stats.DateRange, interval string, now time.Time) (stats.ConsentResult, error)
}

// request is one query of a panel, in the dashboard's terms.
type request struct {
	metrics    []string
	dims       []string
	from, to   time.Time
	filters    []filter
	limit      int
	timeLabels bool
	compare    bool // the previous period's totals too (tableRow.prev)
}

// table is an answer: rows of dimension values and metric numbers, and
// how many rows k-anonymity held back.
type table struct {
	rows       []tableRow
	suppressed int
	timeLabels []string
	withheld   bool // the filters leave fewer than k visitors: nothing shown
}

type tableRow struct {
	dims []string
	vals []float64
	prev []float64 // the previous period's, when asked and shown
}

// query runs a request through the stats engine.
func (d *Dashboard) query(ctx context.Context, site aggregator.Site, r request) (table, error) {
	res, err := d.stats.Run(ctx, site, r.query(site), d.opts.Now())
	if err != nil {
		return table{}, err
	}
	return tableOf(res), nil
}

// queries runs requests through the engine at once, each with its answer
// or error.
func (d *Dashboard) queries(ctx context.Context, b batchStats, site aggregator.Site, rs []request) ([]table, []error) {
	qs := make([]stats.Query, len(rs))
	for i, r := range rs {
		qs[i] = r.query(site)
	}
	res, errs := b.RunMany(ctx, site, qs, d.opts.Now())
	ts := make([]table, len(rs))
	for i := range rs {
		if errs[i] == nil {
			ts[i] = tableOf(res[i])
		}
	}
	return ts, errs
}

// query is the request in the stats engine's terms: the one place that
// speaks them.
func (r request) query(site aggregator.Site) stats.Query {
	q := stats.Query{
		SiteID:     site.Domain,
		Metrics:    r.metrics,
		DateRange:  stats.DateRange{From: r.from.Format(time.DateOnly), To: r.to.Format(time.DateOnly)},
		Dimensions: r.dims,
		Include:    stats.Include{TimeLabels: r.timeLabels},
		Pagination: stats.Pagination{Limit: r.limit},
	}
	if r.compare {
		q.Include.Comparisons = &stats.Comparisons{Mode: "previous_period"}
	}
	for _, f := range r.filters {
		q.Filters = append(q.Filters, stats.Filter{Op: f.Op, Dimension: f.Dim, Values: []string{f.Value}})
	}
	if len(r.dims) > 0 && len(r.metrics) > 0 && !r.timeLabels {
		q.OrderBy = []stats.OrderBy{{Key: r.metrics[0], Direction: "desc"}, {Key: r.dims[0], Direction: "asc"}}
	}
	return q
}

// tableOf reads an answer of the engine.
func tableOf(res stats.Result) table {
	t := table{suppressed: res.Meta.SuppressedRows, timeLabels: res.Meta.TimeLabels, withheld: res.Meta.Withheld != ""}
	for _, row := range res.Results {
		tr := tableRow{}
		for _, v := range row.Dimensions {
			tr.dims = append(tr.dims, fmt.Sprint(v))
		}
		for _, v := range row.Metrics {
			tr.vals = append(tr.vals, number(v))
		}
		if c := row.Comparison; c != nil && len(c.Metrics) > 0 && c.Metrics[0] != nil {
			// A comparison held back by k-anonymity has no metrics.
			for _, v := range c.Metrics {
				tr.prev = append(tr.prev, number(v))
			}
		}
		t.rows = append(t.rows, tr)
	}
	return t
}

// number reads a metric value as the engine hands it (a Go number, or a
// JSON number after a round trip).
func number(v any) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case float32:
		return float64(n)
	case int:
		return float64(n)
	case int64:
		return float64(n)
	case uint64:
		return float64(n)
	case int32:
		return float64(n)
	case uint32:
		return float64(n)
	case fmt.Stringer:
		f, _ := strconv.ParseFloat(n.String(), 64)
		return f
	case string:
		f, _ := strconv.ParseFloat(n, 64)
		return f
	}
	return 0
}
