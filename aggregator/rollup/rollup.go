// Package rollup re-derives a site's aggregates from the raw events still
// kept, for `varde rollup rebuild`: after a schema change, or to repair. It
// clears the site's rows of the aggregate tables fed from visits for whole
// UTC days, then lets the sessionizer rewrite those days' visits, which
// the materialized views fold into the aggregates again.
package rollup

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/sessions"
	"github.com/varde/varde/aggregator/stats"
	"github.com/varde/varde/aggregator/store"
)

// notFromVisits are aggregate tables fed from other sources (raw events,
// consent records) that a rebuild from visits must leave alone.
var notFromVisits = []string{"realtime_minutely", "consent_hourly"}

// Rebuild re-derives the aggregates of site for the UTC days from from's to
// to's. progress, when set, hears (done, total) steps.
func Rebuild(ctx context.Context, st store.Store, sz *sessions.Sessionizer, site string, from, to time.Time, progress func(done, total int)) (sessions.Rebuilt, error) {
	days := sessions.Days(from, to)
	if len(days) == 0 {
		return sessions.Rebuilt{}, fmt.Errorf("rollup: no days between %s and %s", from.Format(time.DateOnly), to.Format(time.DateOnly))
	}
	agg, err := aggregator.AggregateDatabase(ctx, st)
	if err != nil {
		return sessions.Rebuilt{}, err
	}
	var tables []string
	for _, t := range stats.AggregateTables() {
		if !slices.Contains(notFromVisits, t) {
			tables = append(tables, t)
		}
	}
	// Clearing is a step per table; the sessionizer reports its own steps
	// after them.
	total := len(tables)
	for i, t := range tables {
		col, err := timeColumn(ctx, st, agg, t)
		if err != nil {
			return sessions.Rebuilt{}, err
		}
		q := fmt.Sprintf("ALTER TABLE `%s`.`%s` DELETE WHERE site = ? AND %s >= ? AND %s < ?", agg, t, col, col)
		lo, hi := any(days[0]), any(days[len(days)-1].Add(24*time.Hour))
		if col == "day" {
			lo, hi = store.Date(days[0]), store.Date(days[len(days)-1].Add(24*time.Hour))
		}
		if err := st.Exec(ctx, q, site, lo, hi); err != nil {
			return sessions.Rebuilt{}, fmt.Errorf("rollup: clear %s: %w", t, err)
		}
		if err := aggregator.WaitMutations(ctx, st, agg, t); err != nil {
			return sessions.Rebuilt{}, err
		}
		if progress != nil {
			progress(i+1, total+len(days))
		}
	}
	return sz.Rebuild(ctx, site, from, to, func(done, n int) {
		if progress != nil {
			progress(total+done*len(days)/max(n, 1), total+len(days))
		}
	})
}

// timeColumn is the table's hour or day column.
func timeColumn(ctx context.Context, st store.Store, db, table string) (string, error) {
	rows, err := st.Query(ctx, "SELECT name FROM system.columns WHERE database = ? AND table = ? AND name IN ('hour', 'day', 'minute')", db, table)
	if err != nil {
		return "", fmt.Errorf("rollup: columns of %s: %w", table, err)
	}
	if !rows.Next() {
		return "", fmt.Errorf("rollup: %s has no hour or day column", table)
	}
	var col string
	rows.Scan(&col)
	return col, nil
}
