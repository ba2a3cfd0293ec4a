package aggregator

import (
	"slices"
	"strings"
	"testing"

	"github.com/varde/varde/aggregator/store"
	"github.com/varde/varde/internal/testenv"
)

// An install from before migration 0006 keeps its breakdowns in the
// day-major tables, also when the migration stopped half way through once
// and ran again: nothing is lost and nothing counts twice.
func TestDayMajorMigration(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, s store.Store) {
		ctx := bg(t)
		all, err := Migrations()
		if err != nil {
			t.Fatal(err)
		}
		at := slices.IndexFunc(all, func(m Migration) bool { return m.Version == 6 })
		if at < 0 {
			t.Fatal("no migration 6")
		}
		if _, err := migrate(ctx, s, all[:at], quiet); err != nil {
			t.Fatal(err)
		}
		agg, err := AggregateDatabase(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		exec := func(q string) {
			t.Helper()
			if err := s.Exec(ctx, strings.ReplaceAll(q, "{{agg}}", "`"+agg+"`")); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		// Seven visitors of one day with a page view each, and the same
		// day closed.
		exec("INSERT INTO {{agg}}.dims_daily SELECT 'a.no', 'page', '/jobs', '', '', '', '', toDate('2026-11-01'), " +
			"sumState(toInt64(0)), sumState(toInt64(0)), sumState(toInt64(0)), sumState(toInt64(1)), sumState(toInt64(1)), " +
			"uniqCombinedState(14)(toUInt64(number)) FROM numbers(7)")
		hours := "[" + strings.TrimSuffix(strings.Repeat("0,", 23), ",") + ",7]"
		exec("INSERT INTO {{agg}}.dims_closed (site, dim, v1, v2, v3, v4, v5, day, visits, bounces, duration, pageviews, events, visitors, " +
			"first_hour, last_hour, visits_h, bounces_h, duration_h, pageviews_h, events_h, carried, carried_next, version) " +
			"SELECT 'a.no', 'page', '/jobs', '', '', '', '', toDate('2026-11-01'), 0, 0, 0, 7, 7, 7, " + hours + ", " + hours +
			", emptyArrayInt64(), emptyArrayInt64(), emptyArrayInt64(), " + hours + ", " + hours + ", [2], 1, 42")

		// The migration stops after copying the states, before its views.
		m := all[at]
		copied := slices.IndexFunc(m.Statements, func(q string) bool { return strings.Contains(q, "INSERT INTO {{agg}}.daily_dims") })
		for _, q := range m.Statements[:copied+1] {
			exec(q)
		}
		if _, err := migrate(ctx, s, all, quiet); err != nil {
			t.Fatal(err)
		}

		rows, err := s.Query(ctx, "SELECT toUInt64(uniqCombinedMerge(14)(visitors)), toInt64(sumMerge(pageviews)) FROM `"+agg+"`.daily_dims WHERE site = 'a.no'")
		if err != nil {
			t.Fatal(err)
		}
		var visitors uint64
		var pageviews int64
		if !rows.Next() || rows.Scan(&visitors, &pageviews) != nil || visitors != 7 || pageviews != 7 {
			t.Errorf("daily_dims after the migration: %d visitors, %d page views; want 7 and 7", visitors, pageviews)
		}
		rows, err = s.Query(ctx, "SELECT count(), toUInt64(sum(visitors)), toString(groupArray(last_hour)), toString(groupArray(carried)), "+
			"toUInt64(sum(version)) FROM `"+agg+"`.closed_dims WHERE site = 'a.no'")
		if err != nil {
			t.Fatal(err)
		}
		var n, closedVisitors, version uint64
		var lastHour, carried string
		if !rows.Next() || rows.Scan(&n, &closedVisitors, &lastHour, &carried, &version) != nil {
			t.Fatal("closed_dims: no answer")
		}
		if n != 1 || closedVisitors != 7 || lastHour != "["+hours+"]" || carried != "[[2]]" || version != 42 {
			t.Errorf("closed_dims after the migration: %d rows, %d visitors, last_hour %s, carried %s, version %d; want the one row copied",
				n, closedVisitors, lastHour, carried, version)
		}
		rows, err = s.Query(ctx, "SELECT count() FROM system.tables WHERE database = ? AND name IN ('dims_daily', 'dims_closed')", agg)
		if err != nil {
			t.Fatal(err)
		}
		var left uint64
		if !rows.Next() || rows.Scan(&left) != nil || left != 0 {
			t.Errorf("%d of the day-last tables are left after migration 7", left)
		}
	})
}
