package sessions

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/varde/varde/aggregator/store"
)

// rawInsert is one insert of raw events not folded in yet.
type rawInsert struct {
	id          uint64
	n           uint64
	first, last time.Time
}

// maxIn is the most ids bound into one IN list (about 22 bytes each).
const maxIn = 4000

// inList binds ids for `x IN ?`. A list of one is sent twice: store.In
// writes it as (x,), which ClickHouse 18.16 does not parse.
func inList(ids []uint64) store.In {
	if len(ids) == 1 {
		return store.In{ids[0], ids[0]}
	}
	in := make(store.In, len(ids))
	for i, id := range ids {
		in[i] = id
	}
	return in
}

// newInserts lists the inserts to fold in now: whole (see Options.Settle)
// and within MaxEvents, oldest first.
func (s *Sessionizer) newInserts(ctx context.Context, from, now time.Time, st *Stats) ([]rawInsert, error) {
	rows, err := s.st.Query(ctx, sqlNewInserts, from, from)
	if err != nil {
		return nil, fmt.Errorf("sessions: new inserts: %w", err)
	}
	seen := make(map[uint64]bool, rows.Len())
	var take []rawInsert
	budget := uint64(s.opts.MaxEvents)
	for rows.Next() {
		var in rawInsert
		if err := rows.Scan(&in.id, &in.n, &in.first, &in.last); err != nil {
			return nil, fmt.Errorf("sessions: new inserts: %w", err)
		}
		seen[in.id] = true
		if s.opts.Settle > 0 {
			p, ok := s.pending[in.id]
			if !ok || p.n != in.n {
				s.pending[in.id] = sighting{n: in.n, since: now}
				st.Waiting++
				continue
			}
			if now.Sub(p.since) < s.opts.Settle {
				st.Waiting++
				continue
			}
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

// recordInserts marks the inserts as folded in. time is the insert's
// latest event, so the scan for new inserts, bounded by time, finds it.
func (s *Sessionizer) recordInserts(ctx context.Context, ins []rawInsert) error {
	rows := make([][]any, len(ins))
	for i, in := range ins {
		rows[i] = []any{in.id, in.last}
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
