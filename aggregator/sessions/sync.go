package sessions

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/varde/varde/aggregator"
)

const day = 24 * time.Hour

// ids maps visitor ids to a lower bound of their salt's UTC day d (the
// bound may be d-1). An id's events lie in [d, d+1 day+saltLag), and the
// events naming it as prev_visitor_id in the first linkWindow of d+1.
type ids = map[uint64]time.Time

// idWindow is the time range that holds every event of the ids and every
// event naming one of them as its previous-day id.
func idWindow(m ids) (from, to time.Time) {
	first := true
	for _, d := range m {
		if first {
			from, to, first = d, d, false
			continue
		}
		from, to = minTime(from, d), maxTime(to, d)
	}
	return from, to.Add(3 * day)
}

// syncChunk brings the visits of one chunk of affected visitor ids (core)
// up to date.
//
// A new event of id X can change the visits holding X's events, and so the
// visits of X itself, of P (X's previous-day id, whose visit X may
// continue) and of W (a next-day id whose visit may continue X's): the
// write set G is core with its links one midnight either way. Deciding
// those visits exactly needs every event of G's ids and of their own links
// (L, two links out), because whether a run continues depends on its own
// id's and its previous-day id's events only (see Visits). Days outside an
// id's window cannot hold its events: visitor ids are daily.
func (s *Sessionizer) syncChunk(ctx context.Context, site string, core ids, st *Stats) error {
	events, g, err := s.loadGroups(ctx, site, core)
	if err != nil {
		return err
	}
	st.Loaded += len(events)
	var (
		wantS []*Session
		wantE []*SessionEvent
	)
	for _, v := range Visits(events) {
		if _, ok := g[v.Session.VisitorID]; !ok {
			continue
		}
		wantS = append(wantS, &v.Session)
		for i := range v.Events {
			wantE = append(wantE, &v.Events[i])
		}
	}
	curS, curE, err := s.current(ctx, site, g)
	if err != nil {
		return err
	}
	rowsS, cancelS, addS := diff(wantS, curS)
	rowsE, cancelE, addE := diff(wantE, curE)
	if err := s.write(ctx, rowsS, rowsE); err != nil {
		return err
	}
	st.SessionsCancelled += cancelS
	st.SessionsWritten += addS
	st.EventsCancelled += cancelE
	st.EventsWritten += addE
	return nil
}

// write inserts a run's rows, confirming first that this node still holds
// the lease.
func (s *Sessionizer) write(ctx context.Context, sessions signedRows[*Session], events signedRows[*SessionEvent]) error {
	if len(sessions) > 0 {
		if err := s.lease.confirm(ctx); err != nil {
			return err
		}
		if err := s.st.InsertRows(ctx, "sessions", sessionColumns, sessions); err != nil {
			return fmt.Errorf("sessions: write sessions: %w", err)
		}
	}
	if len(events) > 0 {
		if err := s.lease.confirm(ctx); err != nil {
			return err
		}
		if err := s.st.InsertRows(ctx, "session_events", sessionEventColumns, events); err != nil {
			return fmt.Errorf("sessions: write session events: %w", err)
		}
	}
	return nil
}

// loadGroups loads the events of core's link groups, in up to three
// rounds: core and the events that name a core id as their previous-day id;
// then the ids those link to (completing G); then G's own links (L). The
// later rounds only happen around midnight, when events carry a
// prev_visitor_id. It returns the events of L and the ids of G.
func (s *Sessionizer) loadGroups(ctx context.Context, site string, core ids) ([]aggregator.Event, ids, error) {
	seen := map[uint64]bool{} // event ids
	var events []aggregator.Event
	add := func(evs []aggregator.Event) []aggregator.Event {
		var fresh []aggregator.Event
		for _, e := range evs {
			if !seen[e.ID] {
				seen[e.ID] = true
				events = append(events, e)
				fresh = append(fresh, e)
			}
		}
		return fresh
	}
	// links adds to into the ids that the events link to from ids in from.
	links := func(evs []aggregator.Event, from, into ids) ids {
		added := ids{}
		for _, e := range evs {
			if _, ok := from[e.VisitorID]; ok && e.PrevVisitorID != 0 {
				if _, ok := into[e.PrevVisitorID]; !ok {
					d := midnight(e.Time.Add(-saltLag)).Add(-day)
					into[e.PrevVisitorID], added[e.PrevVisitorID] = d, d
				}
			}
			if _, ok := from[e.PrevVisitorID]; ok && e.PrevVisitorID != 0 {
				if _, ok := into[e.VisitorID]; !ok {
					d := midnight(e.Time.Add(-saltLag))
					into[e.VisitorID], added[e.VisitorID] = d, d
				}
			}
		}
		return added
	}

	evs, err := s.load(ctx, sqlLoadLinked, site, core)
	if err != nil {
		return nil, nil, err
	}
	add(evs)
	g := maps.Clone(core)
	ring := links(events, core, g)
	if len(ring) == 0 {
		return events, g, nil
	}
	evs, err = s.load(ctx, sqlLoadLinked, site, ring)
	if err != nil {
		return nil, nil, err
	}
	add(evs)
	l := maps.Clone(g)
	outer := links(events, ring, l)
	if len(outer) == 0 {
		return events, g, nil
	}
	evs, err = s.load(ctx, sqlLoadVisitors, site, outer)
	if err != nil {
		return nil, nil, err
	}
	add(evs)
	return events, g, nil
}

