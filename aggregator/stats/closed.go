package stats

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/store"
)

// Closed days (schemas/0005_closed_days.sql). Once a UTC day is over,
// aggregator/rollup writes its breakdowns to closed_dims with the visitors
// as counts and the hours as arrays. A flat, unfiltered breakdown reads
// what it can of them (closedWindow) instead of merging visitors states,
// with a plain statement of its own: the whole days of a window added up
// by ClickHouse, its edge days (a day in Oslo is one hour of a UTC day and
// 23 of the next) cut to their hours here. What it cannot read there comes
// from the states as before; the visitors of the two add up, since they
// are of different days.

// closedTTL is how long the engine trusts what it last read of a site's
// closed days. Days close every 10 minutes at most; a rebuild reopens
// some, and its aggregates are incomplete while it runs anyway.
const closedTTL = 30 * time.Second

type closedAt struct {
	c  closed
	at time.Time
}

// closedDays says which days of the site are closed (see
// aggregator/rollup, Closer): they are read from closed_dims.
func (e *Engine) closedDays(ctx context.Context, site string) (closed, error) {
	e.mu.Lock()
	cached, ok := e.closed[site]
	e.mu.Unlock()
	if ok && time.Since(cached.at) < closedTTL {
		return cached.c, nil
	}
	c, err := e.readClosedDays(ctx, site)
	if err != nil {
		return c, err
	}
	e.mu.Lock()
	if e.closed == nil {
		e.closed = map[string]closedAt{}
	}
	e.closed[site] = closedAt{c, time.Now()}
	e.mu.Unlock()
	return c, nil
}

func (e *Engine) readClosedDays(ctx context.Context, site string) (closed, error) {
	rows, err := e.read.Query(ctx, "SELECT day, max(version), argMax(hourly, version) FROM "+closedDays+" WHERE site = ? GROUP BY day ORDER BY day", site)
	if err != nil {
		return closed{}, fmt.Errorf("stats: closed days of %s: %w", site, err)
	}
	c := closed{versions: map[time.Time]uint64{}}
	for rows.Next() {
		var (
			d       time.Time
			version uint64
			hourly  uint8
		)
		if err := rows.Scan(&d, &version, &hourly); err != nil {
			return closed{}, err
		}
		d = d.UTC().Truncate(24 * time.Hour)
		if c.from.IsZero() {
			c.from = d
		}
		c.open = d.AddDate(0, 0, 1)
		if hourly == 0 {
			c.hourly = c.open
		}
		c.versions[d] = version
	}
	return c, nil
}

// window is the part of a period read from closed_dims: the UTC days
// [lo, hi), of the first only the hours from first, of the last only those
// before last (24: all of it). The period may go on before lo (after) and
// after hi (before), read from states.
type window struct {
	lo, hi        time.Time
	first, last   int
	after, before bool
}

// closed says which days of a site are closed: those from from on before
// open, with their hours from hourly on (days closed after their raw rows
// were gone have none), and the version of each day's newest close.
type closed struct {
	from, open, hourly time.Time
	versions           map[time.Time]uint64
}

