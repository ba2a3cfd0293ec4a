package sessions

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/store"
)

// rawInsert is one insert of raw events not folded in yet.
type rawInsert struct {
	id          uint64
	n           uint64    // events to fold in: the registered rows, or those found
	first, last time.Time // the times its events span
	registered  time.Time
	local       []aggregator.Event // the events, when this node's writer handed them over
}

// abandonAfter is how long after its registration an insert may still be
// on its way. An insert the writer gave up on (it retries under a new id)
// holds what it holds by then: whatever rows it stored are folded in, and
// one with none is done with.
const abandonAfter = 2 * time.Minute

// maxIn is the most ids bound into one IN list (about 22 bytes each).
const maxIn = 4000

// inList binds ids for `x IN ?`.
func inList(ids []uint64) store.In {
	in := make(store.In, len(ids))
	for i, id := range ids {
		in[i] = id
	}
	return in
}

// newInserts lists the registered inserts to fold in now: whole, and
// within MaxEvents, oldest first. An insert this node's writer handed over
// is whole by construction; another node's is whole once all its rows are
// visible, or once its count has stopped changing (see Options.Settle)
// after abandonAfter.
func (s *Sessionizer) newInserts(ctx context.Context, from, now time.Time, st *Stats) ([]rawInsert, error) {
	rows, err := s.st.Query(ctx, sqlNewInserts, from, from)
	if err != nil {
		return nil, fmt.Errorf("sessions: new inserts: %w", err)
	}
	var all, remote []rawInsert
	for rows.Next() {
		var in rawInsert
		if err := rows.Scan(&in.id, &in.n, &in.first, &in.last, &in.registered); err != nil {
			return nil, fmt.Errorf("sessions: new inserts: %w", err)
		}
		if evs, ok := s.offered.take(in.id); ok {
			in.local, in.n = evs, uint64(len(evs))
		} else {
			remote = append(remote, in)
		}
		all = append(all, in)
	}
	counts, err := s.insertCounts(ctx, from, remote)
	if err != nil {
		return nil, err
	}
	seen := make(map[uint64]bool, len(all))
	var take []rawInsert
	budget := uint64(s.opts.MaxEvents)
	for _, in := range all {
		seen[in.id] = true
		if in.local == nil {
			found := counts[in.id]
			whole := found == in.n
			if !whole {
				p, ok := s.pending[in.id]
				if !ok || p.n != found {
					s.pending[in.id] = sighting{n: found, since: now}
				}
				settled := ok && p.n == found && now.Sub(p.since) >= s.opts.Settle
				if s.opts.Settle < 0 {
					settled = found > 0
				}
				if !settled || now.Sub(in.registered) < abandonAfter && s.opts.Settle >= 0 {
					st.Waiting++
					continue
				}
			}
			in.n = found
		}
		if len(take) > 0 && in.n > budget {
			st.More = true
			continue
		}
		budget -= min(budget, in.n)
		take = append(take, in)
		st.Inserts++
		st.NewEvents += int(in.n)
	}
	// Forget inserts that are done or gone.
	maps.DeleteFunc(s.pending, func(id uint64, _ sighting) bool { return !seen[id] })
	return take, nil
}

// insertCounts counts the visible events of inserts.
func (s *Sessionizer) insertCounts(ctx context.Context, from time.Time, ins []rawInsert) (map[uint64]uint64, error) {
	out := map[uint64]uint64{}
	for part := range slices.Chunk(ins, maxIn) {
		lo, hi := part[0].first, part[0].last
		list := make([]uint64, len(part))
		for i, in := range part {
			list[i] = in.id
			lo, hi = minTime(lo, in.first), maxTime(hi, in.last)
		}
		rows, err := s.st.Query(ctx, sqlInsertCounts, maxTime(lo, from), hi, inList(list))
		if err != nil {
			return nil, fmt.Errorf("sessions: count new events: %w", err)
		}
		for rows.Next() {
			var id, n uint64
			if err := rows.Scan(&id, &n); err != nil {
				return nil, fmt.Errorf("sessions: count new events: %w", err)
			}
			out[id] = n
		}
	}
	return out, nil
}

// recordInserts marks the inserts as folded in, at their registration
// time, so the look-up of new inserts, bounded by time, finds them.
func (s *Sessionizer) recordInserts(ctx context.Context, ins []rawInsert) error {
	rows := make([][]any, len(ins))
	for i, in := range ins {
		rows[i] = []any{in.id, in.registered}
	}
	if err := s.lease.confirm(ctx); err != nil {
		return err
	}
	if err := s.st.Insert(ctx, "sessionized_inserts", []string{"insert_id", "time"}, rows); err != nil {
		return fmt.Errorf("sessions: record inserts: %w", err)
	}
	return nil
}

// chunks splits visitor ids into groups of at most size that share their
// day, so that each group's queries scan as few days as can be.
func chunks(ids map[uint64]time.Time, size int) []map[uint64]time.Time {
	type idDay struct {
		id  uint64
		day time.Time
	}
	list := make([]idDay, 0, len(ids))
	for id, day := range ids {
		list = append(list, idDay{id, day})
	}
	slices.SortFunc(list, func(a, b idDay) int {
		return cmp.Or(a.day.Compare(b.day), cmp.Compare(a.id, b.id))
	})
	var out []map[uint64]time.Time
	var cur map[uint64]time.Time
	for i, e := range list {
		if cur == nil || len(cur) >= size || !e.day.Equal(list[i-1].day) {
			cur = map[uint64]time.Time{}
			out = append(out, cur)
		}
		cur[e.id] = e.day
	}
	return out
}

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	return slices.Sorted(maps.Keys(m))
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