// load runs one of the load queries for the ids, maxIn at a time, each
// part over its ids' window. The linked query also scans prev_visitor_id,
// which the table is not ordered by; only ids of a day that is over can be
// named by a next day's events, so ids of today (nearly all of them, but
// in the minutes after midnight) take the cheaper, indexed query.
func (s *Sessionizer) load(ctx context.Context, sql, site string, m ids) ([]aggregator.Event, error) {
	if sql == sqlLoadLinked {
		today := midnight(s.opts.Now())
		current, over := ids{}, ids{}
		for id, d := range m {
			if d.Before(today) {
				over[id] = d
			} else {
				current[id] = d
			}
		}
		out, err := s.loadEach(ctx, sqlLoadVisitors, site, current)
		if err != nil {
			return nil, err
		}
		more, err := s.loadEach(ctx, sqlLoadLinked, site, over)
		return append(out, more...), err
	}
	return s.loadEach(ctx, sql, site, m)
}

func (s *Sessionizer) loadEach(ctx context.Context, sql, site string, m ids) ([]aggregator.Event, error) {
	var out []aggregator.Event
	for part := range slices.Chunk(slices.Sorted(maps.Keys(m)), maxIn) {
		sub := ids{}
		for _, id := range part {
			sub[id] = m[id]
		}
		from, to := idWindow(sub)
		var err error
		if out, err = s.loadIn(ctx, sql, site, part, from, to, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// loadIn runs a load query for at most maxIn ids over [from, to).
func (s *Sessionizer) loadIn(ctx context.Context, sql, site string, list []uint64, from, to time.Time, out []aggregator.Event) ([]aggregator.Event, error) {
	in := inList(list)
	args := []any{site, from, to, in}
	if sql == sqlLoadLinked {
		args = append(args, in)
	}
	rows, err := s.st.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("sessions: load events: %w", err)
	}
	if out, err = scanEvents(rows, out); err != nil {
		return nil, fmt.Errorf("sessions: load events: %w", err)
	}
	return out, nil
}

// counted is a current row and the sum of its signs.
type counted[T any] struct {
	row T
	n   int64
}

// current reads the rows of the visits of the ids as they stand: grouped
// by every column, the signs summed, so the answer is the same before and
// after the parts are merged.
func (s *Sessionizer) current(ctx context.Context, site string, g ids) ([]counted[*Session], []counted[*SessionEvent], error) {
	var (
		sess []counted[*Session]
		evs  []counted[*SessionEvent]
	)
	for part := range slices.Chunk(slices.Sorted(maps.Keys(g)), maxIn) {
		sub := ids{}
		for _, id := range part {
			sub[id] = g[id]
		}
		in := inList(part)
		// A visit starts on its visitor id's day; its events may run into
		// the next day, and the bound may be a day early.
		from, to := idWindow(sub)
		rows, err := s.st.Query(ctx, sqlCurrentSessions, site, in, from, to)
		if err != nil {
			return nil, nil, fmt.Errorf("sessions: current sessions: %w", err)
		}
		for rows.Next() {
			r := &Session{}
			var n int64
			if err := rows.Scan(append(r.dests(), &n)...); err != nil {
				return nil, nil, fmt.Errorf("sessions: current sessions: %w", err)
			}
			sess = append(sess, counted[*Session]{r, n})
		}
		rows, err = s.st.Query(ctx, sqlCurrentSessionEvents, site, in, from, to.Add(day))
		if err != nil {
			return nil, nil, fmt.Errorf("sessions: current session events: %w", err)
		}
		for rows.Next() {
			r := &SessionEvent{}
			var n int64
			if err := rows.Scan(append(r.dests(), &n)...); err != nil {
				return nil, nil, fmt.Errorf("sessions: current session events: %w", err)
			}
			evs = append(evs, counted[*SessionEvent]{r, n})
		}
	}
	return sess, evs, nil
}

type tableRow interface {
	key() string
	fill(dst []any, sign int8)
}

// signed is a row to write with its sign.
type signed[T tableRow] struct {
	row  T
	sign int8
}

// signedRows are rows to write, made one at a time as the store encodes
// them rather than held as [][]any.
type signedRows[T tableRow] []signed[T]

func (r signedRows[T]) Len() int             { return len(r) }
func (r signedRows[T]) Row(i int, dst []any) { r[i].row.fill(dst, r[i].sign) }

// diff returns the rows that turn cur into want: for each distinct row, as
// many cancels (sign -1) or copies (sign +1) as its sum of signs is off by,
// so that it ends at 1 when wanted and 0 when not. Rows already right are
// not written. Cancels come first, each group in key order.
func diff[T tableRow](want []T, cur []counted[T]) (rows signedRows[T], cancelled, written int) {
	if len(cur) == 0 {
		// New visitors only: nothing to compare with.
		rows = make(signedRows[T], len(want))
		for i, w := range want {
			rows[i] = signed[T]{w, 1}
		}
		return rows, 0, len(want)
	}
	type entry struct {
		row  T
		have int64
		want int64
	}
	m := make(map[string]*entry, len(want)+len(cur))
	for _, c := range cur {
		k := c.row.key()
		if e, ok := m[k]; ok {
			e.have += c.n
			continue
		}
		m[k] = &entry{row: c.row, have: c.n}
	}
	for _, w := range want {
		k := w.key()
		if e, ok := m[k]; ok {
			e.want = 1
			continue
		}
		m[k] = &entry{row: w, want: 1}
	}
	keys := slices.Sorted(maps.Keys(m))
	for _, k := range keys {
		e := m[k]
		for range e.have - e.want {
			rows = append(rows, signed[T]{e.row, -1})
			cancelled++
		}
	}
	for _, k := range keys {
		e := m[k]
		for range e.want - e.have {
			rows = append(rows, signed[T]{e.row, 1})
			written++
		}
	}
	return rows, cancelled, written
}