// closedWindow is the part of the period [from, to) that can be read from
// closed days: from its start, a run of closed days whose first and last
// may be partial, if their hours are kept and the period does not lie
// within one day. Where the period goes on past the closed days, the page
// visitors carried over from the last one count in the time after it, if
// that holds SaltGrace; else the last day is read from states too.
func closedWindow(from, to time.Time, c closed) (window, bool) {
	from, to = from.UTC(), to.UTC()
	if !from.Truncate(time.Hour).Equal(from) || !to.Truncate(time.Hour).Equal(to) {
		return window{}, false
	}
	const day = 24 * time.Hour
	w := window{lo: from.Truncate(day), first: from.Hour(), last: 24}
	w.hi = to.Truncate(day)
	if w.hi.Before(to) {
		w.hi, w.last = w.hi.Add(day), to.Hour()
	}
	if w.lo.Before(c.from) {
		w.lo, w.first, w.after = c.from, 0, true
	}
	if c.open.Before(w.hi) {
		w.hi, w.last, w.before = c.open, 24, true
		if to.Before(w.hi.Add(aggregator.SaltGrace)) {
			w.hi = w.hi.Add(-day)
		}
	}
	switch {
	case !w.lo.Before(w.hi):
		return window{}, false
	case w.hi.Sub(w.lo) == day && w.first > 0 && w.last < 24:
		return window{}, false
	case w.first > 0 && w.lo.Before(c.hourly), w.last < 24 && w.hi.Add(-day).Before(c.hourly):
		return window{}, false
	}
	return w, true
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// readClosed reads the closed scan sc and returns its rows in the flat
// layout (see wrap): one per tag and key, with the visitors and sums of
// the tag's window.
func (e *Engine) readClosed(ctx context.Context, sc *scan, site string, c closed) ([][]any, error) {
	const day = 24 * time.Hour
	// The edges of a window, read with their hours: its first day when it
	// starts within it, its last when it ends within it. For page
	// breakdowns also the first day (its visitors carried from the day
	// before are not in the window), the day after a first day cut to its
	// hours (its carried visitors depend on the hour) and the last when
	// the window goes on in states (those carried into them). The other
	// days are whole, added up in one sum.
	edgesOf := func(t tag) []time.Time {
		var edges []time.Time
		if t.first > 0 || t.event {
			edges = append(edges, t.lo)
		}
		if next := t.lo.Add(day); t.first > 0 && t.event && next.Before(t.hi) {
			edges = append(edges, next)
		}
		if last := t.hi.Add(-day); (t.last < 24 || t.event && t.before) && !slices.ContainsFunc(edges, last.Equal) {
			edges = append(edges, last)
		}
		return edges
	}
	wholeOf := func(t tag) span {
		w := span{t.lo, t.hi}
		edges := edgesOf(t)
		for _, d := range edges {
			if d.Equal(w.lo) {
				w.lo = w.lo.Add(day)
			}
		}
		if n := len(edges); n > 0 && edges[n-1].Equal(w.hi.Add(-day)) && w.lo.Before(w.hi) {
			w.hi = w.hi.Add(-day)
		}
		return w
	}
	// restrict writes the condition on v1 of tags that want some values
	// only (top-n candidates); any tag that wants all of them lifts it.
	restrict := func(s *sqlBuf, tags []tag) {
		var values []string
		for _, t := range tags {
			if t.only == nil || t.key == 0 {
				return
			}
			values = append(values, t.only...)
		}
		s.w(" AND v1 IN ?", store.InStrings(values))
	}

	var s sqlBuf
	// The whole days, a branch per span of them (tags with the same span
	// share it).
	spans, groups := groupTags(sc.tags, func(t tag) (span, bool) {
		w := wholeOf(t)
		return w, w.lo.Before(w.hi)
	})
	for g, w := range spans {
		dims := dimsOf(groups[g])
		unionAll(&s)
		s.w("SELECT toUInt8(0), toUInt32(?), dim, v1, toInt64(sum(visitors)) - toInt64(sum(carried[1]))", g)
		for _, c := range sumColumns {
			s.w(", toInt64(sum(" + c + "))")
		}
		s.w(" FROM "+dimsClosed+" WHERE site = ? AND dim IN ? AND day >= ? AND day < ?",
			site, store.InStrings(dims), store.Date(w.lo), store.Date(w.hi))
		c.current(&s, w.lo, w.hi)
		restrict(&s, groups[g])
		s.w(" GROUP BY dim, v1")
	}
	// The edge days, a branch per window (tags with the same window share
	// it): each row cut to the window's hours by ClickHouse, [first, 24)
	// of its first day and [0, last) of its last, with the page visitors
	// carried over midnight taken out where the window also holds the
	// hours they were counted in before.
	type cut struct {
		w     window
		event bool
	}
	cuts, cutTags := groupTags(sc.tags, func(t tag) (cut, bool) {
		return cut{window{t.lo, t.hi, t.first, t.last, t.after, t.before}, t.event}, true
	})
	for i, k := range cuts {
		tags := cutTags[i]
		var days []any
		for _, d := range edgesOf(tags[0]) {
			days = append(days, store.Date(d))
		}
		if len(days) == 0 {
			continue
		}
		var need []string
		for _, t := range tags {
			need = append(need, t.sums...)
		}
		// The hours of the first day [loA, loB), of the last [hiA, hiB):
		// one day's when the window is a day long.
		w := k.w
		loA, loB, hiA, hiB := w.first, 24, 0, w.last
		if w.hi.Sub(w.lo) == day {
			loB, hiA = w.last, w.first
		}
		lo, last := store.Date(w.lo), store.Date(w.hi.Add(-day))
		visitors, ok := cutVisitors(loA, loB)
		hiVisitors, hiOK := cutVisitors(hiA, hiB)
		if !ok || !hiOK {
			// The planner (closedWindow) leaves out windows it cannot cut.
			return nil, fmt.Errorf("stats: closed window %+v cannot be cut", w)
		}
		dims := dimsOf(tags)
		unionAll(&s)
		s.w("SELECT toUInt8(1), toUInt32(?), dim, v1, toInt64(sum(multiIf(day = ?, "+visitors+", day = ?, "+hiVisitors+", toInt64(visitors))))",
			i, lo, last)
		if k.event {
			carriedLo := "0"
			if w.after {
				carriedLo = "carried[1]"
			}
			s.w(" - toInt64(sum(multiIf(day = ?, "+carriedLo+", day = ?, carried[? + 1], carried[1])))", lo, store.Date(w.lo.Add(day)), w.first)
			if w.before {
				s.w(" - toInt64(sumIf(carried_next, day = ?))", last)
			}
		}
		for _, c := range sumColumns {
			if !slices.Contains(need, c) {
				s.w(", toInt64(0)")
				continue
			}
			s.w(", toInt64(sum(multiIf(day = ?, "+cutSum(c, loA, loB)+", day = ?, "+cutSum(c, hiA, hiB)+", "+c+")))", lo, last)
		}
		s.w(" FROM "+dimsClosed+" WHERE site = ? AND dim IN ? AND day IN ?", site, store.InStrings(dims), store.In(days))
		c.current(&s, w.lo, w.hi)
		restrict(&s, tags)
		s.w(" GROUP BY dim, v1")
	}

	rows, err := e.read.Query(ctx, s.b.String(), s.args...)
	if err != nil {
		return nil, err
	}
	type id struct {
		qi  int
		key string
	}
	type group struct {
		visitors int64
		sums     [5]int64
	}
	groupOf := map[id]*group{}
	var order []id
	for _, v := range rows.Values {
		dim, _ := v[2].(string)
		key, _ := v[3].(string)
		var tags []tag
		if toInt(v[0]) == 0 {
			tags = groups[toInt(v[1])]
		} else {
			tags = cutTags[toInt(v[1])]
		}
		for _, t := range tags {
			if t.dim != dim {
				continue
			}
			k := key
			if t.key == 0 {
				k = ""
			}
			g := groupOf[id{t.qi, k}]
			if g == nil {
				g = &group{}
				groupOf[id{t.qi, k}] = g
				order = append(order, id{t.qi, k})
			}
			g.visitors += toInt(v[4])
			for i := range g.sums {
				g.sums[i] += toInt(v[5+i])
			}
		}
	}
	flat := make([][]any, 0, len(order))
	for _, k := range order {
		g := groupOf[k]
		flat = append(flat, flatRow(k.qi, "", k.key, g.visitors, g.sums))
	}
	return flat, nil
}

// groupTags groups tags by key, in the order the keys first come; a tag
// whose key is not ok is in no group.
func groupTags[K comparable](tags []tag, key func(tag) (K, bool)) ([]K, [][]tag) {
	var keys []K
	var groups [][]tag
	for _, t := range tags {
		k, ok := key(t)
		if !ok {
			continue
		}
		i := slices.Index(keys, k)
		if i < 0 {
			keys, groups = append(keys, k), append(groups, nil)
			i = len(keys) - 1
		}
		groups[i] = append(groups[i], t)
	}
	return keys, groups
}

// dimsOf is the dims the tags read, each once.
func dimsOf(tags []tag) []string {
	var dims []string
	for _, t := range tags {
		if !slices.Contains(dims, t.dim) {
			dims = append(dims, t.dim)
		}
	}
	return dims
}

// cutVisitors is the SQL of a closed day's visitors in its hours [a, b):
// the whole day, a suffix or a prefix (see dayRow.window).
func cutVisitors(a, b int) (string, bool) {
	switch {
	case a == 0 && b == 24:
		return "toInt64(visitors)", true
	case a > 0 && b < 24:
		return "", false
	case b == 24:
		return fmt.Sprintf("toInt64(arraySum(arraySlice(last_hour, %d)))", a+1), true
	default:
		return fmt.Sprintf("toInt64(arraySum(arraySlice(first_hour, 1, %d)))", b), true
	}
}

// cutSum is the SQL of a closed day's sum of column c in its hours [a, b).
func cutSum(c string, a, b int) string {
	if a == 0 && b == 24 {
		return c
	}
	return fmt.Sprintf("arraySum(arraySlice(%s_h, %d, %d))", c, a+1, b-a)
}

// flatRow is a row of the flat layout (see wrap) of a fetch's bucket or
// key, without a complement.
func flatRow(qi int, bucket, key string, visitors int64, sums [5]int64) []any {
	row := []any{uint64(qi), bucket, uint64(1), key, key, key, key, uint64(max(visitors, 0))}
	for _, x := range sums {
		row = append(row, x)
	}
	return append(row, uint64(1), uint64(0), int64(0), int64(0), int64(0), int64(0), int64(0))
}

// dayRow is a closed day's row: its totals, and its visitors by first and
// last hour and sums by hour (empty for a day closed without hours).
type dayRow struct {
	visitors            int64
	sums                [5]int64
	firstHour, lastHour []int64
	hourly              [5][]int64
}

// dayRowOf reads a closed day's row from the columns v[at...]: visitors,
// the five sums, first_hour, last_hour and the five sums by hour.
func dayRowOf(v []any, at int) dayRow {
	r := dayRow{visitors: toInt(v[at]), firstHour: ints(v[at+6]), lastHour: ints(v[at+7])}
	for i := range r.sums {
		r.sums[i] = toInt(v[at+1+i])
		r.hourly[i] = ints(v[at+8+i])
	}
	return r
}

// window is the visitors and sums of the day's hours [a, b): the whole
// day, a prefix or a suffix. ok is false for a middle run of hours, or a
// part of a day without hours.
func (r dayRow) window(a, b int) (visitors int64, sums [5]int64, ok bool) {
	switch {
	case a == 0 && b == 24:
		return r.visitors, r.sums, true
	case a > 0 && b < 24, len(r.firstHour) < 24:
		return 0, sums, false
	case b == 24:
		visitors = sumRange(r.lastHour, a, 24)
	default:
		visitors = sumRange(r.firstHour, 0, b)
	}
	for i := range sums {
		sums[i] = sumRange(r.hourly[i], a, b)
	}
	return visitors, sums, true
}

// rankClosed sizes the groups of the closed scan sc's rank fetches (see
// pick) from their closed days, in the rank layout: an upper bound of
// their visitors, and the whole days they had any. Whole days count their
// visitors (no carried ones taken out, so the bound stays above), edge
// days the activity (visits, events) of their hours in the window: a group
// with none there is no group of the window.
func (e *Engine) rankClosed(ctx context.Context, sc *scan, site string, c closed) ([][]any, error) {
	var s sqlBuf
	from := func(t tag, days ...time.Time) {
		s.w(" FROM "+dimsClosed+" WHERE site = ? AND dim = ?", site, t.dim)
		if len(days) == 1 {
			days = append(days, days[0].AddDate(0, 0, 1))
		}
		s.w(" AND day >= ? AND day < ?", store.Date(days[0]), store.Date(days[1]))
		c.current(&s, days[0], days[1])
		if t.only != nil && t.key != 0 {
			s.w(" AND v1 IN ?", store.InStrings(t.only))
		}
		s.w(" GROUP BY v1")
	}
	// On the embedded engine each branch costs more to plan than the
	// array expression costs on every row; ClickHouse 18.16 the other way
	// round.
	oneBranch := e.read.Backend() == "embedded"
	for _, t := range sc.tags {
		act := "visits_h"
		if t.event {
			act = "events_h"
		}
		if oneBranch {
			inner, last := t.lo, t.hi
			if t.first > 0 {
				inner = inner.AddDate(0, 0, 1)
			}
			if t.last < 24 {
				last = last.AddDate(0, 0, -1)
			}
			unionAll(&s)
			s.w("SELECT toUInt32(?), v1, toInt64(sum(multiIf(day = ? AND ? > 0, arraySum(arraySlice("+act+", ? + 1)), "+
				"day + 1 = ? AND ? < 24, arraySum(arraySlice("+act+", 1, ?)), toInt64(visitors)))), "+
				"toUInt64(countIf(visitors > 0 AND day >= ? AND day < ?))",
				t.qi, store.Date(t.lo), t.first, t.first, store.Date(t.hi), t.last, t.last, store.Date(inner), store.Date(last))
			from(t, t.lo, t.hi)
			continue
		}
		whole := span{t.lo, t.hi}
		if t.first > 0 {
			// The first day's hours from first on.
			unionAll(&s)
			s.w("SELECT toUInt32(?), v1, toInt64(sum(arraySum(arraySlice("+act+", ? + 1)))), toUInt64(0)", t.qi, t.first)
			from(t, t.lo)
			whole.lo = whole.lo.AddDate(0, 0, 1)
		}
		if last := t.hi.AddDate(0, 0, -1); t.last < 24 && !last.Before(whole.lo) {
			// The last day's hours before last.
			unionAll(&s)
			s.w("SELECT toUInt32(?), v1, toInt64(sum(arraySum(arraySlice("+act+", 1, ?)))), toUInt64(0)", t.qi, t.last)
			from(t, last)
			whole.hi = last
		}
		if whole.lo.Before(whole.hi) {
			unionAll(&s)
			s.w("SELECT toUInt32(?), v1, toInt64(sum(visitors)), toUInt64(countIf(visitors > 0))", t.qi)
			from(t, whole.lo, whole.hi)
		}
	}
	if s.b.Len() == 0 {
		return nil, nil
	}
	rows, err := e.read.Query(ctx, s.b.String(), s.args...)
	if err != nil {
		return nil, err
	}
	return rows.Values, nil
}

// span is the UTC days [lo, hi).
type span struct{ lo, hi time.Time }

// unionAll starts a branch of a UNION ALL.
func unionAll(s *sqlBuf) {
	if s.b.Len() > 0 {
		s.w(" UNION ALL ")
	}
}

// current keeps the rows of closed_dims of the newest close recorded of
// each day in [lo, hi) (see schemas/0005_closed_days.sql).
func (c closed) current(s *sqlBuf, lo, hi time.Time) {
	var versions []any
	for d, v := range c.versions {
		if !d.Before(lo) && d.Before(hi) {
			versions = append(versions, v)
		}
	}
	if len(versions) == 0 {
		versions = append(versions, uint64(0))
	}
	s.w(" AND version IN ?", store.In(versions))
}

// ints reads an array of numbers.
func ints(v any) []int64 {
	xs, _ := v.([]any)
	out := make([]int64, len(xs))
	for i, x := range xs {
		out[i] = toInt(x)
	}
	return out
}

// sumRange adds up xs[lo:hi], as far as xs goes.
func sumRange(xs []int64, lo, hi int) int64 {
	var n int64
	for i := lo; i < hi && i < len(xs); i++ {
		n += xs[i]
	}
	return n
}

// mergeGroups adds up the rows of the same group (bucket and keys): a
// shared fetch gets its closed days in rows of their own.
func mergeGroups(rows []aggRow) []aggRow {
	type groupID struct {
		bucket int64
		keys   [maxDimensions]string
	}
	var out []aggRow
	at := make(map[groupID]int, len(rows))
	for _, r := range rows {
		id := groupID{bucket: r.bucket.Unix()}
		copy(id.keys[:], r.keys)
		i, ok := at[id]
		if !ok {
			at[id] = len(out)
			out = append(out, r)
			continue
		}
		m := &out[i]
		m.visitors += r.visitors
		m.cVisitors += r.cVisitors
		m.n += r.n
		for k, x := range r.sums {
			m.sums[k] += x
		}
		for k, x := range r.cSums {
			if m.cSums == nil {
				m.cSums = map[string]int64{}
			}
			m.cSums[k] += x
		}
	}
	return out
}

// seriesCut says whether the fetch f is a time series that can read its
// closed days from closed_dims, and until when: an unfiltered series of
// visits by day, week or month (whose buckets start at local midnights,
// so that a UTC day falls into at most two, as a prefix and a suffix).
// The rest, from the cut on, comes from the states.
func seriesCut(f *fetch, c closed) (time.Time, bool) {
	pl := f.pl
	if f.fold || f.rank || len(pl.filters) > 0 || len(pl.keys) > 0 || pl.src.hourly.table != totalHourly {
		return time.Time{}, false
	}
	switch pl.interval {
	case "day", "week", "month":
	default:
		return time.Time{}, false
	}
	from := pl.p.from.UTC()
	cut := pl.p.to.UTC()
	if c.open.Before(cut) {
		cut = c.open
	}
	if !from.Before(cut) || !from.Truncate(time.Hour).Equal(from) || from.Before(c.hourly) || from.Before(c.from) {
		return time.Time{}, false
	}
	return cut, true
}

// readSeries reads the closed part [from, cut) of the series fetch f from
// the site's totals in closed_dims, in the flat layout: a row per bucket.
func (e *Engine) readSeries(ctx context.Context, f *fetch, qi int, cut time.Time, c closed) ([][]any, error) {
	const day = 24 * time.Hour
	pl := f.pl
	from := pl.p.from.UTC()
	var s sqlBuf
	lo, hi := from.Truncate(day), cut.Add(day-time.Hour).Truncate(day)
	s.w("SELECT day, toInt64(visitors), visits, bounces, duration, pageviews, events, first_hour, last_hour, "+
		"visits_h, bounces_h, duration_h, pageviews_h, events_h FROM "+dimsClosed+
		" WHERE site = ? AND dim = 'total' AND day >= ? AND day < ?", pl.site, store.Date(lo), store.Date(hi))
	c.current(&s, lo, hi)
	rows, err := e.read.Query(ctx, s.b.String(), s.args...)
	if err != nil {
		return nil, err
	}
	type bucket struct {
		visitors int64
		sums     [5]int64
	}
	buckets := map[string]*bucket{}
	var order []string
	for _, v := range rows.Values {
		d, _ := v[0].(time.Time)
		d = d.UTC()
		r := dayRowOf(v, 1)
		// The day's hours in the series, run by run of one bucket.
		for a := 0; a < 24; {
			t := d.Add(time.Duration(a) * time.Hour)
			if t.Before(from) || !t.Before(cut) {
				a++
				continue
			}
			label := pl.bucketLabel(t)
			b := a + 1
			for ; b < 24; b++ {
				t := d.Add(time.Duration(b) * time.Hour)
				if !t.Before(cut) || pl.bucketLabel(t) != label {
					break
				}
			}
			var add bucket
			var ok bool
			if add.visitors, add.sums, ok = r.window(a, b); !ok {
				return nil, fmt.Errorf("stats: closed day %s has no hours for the series", d.Format(time.DateOnly))
			}
			bk := buckets[label]
			if bk == nil {
				bk = &bucket{}
				buckets[label] = bk
				order = append(order, label)
			}
			bk.visitors += add.visitors
			for i := range add.sums {
				bk.sums[i] += add.sums[i]
			}
			a = b
		}
	}
	var out [][]any
	for _, label := range order {
		bk := buckets[label]
		out = append(out, flatRow(qi, label, "", bk.visitors, bk.sums))
	}
	return out, nil
}

// bucketLabel is the bucket of hour t, as writeBucket names it.
func (pl plan) bucketLabel(t time.Time) string {
	local := t.In(pl.p.loc)
	d := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
	switch pl.interval {
	case "week":
		d = d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
	case "month":
		d = d.AddDate(0, 0, 1-d.Day())
	}
	return d.Format(time.DateOnly)
}
