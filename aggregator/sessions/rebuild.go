package sessions

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/varde/varde/aggregator"
)

// Rebuilt says what a Rebuild wrote.
type Rebuilt struct {
	// Days are the UTC days whose partitions were replaced.
	Days     []time.Time
	Sessions int // sessions rows written
	Events   int // session_events rows written
}

// Days are the UTC days from from's to to's, inclusive: the partitions a
// Rebuild over [from, to] replaces.
func Days(from, to time.Time) []time.Time {
	var out []time.Time
	for d := midnight(from); !d.After(midnight(to)); d = d.Add(day) {
		out = append(out, d)
	}
	return out
}

// insertBatch bounds the rows of one insert: the embedded engine takes an
// insert as one query text.
const insertBatch = 50_000

// Rebuild recomputes the visits of a site for the whole UTC days of
// [from, to] from the raw events still kept, without diffs: it drops the
// site's partitions of sessions and session_events for those days and
// writes their rows afresh. A visit that starts the day before the range
// has its events inside the range rewritten; a visit running out of the
// range keeps its rows outside it. progress, when not nil, is called with
// the raw events done so far and the total.
//
// Rollups fed from the two tables by materialized views see only the new
// rows, not the dropped ones: the caller must clear them for Days(from, to)
// before calling Rebuild. Rebuild takes the sessionizer lease (and keeps
// it; call Release when done), so it fails with ErrLeaseHeld while another
// node's sessionizer runs.
func (s *Sessionizer) Rebuild(ctx context.Context, site string, from, to time.Time, progress func(done, total int)) (Rebuilt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	res := Rebuilt{Days: Days(from, to)}
	if len(res.Days) == 0 {
		return res, nil
	}
	held, err := s.lease.ensure(ctx)
	if err != nil {
		return res, err
	}
	if !held {
		return res, ErrLeaseHeld
	}
	if progress == nil {
		progress = func(int, int) {}
	}
	first, last := res.Days[0], res.Days[len(res.Days)-1]
	inRange := func(t time.Time) bool {
		d := midnight(t)
		return !d.Before(first) && !d.After(last)
	}
	// The day before the range holds the starts of visits that run into it.
	scan := append([]time.Time{first.Add(-day)}, res.Days...)
	counts, err := s.countDays(ctx, site, scan[0], last.Add(day))
	if err != nil {
		return res, err
	}
	total := 0
	for _, d := range scan {
		total += counts[yyyymmdd(d)]
	}
	progress(0, total)

	if err := s.lease.confirm(ctx); err != nil {
		return res, err
	}
	for _, d := range res.Days {
		for _, table := range []string{"sessions", "session_events"} {
			// The table name is one of two constants; site and day are bound.
			if err := s.st.Exec(ctx, "ALTER TABLE "+table+" DROP PARTITION (?, ?)", site, yyyymmdd(d)); err != nil {
				return res, fmt.Errorf("sessions: rebuild: drop %s partition: %w", table, err)
			}
		}
	}

	done := 0
	for _, d := range scan {
		n := counts[yyyymmdd(d)]
		if n == 0 {
			continue
		}
		shards := uint64((n + s.opts.RebuildBatch - 1) / s.opts.RebuildBatch)
		for k := range shards {
			events, own, err := s.loadShard(ctx, site, d, shards, k)
			if err != nil {
				return res, err
			}
			var rowsS signedRows[*Session]
			var rowsE signedRows[*SessionEvent]
			for _, v := range Visits(events) {
				// Each visit is written once: by the shard of its visitor id,
				// on the day it starts.
				if v.Session.VisitorID%shards != k || !midnight(v.Session.Start).Equal(d) {
					continue
				}
				if inRange(v.Session.Start) {
					rowsS = append(rowsS, signed[*Session]{&v.Session, 1})
				}
				for i := range v.Events {
					if inRange(v.Events[i].Time) {
						rowsE = append(rowsE, signed[*SessionEvent]{&v.Events[i], 1})
					}
				}
			}
			if err := insertBatches(ctx, s, "sessions", sessionColumns, rowsS); err != nil {
				return res, err
			}
			if err := insertBatches(ctx, s, "session_events", sessionEventColumns, rowsE); err != nil {
				return res, err
			}
			res.Sessions += len(rowsS)
			res.Events += len(rowsE)
			done += own
			progress(min(done, total), total)
		}
	}
	progress(total, total)
	return res, nil
}

