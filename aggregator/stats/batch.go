package stats

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/varde/varde/aggregator/store"
)

// fetch is one query of a batch: a flat (or fold) query of a plan, or the
// rank of its groups, and the rows it got back.
type fetch struct {
	pl   plan
	fold bool // a foldSQL, else a flatSQL
	rank bool // the sizes of the groups of a top-n breakdown (see pick)
	rows [][]any
}

func flatFetch(pl plan, fold bool) *fetch { return &fetch{pl: pl, fold: fold} }
func rankFetch(pl plan) *fetch            { return &fetch{pl: pl, rank: true} }

// shared says whether the fetch can share its table reads with others:
// an unfiltered total, or an unfiltered breakdown by one column, over
// whole days and edge hours. (Ranks are always read shared.)
func (f *fetch) shared() bool {
	pl := f.pl
	return !f.fold && pl.interval == "" && len(pl.filters) == 0 && len(pl.columns()) <= 1
}

// Batches send the fetches of one step together: one statement per row
// layout, a UNION ALL of branches with the same columns, whose first
// column says which fetch a row answers. Most fetches share their reads:
// one read per table serves all of them (see writeShared). On the
// embedded engine every table read costs a few milliseconds before it
// reads a row, so a page of panels reads each table once or twice.
//
// The flat layout: qi, tb (the bucket as text, or ''), kept, k0..k3,
// x_visitors, x_visits, x_bounces, x_duration, x_pageviews, x_events, n,
// c_visitors, c_visits, c_bounces, c_duration, c_pageviews, c_events.
// The rank layout: qi, k0, act, days.

// wrap writes a fetch that reads on its own, as branch qi of the flat
// layout.
func (f *fetch) wrap(s *sqlBuf, qi int) {
	pl := f.pl
	inner, args := pl.flatSQL()
	if f.fold {
		inner, args = pl.foldSQL()
	}
	cols := []string{fmt.Sprintf("toUInt32(%d) AS qi", qi), "''", "toUInt8(1)"}
	if pl.interval != "" {
		cols[1] = "toString(tb)"
	}
	if f.fold {
		cols[2] = "toUInt8(kept)"
	}
	for i := range maxDimensions {
		switch {
		case i >= len(pl.keys):
			cols = append(cols, "''")
		case f.fold:
			cols = append(cols, fmt.Sprintf("o%d", i))
		default:
			cols = append(cols, fmt.Sprintf("k%d", i))
		}
	}
	have := pl.metricColumns()
	metrics := func(prefix string) {
		cols = append(cols, "toUInt64("+prefix+"visitors)")
		for _, m := range sumColumns {
			if slices.Contains(have, m) {
				cols = append(cols, "toInt64("+prefix+m+")")
			} else {
				cols = append(cols, "toInt64(0)")
			}
		}
	}
	metrics("x_")
	cols = append(cols, "toUInt64(1)")
	if len(pl.filters) > 0 {
		metrics("c_")
	} else {
		cols = append(cols, "toUInt64(0)", "toInt64(0)", "toInt64(0)", "toInt64(0)", "toInt64(0)", "toInt64(0)")
	}
	s.w("SELECT " + strings.Join(cols, ", ") + " FROM (")
	s.w(inner, args...)
	s.w(")")
}

// scan is one shared read of a table: the tags that fan its rows out to
// the fetches that want them.
type scan struct {
	table string
	time  string   // "day" or "hour"
	keys  []string // the columns a tag's key index picks from
	tags  []tag
}

// closed says whether the scan reads closed days: closed_dims, whose
// visitors are counts (see schemas/0005_closed_days.sql).
func (sc *scan) closed() bool { return sc.table == dimsClosed }

// tag is one fetch's share of a scan: rows of its dim (dims tables) in
// its time ranges [lo, hi) and [lo2, hi2), keyed by column key (1-based
// into the scan's keys; 0: no key).
type tag struct {
	qi       int
	dim      string
	key      int
	event    bool // the fetch counts events (pages), not visits
	lo, hi   time.Time
	lo2, hi2 time.Time
	only     []string
	sums     []string // the sums the fetch wants (metricColumns)
	// Closed scans: of the day lo only the hours from first, of the day
	// before hi only those before last (24: all); after, before: the
	// fetch also reads the time before lo, after hi, from states.
	first, last   int
	after, before bool
}

