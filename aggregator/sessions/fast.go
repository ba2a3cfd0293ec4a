package sessions

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/varde/varde/aggregator"
)

// The fast path. The node holding the lease is the only writer, so it can
// remember what it wrote: the events of the last visit of every visitor
// active in the last keepOpen (the store holds exactly Visits of them).
// New events of such a visitor that come after the remembered ones need no
// store reads at all: the old rows are Visits(remembered), the new ones
// Visits(remembered + new), and the difference is written. Visitors the holder has not seen
// since it took the lease, events that arrive out of order, and the minutes
// after midnight when visits may continue yesterday's (prev_visitor_id)
// take the exact, store-reading path (syncChunk), and are remembered as
// such until they have been quiet for keepOpen.

// keepOpen is how long a visitor is remembered after its last event: long
// enough that a later event of a forgotten visitor starts a new visit.
const keepOpen = Gap + 15*time.Minute

// maxRemembered bounds the events remembered; past it the oldest visitors
// are forgotten and go the slow way if they come back.
const maxRemembered = 200_000

type vkey struct {
	site string
	id   uint64
}

// memory is the lease holder's view of open visitors.
type memory struct {
	open    map[vkey]*remembered
	slow    map[vkey]time.Time // visitors to keep on the slow path until then
	counted int
	primed  bool // slow holds every visitor with events before this view began
}

func (m *memory) reset() {
	*m = memory{open: map[vkey]*remembered{}, slow: map[vkey]time.Time{}}
}

// remembered is a fast-path visitor's open visit, kept small: its first
// event whole (the visit takes its attributes from it), the others with
// only what a visit's rows read of them. At 10,000 events a second the
// lease holder remembers up to maxRemembered events, so this is a third of
// the memory whole events took.
type remembered struct {
	first aggregator.Event
	rest  []slimEvent
}

type slimEvent struct {
	time                 time.Time
	id                   uint64
	name, hostname, path string
	propKeys, propValues []string
}

// remember keeps a visit's events (sorted, not empty).
func remember(evs []aggregator.Event) *remembered {
	r := &remembered{first: evs[0], rest: make([]slimEvent, len(evs)-1)}
	for i, e := range evs[1:] {
		r.rest[i] = slimEvent{e.Time, e.ID, e.Name, e.Hostname, e.Path, e.PropKeys, e.PropValues}
	}
	return r
}

// events are the remembered events again, as Visits reads them, with room
// for n more. A nil r has none.
func (r *remembered) events(n int) []aggregator.Event {
	if r == nil {
		return make([]aggregator.Event, 0, n)
	}
	out := make([]aggregator.Event, 0, 1+len(r.rest)+n)
	out = append(out, r.first)
	for _, e := range r.rest {
		out = append(out, aggregator.Event{
			Site: r.first.Site, VisitorID: r.first.VisitorID, Time: e.time, ID: e.id,
			Name: e.name, Hostname: e.hostname, Path: e.path, PropKeys: e.propKeys, PropValues: e.propValues,
		})
	}
	return out
}

func (r *remembered) len() int { return 1 + len(r.rest) }

// last is the time and id of the last remembered event.
func (r *remembered) last() (time.Time, uint64) {
	if len(r.rest) == 0 {
		return r.first.Time, r.first.ID
	}
	e := r.rest[len(r.rest)-1]
	return e.time, e.id
}

// prime marks every visitor with events in the store in the last keepOpen
// as one to take the slow way: this holder did not fold those events in, so
// it cannot diff from memory for them. Every other visitor whose first new
// event is recent has no visit this holder does not know of.
func (s *Sessionizer) prime(ctx context.Context, now time.Time) error {
	rows, err := s.st.Query(ctx, sqlRecentVisitors, now.Add(-keepOpen))
	if err != nil {
		return fmt.Errorf("sessions: recent visitors: %w", err)
	}
	until := now.Add(keepOpen)
	for rows.Next() {
		var k vkey
		if err := rows.Scan(&k.site, &k.id); err != nil {
			return fmt.Errorf("sessions: recent visitors: %w", err)
		}
		s.mem.slow[k] = until
	}
	s.mem.primed = true
	return nil
}

