package rollup

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/stats"
	"github.com/varde/varde/aggregator/store"
)

// Closing days (schemas/0005_closed_days.sql). Once a UTC day is over and
// none of its visits can change, the Closer writes its breakdowns to
// closed_dims with the visitors as plain counts, so that a month of a
// breakdown is read as sums instead of decoding a visitors state per value
// and day. A site's closed days are always a run from its first day, so
// the read side asks for the newest only.

// CloseAfter is how long after midnight UTC a day is closed: visits of
// the day can go on for aggregator.SaltGrace after it, and the sessionizer
// writes them a little later still.
const CloseAfter = 2 * time.Hour

// recheckDays is how many of the newest closed days are compared with
// their events at every run, so that events that arrive late (a spool
// replayed after an outage) are counted in a closed day too.
const recheckDays = 7

const day = 24 * time.Hour

// Closer closes the days that are due, in every site.
type Closer struct {
	Store store.Store
	Log   *slog.Logger
}

// Run closes every site's due days as of now, and closes again the recent
// ones whose events changed. It returns how many days it closed.
func (c Closer) Run(ctx context.Context, now time.Time) (int, error) {
	return c.run(ctx, now, "")
}

// CloseSite closes the due days of one site, as Run does.
func (c Closer) CloseSite(ctx context.Context, site string, now time.Time) (int, error) {
	return c.run(ctx, now, site)
}

// run closes the due days of site, or of every site when site is "".
func (c Closer) run(ctx context.Context, now time.Time, site string) (int, error) {
	agg, err := aggregator.AggregateDatabase(ctx, c.Store)
	if err != nil {
		return 0, err
	}
	q := "SELECT site, min(day) FROM `" + agg + "`.daily_dims WHERE dim = 'total'"
	var args []any
	if site != "" {
		q += " AND site = ?"
		args = append(args, site)
	}
	rows, err := c.Store.Query(ctx, q+" GROUP BY site ORDER BY site", args...)
	if err != nil {
		return 0, fmt.Errorf("rollup: sites to close: %w", err)
	}
	type siteFirst struct {
		site  string
		first time.Time
	}
	var sites []siteFirst
	for rows.Next() {
		var s siteFirst
		if err := rows.Scan(&s.site, &s.first); err != nil {
			return 0, err
		}
		sites = append(sites, s)
	}
	closed := 0
	for _, s := range sites {
		n, err := c.closeSite(ctx, agg, s.site, s.first, now)
		closed += n
		if err != nil {
			return closed, err
		}
	}
	return closed, nil
}

func (c Closer) closeSite(ctx context.Context, agg, site string, first, now time.Time) (int, error) {
	last := now.UTC().Add(-CloseAfter).Truncate(day).Add(-day) // the newest day due
	first = first.UTC().Truncate(day)
	if last.Before(first) {
		return 0, nil
	}
	recorded, err := c.recorded(ctx, agg, site, last.Add(-recheckDays*day))
	if err != nil {
		return 0, err
	}
	current, err := c.dayEvents(ctx, agg, site, last.Add(-recheckDays*day), last)
	if err != nil {
		return 0, err
	}
	oldest, next, err := c.closedRun(ctx, agg, site)
	if err != nil {
		return 0, err
	}
	if next.Before(first) {
		next = first
	}
	// Days before the oldest closed one that have rows now (events that
	// came late) join the run of closed days.
	closed := 0
	for d := first; !oldest.IsZero() && d.Before(oldest); d = d.Add(day) {
		if err := c.closeDay(ctx, agg, site, d); err != nil {
			return closed, err
		}
		closed++
	}
	// Closed days whose events changed since, and the days on either side
	// (their carried page visitors depend on this day's).
	redo := map[time.Time]bool{}
	for d, was := range recorded {
		if !d.Before(next) || current[d] == was {
			continue
		}
		for _, r := range []time.Time{d.Add(-day), d, d.Add(day)} {
			if !r.Before(first) && r.Before(next) {
				redo[r] = true
			}
		}
	}
	for d := range redo {
		if err := c.closeDay(ctx, agg, site, d); err != nil {
			return closed, err
		}
		closed++
	}
	for d := next; !d.After(last); d = d.Add(day) {
		if err := c.closeDay(ctx, agg, site, d); err != nil {
			return closed, err
		}
		closed++
	}
	if closed > 0 && c.Log != nil {
		c.Log.Info("closed days", "site", site, "days", closed, "through", last.Format(time.DateOnly))
	}
	return closed, nil
}

