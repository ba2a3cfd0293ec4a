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
// consent records) that a rebuild from visits must leave alone, and the
// closed days, which it reopens (see Closer.Reopen).
var notFromVisits = []string{"realtime_minutely", "consent_hourly", "closed_dims", "closed_days"}

// Rebuild re-derives the aggregates of site for the UTC days from from's to
// to's, and closes again the days it reopened as of now. progress, when
// set, hears (done, total) steps.
//
// It changes nothing unless it holds the sessionizer's lease, and never
// clears a day before the first one whose raw events are still kept:
// aggregates outlive raw events, and such days could not be derived again.
func Rebuild(ctx context.Context, st store.Store, sz *sessions.Sessionizer, site string, from, to, now time.Time, progress func(done, total int)) (sessions.Rebuilt, error) {
	if err := sz.Acquire(ctx); err != nil {
		return sessions.Rebuilt{}, err
	}
	first, err := firstRawDay(ctx, st, site)
	if err != nil {
		return sessions.Rebuilt{}, err
	}
	if from.Before(first) {
		from = first
	}
	days := sessions.Days(from, to)
	if len(days) == 0 {
		return sessions.Rebuilt{}, fmt.Errorf("rollup: no raw events of %s are kept between %s and %s; nothing to rebuild from",
			site, from.Format(time.DateOnly), to.Format(time.DateOnly))
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
	// Closed days from the first rebuilt on are read from the aggregates
	// again until they are closed again below.
	closer := Closer{Store: st}
	if err := closer.Reopen(ctx, site, days[0]); err != nil {
		return sessions.Rebuilt{}, err
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
	rebuilt, err := sz.Rebuild(ctx, site, from, to, func(done, n int) {
		if progress != nil {
			progress(total+done*len(days)/max(n, 1), total+len(days))
		}
	})
	if err != nil {
		return rebuilt, err
	}
	if _, err := closer.CloseSite(ctx, site, now); err != nil {
		return rebuilt, err
	}
	return rebuilt, nil
}

// firstRawDay is the UTC day of the site's oldest raw event kept (retention
// drops whole days from the oldest on); with none kept, a day after any.
func firstRawDay(ctx context.Context, st store.Store, site string) (time.Time, error) {
	rows, err := st.Query(ctx, "SELECT count(), min(time) FROM events WHERE site = ?", site)
	if err != nil {
		return time.Time{}, fmt.Errorf("rollup: raw events of %s: %w", site, err)
	}
	var (
		n     uint64
		first time.Time
	)
	if !rows.Next() {
		return time.Time{}, fmt.Errorf("rollup: raw events of %s: no answer", site)
	}
	if err := rows.Scan(&n, &first); err != nil {
		return time.Time{}, fmt.Errorf("rollup: raw events of %s: %w", site, err)
	}
	if n == 0 {
		return time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), nil
	}
	return first.UTC().Truncate(24 * time.Hour), nil
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