// scansOf plans the shared reads of the fetches fs[idx...]: one per table,
// with a tag per fetch and time range that is not empty (a period of whole
// days has no edge hours to read). Flat fetches read what they can of the
// closed days from closed_dims (see closedWindow).
func scansOf(fs []*fetch, idx []int, c closed) []*scan {
	var scans []*scan
	scanOf := func(r read) *scan {
		for _, sc := range scans {
			if sc.table == r.table {
				return sc
			}
		}
		sc := &scan{table: r.table, time: r.time}
		if r.table == dimsDaily || r.table == dimsClosed {
			sc.keys = []string{"v1", "v2", "v3", "v4", "v5"}
		}
		scans = append(scans, sc)
		return sc
	}
	for _, i := range idx {
		pl := fs[i].pl
		add := func(r read, lo, hi, lo2, hi2 time.Time, w window) {
			if !lo.Before(hi) && !lo2.Before(hi2) {
				return
			}
			sc := scanOf(r)
			t := tag{qi: i, dim: r.dim, event: pl.scope == eventScope, lo: lo, hi: hi, lo2: lo2, hi2: hi2, only: pl.only, sums: pl.metricColumns(),
				first: w.first, last: w.last, after: w.after, before: w.before}
			if len(pl.keys) > 0 {
				phys := r.cols[pl.keys[0].column]
				t.key = slices.Index(sc.keys, phys) + 1
				if t.key == 0 {
					sc.keys = append(sc.keys, phys)
					t.key = len(sc.keys)
				}
			}
			sc.tags = append(sc.tags, t)
		}
		daily := pl.src.daily
		if cl, w, ok := pl.closedPart(c); ok {
			add(cl, w.lo, w.hi, w.hi, w.hi, w)
			// The rest, from states: hours, whole days, hours.
			if w.after {
				if dFrom, _, ok := pl.split(); ok {
					add(pl.src.hourly, pl.p.from, dFrom, dFrom, dFrom, window{})
					add(*daily, dFrom, w.lo, w.lo, w.lo, window{})
				} else {
					add(pl.src.hourly, pl.p.from, w.lo, w.lo, w.lo, window{})
				}
			}
			if dFrom, dTo, ok := pl.split(); ok && w.hi.Before(dTo) {
				add(*daily, maxTime(dFrom, w.hi), dTo, dTo, dTo, window{})
				add(pl.src.hourly, dTo, pl.p.to, pl.p.to, pl.p.to, window{})
			} else {
				add(pl.src.hourly, maxTime(pl.p.from, w.hi), pl.p.to, pl.p.to, pl.p.to, window{})
			}
			continue
		}
		if dFrom, dTo, ok := pl.split(); ok {
			add(*daily, dFrom, dTo, dTo, dTo, window{})
			add(pl.src.hourly, pl.p.from, dFrom, dTo, pl.p.to, window{})
		} else {
			add(pl.src.hourly, pl.p.from, pl.p.to, pl.p.to, pl.p.to, window{})
		}
	}
	return scans
}

// writeShared writes the fetches of the scans as one branch that reads
// each table once: each read unrolls its rows into one row per tag that
// wants it (ARRAY JOIN over the tags), groups them per tag and key, and
// the branch adds up what the reads of a tag found.
func writeShared(s *sqlBuf, scans []*scan, site string, rank bool) {
	if len(scans) == 1 {
		// One read: its groups are the answer.
		scans[0].write(s, rank, site, true)
		return
	}
	// Ranks: per tag and key, the activity and the days it had any (the
	// days with a positive row that have no negative one: a lower bound
	// of the days whose rows add up to more than zero). Flat: per tag and
	// key, the states merged, each table's read first.
	if rank {
		s.w("SELECT toUInt32(qi), k0, toInt64(sum(a)) AS act, toUInt64(greatest(0, toInt64(sum(dp)) - toInt64(sum(dn)))) AS days FROM (")
	} else {
		s.w("SELECT toUInt32(qi), '', toUInt8(1), k0, k0, k0, k0, toUInt64(" + visitorsMerge("") + "(u)), toInt64(sum(sv)), toInt64(sum(sb)), toInt64(sum(sd)), toInt64(sum(sp)), toInt64(sum(se)), toUInt64(1), toUInt64(0), toInt64(0), toInt64(0), toInt64(0), toInt64(0), toInt64(0) FROM (")
	}
	for i, sc := range scans {
		if i > 0 {
			s.w(" UNION ALL ")
		}
		sc.write(s, rank, site, false)
	}
	s.w(") GROUP BY qi, k0")
}