// loadShard loads the events of one shard of one day's visitor ids, with
// their links one midnight either way (enough to decide the visits of the
// shard's own ids; see syncChunk). own counts the shard's events of the
// day itself, for progress.
func (s *Sessionizer) loadShard(ctx context.Context, site string, d time.Time, shards, k uint64) (events []aggregator.Event, own int, err error) {
	rows, err := s.st.Query(ctx, sqlLoadShard, site, d, d.Add(day+time.Hour), shards, k, shards, k)
	if err != nil {
		return nil, 0, fmt.Errorf("sessions: rebuild: load events: %w", err)
	}
	if events, err = scanEvents(rows, nil); err != nil {
		return nil, 0, fmt.Errorf("sessions: rebuild: load events: %w", err)
	}
	seen := make(map[uint64]bool, len(events))
	back, next := map[uint64]bool{}, map[uint64]bool{}
	for _, e := range events {
		seen[e.ID] = true
		mine := e.VisitorID%shards == k
		if mine && !e.Time.Before(d) && e.Time.Before(d.Add(day)) {
			own++
		}
		if mine && e.PrevVisitorID != 0 {
			back[e.PrevVisitorID] = true
		}
		if e.PrevVisitorID != 0 && e.PrevVisitorID%shards == k && !e.Time.Before(d.Add(day)) {
			next[e.VisitorID] = true
		}
	}
	// Yesterday's ids live on d-1, tomorrow's on d+1, each spilling saltLag
	// into the following day.
	for _, set := range []struct {
		ids      map[uint64]bool
		from, to time.Time
	}{
		{back, d.Add(-day), d.Add(saltLag)},
		{next, d.Add(day), d.Add(2*day + saltLag)},
	} {
		for part := range slices.Chunk(slices.Sorted(maps.Keys(set.ids)), maxIn) {
			more, err := s.loadIn(ctx, sqlLoadVisitors, site, part, set.from, set.to, nil)
			if err != nil {
				return nil, 0, err
			}
			for _, e := range more {
				if !seen[e.ID] {
					seen[e.ID] = true
					events = append(events, e)
				}
			}
		}
	}
	return events, own, nil
}

func (s *Sessionizer) countDays(ctx context.Context, site string, from, to time.Time) (map[int]int, error) {
	rows, err := s.st.Query(ctx, sqlCountDays, site, from, to)
	if err != nil {
		return nil, fmt.Errorf("sessions: rebuild: count events: %w", err)
	}
	out := map[int]int{}
	for rows.Next() {
		var d, n int
		if err := rows.Scan(&d, &n); err != nil {
			return nil, fmt.Errorf("sessions: rebuild: count events: %w", err)
		}
		out[d] = n
	}
	return out, nil
}

func insertBatches[T tableRow](ctx context.Context, s *Sessionizer, table string, cols []string, rows signedRows[T]) error {
	for part := range slices.Chunk(rows, insertBatch) {
		if err := s.lease.confirm(ctx); err != nil {
			return err
		}
		if err := s.st.InsertRows(ctx, table, cols, part); err != nil {
			return fmt.Errorf("sessions: rebuild: write %s: %w", table, err)
		}
	}
	return nil
}

// yyyymmdd is the day part of the tables' partition keys.
func yyyymmdd(t time.Time) int {
	t = t.UTC()
	return t.Year()*10000 + int(t.Month())*100 + t.Day()
}