// fastPlan is a run's split of new events into the fast path's rows and the
// visitors that must take the slow one.
type fastPlan struct {
	sessions signedRows[*Session]
	events   signedRows[*SessionEvent]
	remember map[vkey]*remembered
	slow     map[string]ids // site → visitor ids with their day bound
	stats    Stats
}

// plan splits the new events of a run's part of the visitors.
func (m *memory) plan(batches [][]aggregator.Event, part visitorPart, now time.Time) fastPlan {
	p := fastPlan{remember: map[vkey]*remembered{}, slow: map[string]ids{}}
	byVisitor := map[vkey][]*aggregator.Event{}
	for _, events := range batches {
		for i := range events {
			e := &events[i]
			if !part.has(e.VisitorID) {
				continue
			}
			k := vkey{e.Site, e.VisitorID}
			byVisitor[k] = append(byVisitor[k], e)
		}
	}
	for k, news := range byVisitor {
		// The remembered events, then the new ones, sorted.
		all := m.open[k].events(len(news))
		old := all[:len(all):len(all)]
		for _, e := range news {
			all = append(all, *e)
		}
		evs := all[len(old):]
		slices.SortFunc(evs, eventOrder)
		if !m.canTakeFast(k, evs, now) {
			day := midnight(evs[0].Time.Add(-saltLag))
			if p.slow[k.site] == nil {
				p.slow[k.site] = ids{}
			}
			if d, ok := p.slow[k.site][k.id]; !ok || day.Before(d) {
				p.slow[k.site][k.id] = day
			}
			continue
		}
		var cur []counted[*Session]
		var curE []counted[*SessionEvent]
		for _, v := range Visits(old) {
			cur = append(cur, counted[*Session]{&v.Session, 1})
			for i := range v.Events {
				curE = append(curE, counted[*SessionEvent]{&v.Events[i], 1})
			}
		}
		var want []*Session
		var wantE []*SessionEvent
		for _, v := range Visits(all) {
			want = append(want, &v.Session)
			for i := range v.Events {
				wantE = append(wantE, &v.Events[i])
			}
		}
		rowsS, cs, ws := diff(want, cur)
		rowsE, ce, we := diff(wantE, curE)
		p.sessions = append(p.sessions, rowsS...)
		p.events = append(p.events, rowsE...)
		p.stats.SessionsCancelled += cs
		p.stats.SessionsWritten += ws
		p.stats.EventsCancelled += ce
		p.stats.EventsWritten += we
		p.stats.Visitors++
		p.remember[k] = remember(openVisit(all))
	}
	return p
}

// openVisit is the tail of a fast-path visitor's events (sorted) that
// forms its last visit. Only that visit can change: new events come after
// every remembered one, and the visits before it end a Gap or more before
// its first event. So it is all that needs remembering.
func openVisit(evs []aggregator.Event) []aggregator.Event {
	for i := len(evs) - 1; i > 0; i-- {
		if evs[i].Time.Sub(evs[i-1].Time) >= Gap {
			return evs[i:]
		}
	}
	return evs
}

// canTakeFast reports whether a visitor's new events (sorted) can be
// folded in from memory alone.
func (m *memory) canTakeFast(k vkey, evs []aggregator.Event, now time.Time) bool {
	if until, ok := m.slow[k]; ok && now.Before(until) {
		return false
	}
	for _, e := range evs {
		if e.PrevVisitorID != 0 {
			return false
		}
	}
	if old, ok := m.open[k]; ok {
		// Only events after every remembered one: anything earlier may
		// change the visits in ways that need the whole history.
		t, id := old.last()
		return eventOrder(aggregator.Event{Time: t, ID: id}, evs[0]) < 0
	}
	// A visitor neither remembered nor marked slow (prime marked those with
	// events from before this holder's view) has no event in the store
	// within keepOpen of now but what this run brings, so a recent first
	// event starts its visit. An event that arrives long after it happened
	// may belong to a visit this holder has forgotten.
	return !evs[0].Time.Before(now.Add(Gap - keepOpen))
}

// apply records what a successful run wrote, and forgets stale visitors.
func (m *memory) apply(p fastPlan, now time.Time) {
	for k, r := range p.remember {
		if old, ok := m.open[k]; ok {
			m.counted -= old.len()
		}
		m.counted += r.len()
		m.open[k] = r
	}
	for site, list := range p.slow {
		for id := range list {
			k := vkey{site, id}
			if old, ok := m.open[k]; ok {
				m.counted -= old.len()
				delete(m.open, k)
			}
			m.slow[k] = now.Add(keepOpen)
		}
	}
	m.forget(now)
}