// write writes the read of one table: per tag, key (and, for ranks, UTC
// day) the sums, and for flat fetches the visitors state; or, final, the
// rows of the rank or flat layout.
func (sc *scan) write(s *sqlBuf, rank bool, site string, final bool) {
	dims := sc.table == dimsDaily
	key := "''"
	if len(sc.keys) > 0 {
		key = "arrayElement([" + strings.Join(sc.keys, ", ") + "], p.3)"
	}
	sum := func(col string) string {
		switch {
		case (sc.table == eventsWide || sc.table == pageHourly) && (col == "visits" || col == "bounces" || col == "duration"):
			return "toInt64(0)"
		}
		return "sumMerge(" + col + ")"
	}
	tm := sc.time
	cond := "((" + tm + " >= p.4 AND " + tm + " < p.5) OR (" + tm + " >= p.6 AND " + tm + " < p.7))"
	if dims {
		cond = "p.2 = dim AND " + cond
	}
	var tags sqlBuf
	tags.w("arrayJoin(arrayFilter(p -> " + cond + ", [")
	var ranges [][2]time.Time
	var alldims, open []string
	restricted := map[int][]any{}
	for i, t := range sc.tags {
		if i > 0 {
			tags.w(", ")
		}
		a, b, c, d := any(t.lo), any(t.hi), any(t.lo2), any(t.hi2)
		if tm == "day" {
			a, b, c, d = store.Date(t.lo), store.Date(t.hi), store.Date(t.lo2), store.Date(t.hi2)
		}
		tags.w("(toUInt32(?), ?, toUInt8(?), ?, ?, ?, ?, toUInt8(?))", t.qi, t.dim, t.key, a, b, c, d, t.event)
		ranges = append(ranges, [2]time.Time{t.lo, t.hi}, [2]time.Time{t.lo2, t.hi2})
		if !slices.Contains(alldims, t.dim) {
			alldims = append(alldims, t.dim)
		}
		if t.only == nil || t.key == 0 {
			if !slices.Contains(open, t.dim) {
				open = append(open, t.dim)
			}
			continue
		}
		for _, v := range t.only {
			restricted[t.key] = append(restricted[t.key], store.In{t.dim, v})
		}
	}
	tags.w("]))")
	day := "toDate(hour)"
	if sc.time == "day" {
		day = "day"
	}
	if rank {
		act := "if(ev, finalizeAggregation(events), finalizeAggregation(visits))"
		if sc.table == eventsWide || sc.table == pageHourly {
			act = "finalizeAggregation(events)"
		}
		if final {
			s.w("SELECT toUInt32(qi), k0, toInt64(sum(" + act + ")), toUInt64(greatest(0, toInt64(uniqExactIf(t, " + act + " > 0)) - toInt64(uniqExactIf(t, " + act + " < 0))))")
		} else {
			s.w("SELECT qi, k0, sum(" + act + ") AS a, uniqExactIf(t, " + act + " > 0) AS dp, uniqExactIf(t, " + act + " < 0) AS dn")
		}
	} else if final {
		s.w("SELECT toUInt32(qi), '', toUInt8(1), k0, k0, k0, k0, toUInt64(" + visitorsMerge("") + "(visitors))")
		for _, c := range sumColumns {
			s.w(", toInt64(" + sum(c) + ")")
		}
		s.w(", toUInt64(1), toUInt64(0), toInt64(0), toInt64(0), toInt64(0), toInt64(0), toInt64(0)")
	} else {
		s.w("SELECT qi, k0, " + visitorsMerge("State") + "(visitors) AS u")
		for _, c := range sumColumns {
			s.w(", " + sum(c) + " AS s" + c[:1])
		}
	}
	if direct := dims && len(alldims) == len(sc.tags); direct {
		// A tag per dim: a row's dim says which tag it is, and the
		// conditions below keep each dim to its tag's days. Cheaper to
		// plan and run than unrolling every row over the tags.
		var qi, ev, k0 sqlBuf
		qi.w("multiIf(")
		ev.w("multiIf(")
		k0.w("multiIf(")
		for _, t := range sc.tags {
			qi.w("dim = ?, toUInt32(?), ", t.dim, t.qi)
			ev.w("dim = ?, toUInt8(?), ", t.dim, t.event)
			col := "''"
			if t.key > 0 {
				col = sc.keys[t.key-1]
			}
			k0.w("dim = ?, "+col+", ", t.dim)
		}
		qi.w("toUInt32(0))")
		ev.w("toUInt8(0))")
		k0.w("'')")
		s.w(" FROM (SELECT "+qi.b.String()+" AS qi, "+ev.b.String()+" AS ev, "+k0.b.String()+" AS k0", slices.Concat(qi.args, ev.args, k0.args)...)
	} else {
		// Each row, once per tag that wants it: p is the tag.
		s.w(" FROM (SELECT "+tags.b.String()+" AS p, p.1 AS qi, p.8 AS ev, "+key+" AS k0", tags.args...)
	}
	if rank {
		s.w(", " + day + " AS t")
	}
	for _, c := range append(slices.Clone(sumColumns), "visitors") {
		if (sc.table == eventsWide || sc.table == pageHourly) && (c == "visits" || c == "bounces" || c == "duration") {
			continue
		}
		if rank && c != "visits" && c != "events" {
			continue
		}
		s.w(", " + c)
	}
	s.w(" FROM " + sc.table)
	s.w(" WHERE site = ? AND ", site)
	writeSpans(s, tm, union(ranges))
	if dims {
		// Each dim's own days only: reading a row decodes its visitors
		// state, and only the totals want the previous period.
		type group struct {
			dims  []string
			spans [][2]time.Time
		}
		var groups []group
		for _, dim := range alldims {
			var mine [][2]time.Time
			for _, t := range sc.tags {
				if t.dim == dim {
					mine = append(mine, [2]time.Time{t.lo, t.hi}, [2]time.Time{t.lo2, t.hi2})
				}
			}
			mine = union(mine)
			i := slices.IndexFunc(groups, func(g group) bool { return slices.Equal(g.spans, mine) })
			if i < 0 {
				groups = append(groups, group{spans: mine})
				i = len(groups) - 1
			}
			groups[i].dims = append(groups[i].dims, dim)
		}
		if len(groups) > 1 {
			s.w(" AND (")
			for i, g := range groups {
				if i > 0 {
					s.w(" OR ")
				}
				s.w("(dim IN ? AND ", store.InStrings(g.dims))
				writeSpans(s, tm, g.spans)
				s.w(")")
			}
			s.w(")")
		}
	}
	// The rows of the candidates only, where the key can find them; the
	// tags take the rest out.
	switch {
	case dims && len(open) < len(alldims):
		var conds []string
		var args []any
		if len(open) > 0 {
			conds = append(conds, "dim IN ?")
			args = append(args, store.InStrings(open))
		}
		for k := 1; k <= len(sc.keys); k++ {
			pairs := restricted[k]
			switch {
			case len(pairs) == 1:
				conds = append(conds, "(dim = ? AND "+sc.keys[k-1]+" = ?)")
				args = append(args, pairs[0].(store.In)...)
			case len(pairs) > 1:
				conds = append(conds, "(dim, "+sc.keys[k-1]+") IN ?")
				args = append(args, store.In(pairs))
			}
		}
		s.w(" AND ("+strings.Join(conds, " OR ")+")", args...)
	case !dims && len(open) == 0:
		// Every tag wants its candidates only: read no other key's rows.
		var conds []string
		var args []any
		for k := 1; k <= len(sc.keys); k++ {
			var values []string
			for _, pair := range restricted[k] {
				values = append(values, pair.(store.In)[1].(string))
			}
			if len(values) > 0 {
				conds = append(conds, sc.keys[k-1]+" IN ?")
				args = append(args, store.InStrings(values))
			}
		}
		if len(conds) > 0 {
			s.w(" AND ("+strings.Join(conds, " OR ")+")", args...)
		}
	case dims:
		s.w(" AND dim IN ?", store.InStrings(alldims))
	}
	s.w(") GROUP BY qi, k0")
}