// closedRun is the site's run of closed days: its oldest and the day
// after its newest; zeros when none is.
func (c Closer) closedRun(ctx context.Context, agg, site string) (oldest, next time.Time, err error) {
	rows, err := c.Store.Query(ctx, "SELECT min(day), max(day), count() FROM `"+agg+"`.closed_days WHERE site = ?", site)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("rollup: closed days of %s: %w", site, err)
	}
	var (
		newest time.Time
		n      uint64
	)
	if rows.Next() {
		if err := rows.Scan(&oldest, &newest, &n); err != nil {
			return time.Time{}, time.Time{}, err
		}
	}
	if n == 0 {
		return time.Time{}, time.Time{}, nil
	}
	return oldest.UTC().Truncate(day), newest.UTC().Truncate(day).Add(day), nil
}

// dayEvents are the events of the days [from, to] as daily_dims holds
// them now: of the visits that started in each, and of its page views.
type dayEvents struct{ visit, page int64 }

func (c Closer) dayEvents(ctx context.Context, agg, site string, from, to time.Time) (map[time.Time]dayEvents, error) {
	return c.readEvents(ctx, "SELECT day, toInt64(sumMergeIf(events, dim = 'total')), toInt64(sumMergeIf(events, dim = 'page')) FROM `"+agg+
		"`.daily_dims WHERE site = ? AND dim IN ('total', 'page') AND day >= ? AND day <= ? GROUP BY day",
		site, store.Date(from), store.Date(to))
}

// recorded are the events of the closed days since from, as they were when
// each was closed.
func (c Closer) recorded(ctx context.Context, agg, site string, from time.Time) (map[time.Time]dayEvents, error) {
	return c.readEvents(ctx, "SELECT day, visit_events, page_events FROM `"+agg+"`.closed_days FINAL WHERE site = ? AND day >= ?",
		site, store.Date(from))
}

// readEvents reads rows of (day, visit events, page events) by day.
func (c Closer) readEvents(ctx context.Context, q string, args ...any) (map[time.Time]dayEvents, error) {
	rows, err := c.Store.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("rollup: events by day: %w", err)
	}
	out := map[time.Time]dayEvents{}
	for rows.Next() {
		var (
			d time.Time
			e dayEvents
		)
		if err := rows.Scan(&d, &e.visit, &e.page); err != nil {
			return nil, err
		}
		out[d.UTC()] = e
	}
	return out, nil
}