func (m *memory) forget(now time.Time) {
	for k, r := range m.open {
		if last, _ := r.last(); now.Sub(last) > keepOpen {
			m.counted -= r.len()
			delete(m.open, k)
		}
	}
	for k, until := range m.slow {
		if !now.Before(until) {
			delete(m.slow, k)
		}
	}
	if m.counted <= maxRemembered {
		return
	}
	// Forget the quietest visitors first; they go the slow way if they
	// come back within keepOpen.
	type entry struct {
		k    vkey
		last time.Time
	}
	var all []entry
	for k, r := range m.open {
		last, _ := r.last()
		all = append(all, entry{k, last})
	}
	slices.SortFunc(all, func(a, b entry) int { return a.last.Compare(b.last) })
	for _, e := range all {
		if m.counted <= maxRemembered*3/4 {
			break
		}
		m.counted -= m.open[e.k].len()
		delete(m.open, e.k)
		m.slow[e.k] = now.Add(keepOpen)
	}
}

func eventOrder(a, b aggregator.Event) int {
	if c := a.Time.Compare(b.Time); c != 0 {
		return c
	}
	switch {
	case a.ID < b.ID:
		return -1
	case a.ID > b.ID:
		return 1
	}
	return 0
}

// insertEvents gathers the raw events of the inserts, as batches: those the
// local writer handed over (not copied: a run's events are tens of MB, and
// the copy held up the garbage collector), and the others from the store.
func (s *Sessionizer) insertEvents(ctx context.Context, from time.Time, ins []rawInsert) ([][]aggregator.Event, error) {
	var out [][]aggregator.Event
	var remote []rawInsert
	for _, in := range ins {
		if in.local != nil {
			out = append(out, in.local)
		} else if in.n > 0 {
			remote = append(remote, in)
		}
	}
	for part := range slices.Chunk(remote, maxIn) {
		lo, hi := part[0].first, part[0].last
		list := make([]uint64, len(part))
		for i, in := range part {
			list[i] = in.id
			lo, hi = minTime(lo, in.first), maxTime(hi, in.last)
		}
		rows, err := s.st.Query(ctx, sqlInsertEvents, maxTime(lo, from), hi, inList(list))
		if err != nil {
			return nil, fmt.Errorf("sessions: new events: %w", err)
		}
		events, err := scanEvents(rows, nil)
		if err != nil {
			return nil, fmt.Errorf("sessions: new events: %w", err)
		}
		out = append(out, events)
	}
	return out, nil
}

// maxOffered bounds the events the local writer has handed over and no run
// has taken yet (this node may not hold the lease: then nobody takes them):
// two full runs (MaxEvents) of a holder that has fallen behind.
const maxOffered = 100_000

// offers are the events this node's writer inserted, by insert id, so that
// the lease holder need not read them back from the store.
type offers struct {
	mu    sync.Mutex
	m     map[uint64][]aggregator.Event
	order []uint64
	total int
}

func (o *offers) add(id uint64, evs []aggregator.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.m == nil {
		o.m = map[uint64][]aggregator.Event{}
	}
	o.m[id] = evs
	o.order = append(o.order, id)
	o.total += len(evs)
	for o.total > maxOffered && len(o.order) > 0 {
		old := o.order[0]
		o.order = o.order[1:]
		o.total -= len(o.m[old])
		delete(o.m, old)
	}
}

func (o *offers) take(id uint64) ([]aggregator.Event, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	evs, ok := o.m[id]
	if ok {
		delete(o.m, id)
		o.total -= len(evs)
		if i := slices.Index(o.order, id); i >= 0 {
			o.order = slices.Delete(o.order, i, i+1)
		}
	}
	return evs, ok
}

// Offer hands over the events of an insert this node's writer has just
// stored (writer.Options.Inserted), so that the lease holder folds them in
// without reading them back. Events of an insert that is never offered are
// read from the store.
func (s *Sessionizer) Offer(insertID uint64, events []aggregator.Event) {
	s.offered.add(insertID, events)
}