// writeSpans writes the condition that the row's time column (day or hour)
// is in one of the spans [lo, hi).
func writeSpans(s *sqlBuf, tm string, spans [][2]time.Time) {
	s.w("(")
	for i, r := range spans {
		if i > 0 {
			s.w(" OR ")
		}
		if tm == "day" {
			s.w("(day >= ? AND day < ?)", store.Date(r[0]), store.Date(r[1]))
		} else {
			s.w("(hour >= ? AND hour < ?)", r[0], r[1])
		}
	}
	s.w(")")
}

// union merges time ranges [lo, hi) that overlap or touch, and drops the
// empty ones.
func union(ranges [][2]time.Time) [][2]time.Time {
	slices.SortFunc(ranges, func(a, b [2]time.Time) int { return a[0].Compare(b[0]) })
	var out [][2]time.Time
	for _, r := range ranges {
		if !r[0].Before(r[1]) {
			continue
		}
		if n := len(out); n > 0 && !r[0].After(out[n-1][1]) {
			if r[1].After(out[n-1][1]) {
				out[n-1][1] = r[1]
			}
			continue
		}
		out = append(out, r)
	}
	return out
}

// splitClosed splits the closed scan sc in two reads to run at once, so
// that both cores work on a page: the page breakdowns (thousands of
// values, and the visitors carried over midnight) and the rest.
func splitClosed(sc *scan) []*scan {
	if sc == nil {
		return nil
	}
	pages, rest := *sc, *sc
	pages.tags, rest.tags = nil, nil
	for _, t := range sc.tags {
		if t.event {
			pages.tags = append(pages.tags, t)
		} else {
			rest.tags = append(rest.tags, t)
		}
	}
	if len(pages.tags) == 0 || len(rest.tags) == 0 {
		return []*scan{sc}
	}
	return []*scan{&pages, &rest}
}