// closeDay writes the day's breakdowns to closed_dims, then records it
// closed with the events it held before: events that land in between make
// the next run close it again.
func (c Closer) closeDay(ctx context.Context, agg, site string, d time.Time) error {
	before, err := c.dayEvents(ctx, agg, site, d, d)
	if err != nil {
		return err
	}
	// Every visit of the day has its first page view in it; a day may
	// also have page views of a visit that started the day before.
	rows, err := c.Store.Query(ctx, "SELECT count() FROM session_events WHERE site = ? AND time >= ? AND time < ?", site, d, d.Add(day))
	if err != nil {
		return fmt.Errorf("rollup: page views of %s: %w", site, err)
	}
	var raw uint64
	if rows.Next() {
		if err := rows.Scan(&raw); err != nil {
			return err
		}
	}
	// The day's close recorded so far: its rows are kept until the one
	// after this, for readers that still know that one (stats remembers
	// closed days for 30 s).
	rows, err = c.Store.Query(ctx, "SELECT max(version) FROM `"+agg+"`.closed_days WHERE site = ? AND day = ?", site, store.Date(d))
	if err != nil {
		return fmt.Errorf("rollup: closes of %s: %w", d.Format(time.DateOnly), err)
	}
	var previous uint64
	if rows.Next() {
		if err := rows.Scan(&previous); err != nil {
			return err
		}
	}
	version := aggregator.NewVersion()
	// A day without raw rows has no hours, unless it had nothing at all.
	hourly := raw > 0 || before[d] == (dayEvents{})
	q, args := closeFromStates(agg, site, d, version)
	if raw > 0 {
		q, args = closeFromRaw(agg, site, d, version)
	}
	if err := c.Store.Exec(ctx, q, args...); err != nil {
		return fmt.Errorf("rollup: close %s of %s: %w", d.Format(time.DateOnly), site, err)
	}
	b := before[d]
	err = c.Store.Exec(ctx, "INSERT INTO `"+agg+"`.closed_days (site, day, hourly, visit_events, page_events, version) "+
		"SELECT ?, toDate(?), toUInt8(?), toInt64(?), toInt64(?), toUInt64(?)",
		site, store.Date(d), hourly, b.visit, b.page, version)
	if err != nil {
		return fmt.Errorf("rollup: record %s of %s closed: %w", d.Format(time.DateOnly), site, err)
	}
	// Rows of the day's closes before the previous one (or of one that
	// stopped half way) are read no more; delete them, in the background.
	// Only older ones: a node closing the same day at the same time may
	// have recorded a newer version, whose rows are the ones read.
	if previous == 0 {
		return nil
	}
	rows, err = c.Store.Query(ctx, "SELECT count() FROM `"+agg+"`.closed_dims WHERE site = ? AND day = ? AND version < ?", site, store.Date(d), previous)
	if err != nil {
		return fmt.Errorf("rollup: earlier closes of %s: %w", d.Format(time.DateOnly), err)
	}
	var stale uint64
	if rows.Next() {
		if err := rows.Scan(&stale); err != nil {
			return err
		}
	}
	if stale > 0 {
		err := c.Store.Exec(ctx, "ALTER TABLE `"+agg+"`.closed_dims DELETE WHERE site = ? AND day = ? AND version < ?", site, store.Date(d), previous)
		if err != nil {
			return fmt.Errorf("rollup: delete earlier closes of %s: %w", d.Format(time.DateOnly), err)
		}
	}
	return nil
}

// closedColumns are the columns of closed_dims a close from raw rows
// writes.
const closedColumns = "site, dim, v1, v2, v3, v4, v5, day, visits, bounces, duration, pageviews, events, visitors, " +
	"first_hour, last_hour, visits_h, bounces_h, duration_h, pageviews_h, events_h, carried, carried_next, version"

// visitDims unrolls a visit into a row per dimension of daily_dims, as its
// materialized view (schemas/0006_day_major.sql) does, and of the columns
// on their own that closed_dims has besides (stats.ColumnDims).
var visitDims = `[
    ('total', '', '', '', '', ''),
    ('entry_page', entry_page, '', '', '', ''),
    ('exit_page', exit_page, '', '', '', ''),
    ('source', source, '', '', '', ''),
    ('referrer', source, referrer, '', '', ''),
    ('utm', utm_source, utm_medium, utm_campaign, utm_content, utm_term),
    ('country', country, '', '', '', ''),
    ('geo', country, region, region_name, city, ''),
    ('browser', browser, '', '', '', ''),
    ('browser_version', browser, browser_version, '', '', ''),
    ('os', os, '', '', '', ''),
    ('os_version', os, os_version, '', '', ''),
    ('device', device, '', '', '', ''),` + columnDims() + `
]`

func columnDims() string {
	var rows []string
	for _, c := range stats.ColumnDims {
		rows = append(rows, "\n    ('"+c.Dim+"', "+c.Column+", '', '', '', '')")
	}
	return strings.Join(rows, ",")
}

// oneHot is an array of 24 of type t (Int64, UInt64) that holds x in
// element h+1 and zeros elsewhere. (Lambdas cannot read a subquery's
// columns on ClickHouse 18.16.)
func oneHot(t, x, h string) string {
	empty := "emptyArray" + t + "()"
	return "arrayConcat(arrayResize(" + empty + ", " + h + "), [to" + t + "(" + x + ")], arrayResize(" + empty + ", 23 - " + h + "))"
}

// perHour is the sum of x over a group's rows as an array of 24: the rows
// of hour hr add up in element hr+1.
func perHour(x string) string { return "sumForEach(" + oneHot("Int64", x, "hr") + ")" }