// takeClosed takes the closed scan (read on its own) out of scans.
func takeClosed(scans []*scan) (*scan, []*scan) {
	i := slices.IndexFunc(scans, (*scan).closed)
	if i < 0 {
		return nil, scans
	}
	closed := scans[i]
	return closed, slices.Delete(scans, i, i+1)
}

// runBatch runs the fetches, one statement per layout at the same time,
// and hands each fetch its rows.
func (e *Engine) runBatch(ctx context.Context, fs []*fetch, c closed) error {
	var flat, rank sqlBuf
	var shared, ranked []int
	series := map[int]time.Time{} // series that read closed days, until when
	for i, f := range fs {
		if cut, ok := seriesCut(f, c); ok {
			series[i] = cut
			if !cut.Before(f.pl.p.to) {
				continue // closed all through
			}
			// The rest from states.
			open := *f
			open.pl.p.from = cut
			f = &open
		}
		switch {
		case f.rank:
			ranked = append(ranked, i)
		case f.shared():
			shared = append(shared, i)
		default:
			if flat.b.Len() > 0 {
				flat.w(" UNION ALL ")
			}
			f.wrap(&flat, i)
		}
	}
	closedFlat, scans := takeClosed(scansOf(fs, shared, c))
	if len(scans) > 0 {
		if flat.b.Len() > 0 {
			flat.w(" UNION ALL ")
		}
		writeShared(&flat, scans, fs[shared[0]].pl.site, false)
	}
	closedRank, scans := takeClosed(scansOf(fs, ranked, c))
	if len(scans) > 0 {
		writeShared(&rank, scans, fs[ranked[0]].pl.site, true)
	}
	var (
		wg         sync.WaitGroup
		errs       [5]error
		closedRows [2][][]any
		rankRows   [][]any
	)
	for i, sc := range splitClosed(closedFlat) {
		wg.Go(func() { closedRows[i], errs[2+i] = e.readClosed(ctx, sc, fs[shared[0]].pl.site, c) })
	}
	if closedRank != nil {
		wg.Go(func() { rankRows, errs[4] = e.rankClosed(ctx, closedRank, fs[ranked[0]].pl.site, c) })
	}
	seriesRows := make([][][]any, len(series))
	seriesErrs := make([]error, len(series))
	n := 0
	for i, cut := range series {
		j := n
		wg.Go(func() { seriesRows[j], seriesErrs[j] = e.readSeries(ctx, fs[i], i, cut, c) })
		n++
	}
	for i, b := range []*sqlBuf{&flat, &rank} {
		if b.b.Len() == 0 {
			continue
		}
		wg.Go(func() {
			rows, err := e.read.Query(ctx, b.b.String(), b.args...)
			if err != nil {
				errs[i] = err
				return
			}
			for _, v := range rows.Values {
				qi := int(toInt(v[0]))
				if qi >= 0 && qi < len(fs) {
					fs[qi].rows = append(fs[qi].rows, v)
				}
			}
		})
	}
	wg.Wait()
	for _, v := range slices.Concat(append(seriesRows, closedRows[0], closedRows[1], rankRows)...) {
		qi := int(toInt(v[0]))
		fs[qi].rows = append(fs[qi].rows, v)
	}
	return errors.Join(append(errs[:], seriesErrs...)...)
}

// flat reads the rows of a flat or fold fetch. Shared reads hand back
// every group they met: those of the fetch's candidates (only) with any
// activity left once cancelled rows are taken out are its rows.
func (f *fetch) flat() []aggRow {
	out := make([]aggRow, 0, len(f.rows))
	act := f.pl.activity()
	// A shared read hands back every group of its dim: keep the fetch's own.
	sieve := f.shared() && len(f.pl.keys) > 0
	var only map[string]bool
	if sieve && f.pl.only != nil {
		only = make(map[string]bool, len(f.pl.only))
		for _, k := range f.pl.only {
			only[k] = true
		}
	}
	// The complement is there only under filters; reading a nil map gives
	// zeros.
	filtered := len(f.pl.filters) > 0
	for _, v := range f.rows {
		r := aggRow{kept: toInt(v[2]) == 1, n: int(toInt(v[13])), sums: make(map[string]int64, len(sumColumns))}
		if filtered {
			r.cSums = make(map[string]int64, len(sumColumns))
		}
		if tb, _ := v[1].(string); tb != "" {
			layout := time.DateOnly
			if f.pl.interval == "hour" {
				layout = time.DateTime
			}
			r.bucket, _ = time.ParseInLocation(layout, tb, time.UTC)
		}
		for i := range f.pl.keys {
			s, _ := v[3+i].(string)
			r.keys = append(r.keys, s)
		}
		r.visitors = toInt(v[7])
		r.cVisitors = toInt(v[14])
		for i, m := range sumColumns {
			r.sums[m] = toInt(v[8+i])
			if filtered {
				r.cSums[m] = toInt(v[15+i])
			}
		}
		out = append(out, r)
	}
	if f.shared() || f.pl.interval != "" {
		// A group's (bucket's) closed days come in a row of their own.
		out = mergeGroups(out)
	}
	if sieve {
		out = slices.DeleteFunc(out, func(r aggRow) bool {
			return r.sums[act] <= 0 || (only != nil && !only[r.keys[0]])
		})
	}
	if len(out) == 0 && len(f.pl.keys) == 0 && f.pl.interval == "" && !f.fold {
		// Totals over nothing are a row of zeros, as an aggregate
		// without GROUP BY returns.
		out = append(out, aggRow{sums: map[string]int64{}, cSums: map[string]int64{}})
	}
	return out
}

// total reads the one row of a totals fetch; no row reads as zeros.
func (f *fetch) total() aggRow {
	if rows := f.flat(); len(rows) > 0 {
		return rows[0]
	}
	return aggRow{sums: map[string]int64{}, cSums: map[string]int64{}}
}

// rankRow is a group of a top-n breakdown, sized without its visitors.
type rankRow struct {
	key  string
	act  int64
	days int64
}

// ranks reads the groups of a rank fetch; a group's closed days come in a
// row of their own.
func (f *fetch) ranks() []rankRow {
	out := make([]rankRow, 0, len(f.rows))
	at := map[string]int{}
	for _, v := range f.rows {
		k, _ := v[1].(string)
		if i, ok := at[k]; ok {
			out[i].act += toInt(v[2])
			out[i].days += toInt(v[3])
			continue
		}
		at[k] = len(out)
		out = append(out, rankRow{key: k, act: toInt(v[2]), days: toInt(v[3])})
	}
	return out
}