// closeFromRaw is the close of a day whose visits and page views are
// still kept: every visitor once per row, with the hours of its first and
// last visit (page view), and the sums per hour. The visitors are those
// of the rows with sign > 0, as in daily_dims.
func closeFromRaw(agg, site string, d time.Time, version uint64) (string, []any) {
	next, prev := d.Add(day), d.Add(-day)
	// Per row and visitor (the values first, for ClickHouse 18.16's
	// lambdas); then per row.
	perVisitor := "SELECT dim, v1, v2, v3, v4, v5, visitor_id, " +
		"countIf(sign > 0) > 0 AS seen, minIf(hr, sign > 0) AS fh, maxIf(hr, sign > 0) AS lh, " +
		perHour("xv") + " AS vh, " + perHour("xb") + " AS bh, " + perHour("xd") + " AS dh, " +
		perHour("xp") + " AS ph, " + perHour("xe") + " AS eh FROM ("
	visits := perVisitor + "SELECT d.1 AS dim, d.2 AS v1, d.3 AS v2, d.4 AS v3, d.5 AS v4, d.6 AS v5, visitor_id, sign, " +
		"toHour(start) AS hr, toInt64(sign) AS xv, toInt64(sign) * bounce AS xb, toInt64(sign) * duration AS xd, " +
		"toInt64(sign) * pageviews AS xp, toInt64(sign) * events AS xe " +
		"FROM sessions ARRAY JOIN " + visitDims + " AS d WHERE site = ? AND start >= ? AND start < ?" +
		") GROUP BY dim, v1, v2, v3, v4, v5, visitor_id"
	pages := perVisitor + "SELECT 'page' AS dim, path AS v1, '' AS v2, '' AS v3, '' AS v4, '' AS v5, visitor_id, sign, " +
		"toHour(time) AS hr, toInt64(0) AS xv, toInt64(0) AS xb, toInt64(0) AS xd, " +
		"toInt64(sign) * (name = 'pageview') AS xp, toInt64(sign) AS xe " +
		"FROM session_events WHERE site = ? AND time >= ? AND time < ?" +
		") GROUP BY dim, v1, v2, v3, v4, v5, visitor_id"
	rows := "SELECT dim, v1, v2, v3, v4, v5, " +
		"sumForEach(" + oneHot("UInt64", "seen", "fh") + ") AS first_hour, " +
		"sumForEach(" + oneHot("UInt64", "seen", "lh") + ") AS last_hour, " +
		"sumForEach(vh) AS visits_h, sumForEach(bh) AS bounces_h, sumForEach(dh) AS duration_h, " +
		"sumForEach(ph) AS pageviews_h, sumForEach(eh) AS events_h " +
		"FROM (" + visits + " UNION ALL " + pages + ") GROUP BY dim, v1, v2, v3, v4, v5"
	// A page's visitors of the day who viewed it the day before, by the
	// last hour they did; and how many view it again the next day (their
	// visit runs over midnight, for SaltGrace at most).
	carried := "SELECT 'page' AS dim, path AS v1, sumForEach(arrayResize(arrayResize(emptyArrayUInt64(), last + 1, toUInt64(1)), 24)) AS carried FROM (" +
		"SELECT path, visitor_id, max(toHour(time)) AS last FROM session_events WHERE site = ? AND time >= ? AND time < ? AND sign > 0 " +
		"AND (path, visitor_id) IN (SELECT path, visitor_id FROM session_events WHERE site = ? AND time >= ? AND time < ? AND sign > 0) " +
		"GROUP BY path, visitor_id) GROUP BY path"
	carriedNext := "SELECT 'page' AS dim, path AS v1, toUInt64(count()) AS carried_next FROM (" +
		"SELECT DISTINCT path, visitor_id FROM session_events WHERE site = ? AND time >= ? AND time < ? AND sign > 0 " +
		"AND (path, visitor_id) IN (SELECT path, visitor_id FROM session_events WHERE site = ? AND time >= ? AND time < ? AND sign > 0)" +
		") GROUP BY path"
	q := "INSERT INTO `" + agg + "`.closed_dims (" + closedColumns + ") " +
		"SELECT ?, dim, v1, v2, v3, v4, v5, toDate(?), arraySum(visits_h), arraySum(bounces_h), arraySum(duration_h), " +
		"arraySum(pageviews_h), arraySum(events_h), arraySum(first_hour), first_hour, last_hour, " +
		"visits_h, bounces_h, duration_h, pageviews_h, events_h, carried, carried_next, toUInt64(?) FROM (" +
		"SELECT * FROM (" + rows + ") AS r ANY LEFT JOIN (" + carried + ") AS c USING (dim, v1)" +
		") AS rc ANY LEFT JOIN (" + carriedNext + ") AS n USING (dim, v1)"
	return q, []any{site, store.Date(d), version,
		site, d, next, // visits
		site, d, next, // page views
		site, prev, d, site, d, d.Add(aggregator.SaltGrace), // carried
		site, next, next.Add(aggregator.SaltGrace), site, d, next, // carried_next
	}
}

// closeFromStates is the close of a day whose raw rows are gone: the rows
// of daily_dims with their visitors merged, without hours. The page
// visitors carried over midnight come from the states too: those of the
// day and the day before (after), less those of both together.
func closeFromStates(agg, site string, d time.Time, version uint64) (string, []any) {
	sums := "toInt64(sumMerge(visits)) AS visits, toInt64(sumMerge(bounces)) AS bounces, toInt64(sumMerge(duration)) AS duration, " +
		"toInt64(sumMerge(pageviews)) AS pageviews, toInt64(sumMerge(events)) AS events, toUInt64(uniqCombinedMerge(14)(visitors)) AS visitors"
	from := " FROM `" + agg + "`.daily_dims WHERE site = ? AND day = ?"
	q := "SELECT dim, v1, v2, v3, v4, v5, " + sums + from + " GROUP BY dim, v1, v2, v3, v4, v5"
	args := []any{site, store.Date(d)}
	for _, c := range stats.ColumnDims {
		// Named apart from the table's columns, which the aliases would
		// hide in the WHERE clause.
		q += " UNION ALL SELECT '" + c.Dim + "', value, '', '', '', '', visits, bounces, duration, pageviews, events, visitors FROM (" +
			"SELECT " + c.Value + " AS value, " + sums + from + " AND dim = '" + c.From + "' GROUP BY value)"
		args = append(args, site, store.Date(d))
	}
	overlap := func(other time.Time, name string) string {
		args = append(args, store.Date(d), store.Date(other), site, store.Date(d), store.Date(other))
		return "(SELECT 'page' AS dim, v1, both AS " + name + " FROM (SELECT v1, toUInt64(greatest(0, toInt64(uniqCombinedMergeIf(14)(visitors, day = ?)) " +
			"+ toInt64(uniqCombinedMergeIf(14)(visitors, day = ?)) - toInt64(uniqCombinedMerge(14)(visitors)))) AS both FROM `" + agg +
			"`.daily_dims WHERE site = ? AND dim = 'page' AND day IN (?, ?) GROUP BY v1))"
	}
	// The overlap subqueries bind their values in the order they are
	// written, after the rows'.
	before := overlap(d.Add(-day), "carried")
	after := overlap(d.Add(day), "carried_next")
	return "INSERT INTO `" + agg + "`.closed_dims (site, dim, v1, v2, v3, v4, v5, day, visits, bounces, duration, pageviews, events, visitors, carried, carried_next, version) " +
		"SELECT ?, dim, v1, v2, v3, v4, v5, toDate(?), visits, bounces, duration, pageviews, events, visitors, [carried], carried_next, toUInt64(?) FROM (" +
		"SELECT * FROM (" + q + ") AS r ANY LEFT JOIN " + before + " AS c USING (dim, v1)" +
		") AS rc ANY LEFT JOIN " + after + " AS n USING (dim, v1)", append([]any{site, store.Date(d), version}, args...)
}

// Reopen forgets that the site's days from from on are closed, and their
// closed rows: for a rebuild, which derives them again.
func (c Closer) Reopen(ctx context.Context, site string, from time.Time) error {
	agg, err := aggregator.AggregateDatabase(ctx, c.Store)
	if err != nil {
		return err
	}
	for _, t := range []string{"closed_days", "closed_dims"} {
		if err := c.Store.Exec(ctx, "ALTER TABLE `"+agg+"`.`"+t+"` DELETE WHERE site = ? AND day >= ?", site, store.Date(from)); err != nil {
			return fmt.Errorf("rollup: reopen %s: %w", t, err)
		}
		if err := aggregator.WaitMutations(ctx, c.Store, agg, t); err != nil {
			return err
		}
	}
	return nil
}