// The top-n path. An unfiltered breakdown by one column, ordered by
// visitors, shows a page of its largest groups; merging the visitors of
// every group (thousands of pages, each a state per day) is most of its
// cost. So it first sizes every group by its activity (visits, or events
// for pages: a plain sum, an upper bound of its visitors) and the number
// of UTC days it had any, then merges visitors only for the candidates:
// the largest groups by activity, and any group it cannot otherwise tell
// kept or held back. The answer is exact when the page's last row has more
// visitors than the largest activity left out, and no fold is needed;
// otherwise the query runs in full.
//
// A group left out is held back when its activity is under k, and kept
// when it certainly has k visitors: visitor ids change every UTC day (the
// daily salt), so a group seen on n days of visits has n visitors or more,
// and one seen on n days of page views at least n/2 (a visit, and its
// visitor id, runs over one midnight at most).

// maxCandidates bounds the groups whose visitors a top-n breakdown merges;
// beyond it, the query runs in full.
const maxCandidates = 2000

// topN says whether q takes the top-n path, the site's closed days being
// c.
func (pl plan) topN(q Query, c closed) bool {
	if len(pl.keys) == 0 || pl.interval != "" || len(pl.filters) > 0 || len(pl.columns()) != 1 || q.Include.TotalRows {
		return false
	}
	if _, _, ok := pl.split(); !ok || pl.src.daily.few {
		// A few values are merged at once; a range within a day is
		// small.
		return false
	}
	limit := q.Pagination.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	o := orderOf(q)
	return q.Pagination.Offset+limit <= maxCandidates/2 && o[0].Key == MetricVisitors && o[0].Direction == "desc" && !pl.closedMostly(c)
}

// closedPart is what the flat, unfiltered breakdown pl can read of its
// period from closed days: where in closed_dims, and the window.
func (pl plan) closedPart(c closed) (read, window, bool) {
	daily := pl.src.daily
	if daily == nil || daily.table != dimsDaily || pl.interval != "" {
		return read{}, window{}, false
	}
	cl, exact := closedRead(*daily, pl.columns())
	if !exact {
		return read{}, window{}, false
	}
	w, ok := closedWindow(pl.p.from, pl.p.to, c)
	return cl, w, ok
}

// closedMostly says whether the breakdown pl reads all of its period from
// closed days but two days at most: then reading every group (a plain
// sum per group over the closed days, and the few states of the rest)
// costs less than ranking the groups and reading the candidates, and
// takes one step.
func (pl plan) closedMostly(c closed) bool {
	_, w, ok := pl.closedPart(c)
	if !ok {
		return false
	}
	end := pl.p.to
	if !pl.p.cut.IsZero() && pl.p.cut.Before(end) {
		end = pl.p.cut
	}
	start := w.lo.Add(time.Duration(w.first) * time.Hour)
	stop := w.hi.Add(-time.Duration(24-w.last) * time.Hour)
	open := start.Sub(pl.p.from) + max(0, end.Sub(stop))
	return open <= 48*time.Hour
}

// pick chooses the candidates of a top-n breakdown from its ranked groups,
// and counts those it can decide without them.
func (j *job) pick(rank []rankRow) []string {
	limit := j.q.Pagination.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	want := max(2*(j.q.Pagination.Offset+limit), j.q.Pagination.Offset+limit+10)
	slices.SortFunc(rank, func(a, b rankRow) int {
		if c := cmp.Compare(b.act, a.act); c != 0 {
			return c
		}
		return cmp.Compare(a.key, b.key)
	})
	k := int64(j.pl.k)
	var cands []string
	top := 0
	for _, g := range rank {
		least := g.days // visitors at least, by the daily salt
		if j.pl.scope == eventScope {
			least = (g.days + 1) / 2
		}
		switch {
		case g.act <= 0:
			// Cancelled out: not a group at all.
		case g.act < k:
			j.certain++
		case top < want:
			top++
			cands = append(cands, g.key)
		case least >= k:
			if j.sure == 0 {
				j.maxOut = g.act
			}
			j.sure++
		default:
			cands = append(cands, g.key)
		}
	}
	return cands
}
