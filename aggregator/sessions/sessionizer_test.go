package sessions

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/store"
	"github.com/varde/varde/internal/testenv"
)

var noon = day0.Add(12 * time.Hour)

// TestTwoNodes: a visitor's events split over two collector nodes' inserts,
// interleaved in time, in either order, with or without a run in between.
func TestTwoNodes(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, st store.Store) {
		migrated(t, st)
		// Node A and node B each insert their share; a new site per case
		// keeps the cases apart in one database.
		for i, tc := range []struct {
			name       string
			bFirst     bool
			runBetween bool
		}{
			{"A then B", false, false},
			{"B then A", true, false},
			{"A, run, B", false, true},
			{"B, run, A", true, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s := newSessionizer(st, newClock(noon), "node")
				site := fmt.Sprintf("case%d.example", i)
				id := func(n uint64) uint64 { return uint64(i)*1000 + n }
				e := func(visitor, n uint64, when, name, path string) aggregator.Event {
					x := ev(id(visitor), id(n), when, name, path)
					x.Site = site
					return x
				}
				nodeA := []aggregator.Event{
					e(1, 1, "10:00:00.100", "", "/a"), e(1, 3, "10:12", "", "/c"),
					e(2, 20, "10:30", "", "/only"), // a bounce
					e(3, 30, "09:00", "", "/x"),
				}
				nodeB := []aggregator.Event{
					e(1, 2, "10:05", "", "/b"), e(1, 4, "10:20:00.900", "signup", "/form"),
					e(3, 31, "09:45", "", "/y"), e(3, 32, "09:50", "", "/z"), // a second visit
				}
				first, second := nodeA, nodeB
				if tc.bFirst {
					first, second = nodeB, nodeA
				}
				insertRaw(t, st, id(100), first...)
				if tc.runBetween {
					runOnce(t, s)
				}
				insertRaw(t, st, id(101), second...)
				runOnce(t, s)
				all := append(slices.Clone(nodeA), nodeB...)
				checkExact(t, st, all)
				check := func(want totals) {
					t.Helper()
					if got := sumTotals(t, st, site); got != want {
						t.Errorf("totals: got %+v, want %+v", got, want)
					}
					// The rollup fed from sessions by a materialized view sums
					// the same sign-weighted values.
					want.Events = 0
					if got, ok := rollupTotals(t, st, site); ok && got != want {
						t.Errorf("rollup totals: got %+v, want %+v", got, want)
					}
				}
				// Visitor 1: /a../form, 20:00.8 → 1200 s, 3 pageviews; visitor 2: a
				// bounce; visitor 3: /x (bounce), then /y../z 300 s.
				check(totals{Visits: 4, Pageviews: 7, Bounces: 2, Duration: 1500, Events: 8})

				// The visit grows: its old row is cancelled, the new one written.
				later := e(1, 5, "10:40", "", "/d")
				insertRaw(t, st, id(102), later)
				stats := runOnce(t, s)
				if stats.SessionsCancelled != 1 || stats.SessionsWritten != 1 || stats.EventsWritten != 1 || stats.EventsCancelled != 0 {
					t.Errorf("growing a visit: got %+v, want 1 session cancelled and 1 written, 1 event written", stats)
				}
				checkExact(t, st, append(all, later))
				check(totals{Visits: 4, Pageviews: 8, Bounces: 2, Duration: 2399 + 300, Events: 9})
			})
		}
	})
}

// TestBridge: a late event between two visits makes them one.
func TestBridge(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, st store.Store) {
		migrated(t, st)
		s := newSessionizer(st, newClock(noon), "node")
		evs := []aggregator.Event{ev(1, 1, "10:00", "", "/a"), ev(1, 3, "10:50", "", "/c")}
		insertRaw(t, st, 1, evs...)
		runOnce(t, s)
		if got, want := sumTotals(t, st, site), (totals{Visits: 2, Pageviews: 2, Bounces: 2, Events: 2}); got != want {
			t.Errorf("before: got %+v, want %+v", got, want)
		}
		late := ev(1, 2, "10:25", "", "/b")
		insertRaw(t, st, 2, late)
		stats := runOnce(t, s)
		if stats.SessionsCancelled != 2 || stats.SessionsWritten != 1 {
			t.Errorf("bridge: got %+v, want 2 sessions cancelled, 1 written", stats)
		}
		checkExact(t, st, append(evs, late))
		if got, want := sumTotals(t, st, site), (totals{Visits: 1, Pageviews: 3, Bounces: 0, Duration: 3000, Events: 3}); got != want {
			t.Errorf("after: got %+v, want %+v", got, want)
		}
	})
}

// TestIdempotent: a second run changes nothing, and neither does the run
// after a crash between writing rows and recording the inserts.
func TestIdempotent(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, st store.Store) {
		migrated(t, st)
		s := newSessionizer(st, newClock(noon), "node")
		evs := []aggregator.Event{ev(1, 1, "10:00", "", "/a"), ev(1, 2, "10:10", "", "/b"), ev(2, 3, "10:00", "", "/a")}
		insertRaw(t, st, 1, evs...)
		runOnce(t, s)
		if again := runOnce(t, s); again.Inserts != 0 || again.changed() {
			t.Errorf("second run: got %+v, want nothing to do", again)
		}

		more := []aggregator.Event{ev(1, 4, "10:20", "", "/c"), ev(3, 5, "10:30", "", "/d")}
		insertRaw(t, st, 2, more...)
		crash := errors.New("crash")
		s.afterWrite = func() error { return crash }
		if _, err := s.RunOnce(ctxT(t)); !errors.Is(err, crash) {
			t.Fatalf("crashing run: got %v, want the crash", err)
		}
		s.afterWrite = nil
		want := totals{Visits: 3, Pageviews: 5, Bounces: 2, Duration: 1200, Events: 5}
		if got := sumTotals(t, st, site); got != want {
			t.Errorf("after the crash: got %+v, want %+v", got, want)
		}
		// A fresh process: nothing in memory carries over.
		s2 := newSessionizer(st, newClock(noon), "node")
		redo := runOnce(t, s2)
		if redo.Inserts != 1 || redo.changed() {
			t.Errorf("run after the crash: got %+v, want the insert folded in and no row written", redo)
		}
		if got := sumTotals(t, st, site); got != want {
			t.Errorf("after the rerun: got %+v, want %+v", got, want)
		}
		checkExact(t, st, append(evs, more...))
		if n := count(t, st, "SELECT count() FROM sessionized_inserts"); n != 2 {
			t.Errorf("sessionized_inserts: got %d rows, want 2", n)
		}
	})
}

// TestMidnightInStore: a visit continued after midnight through
// prev_visitor_id, its two halves inserted in either order.
func TestMidnightInStore(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, st store.Store) {
		migrated(t, st)
		for i, order := range []string{"before first", "after first"} {
			t.Run(order, func(t *testing.T) {
				base := uint64(i+1) * 100
				s := newSessionizer(st, newClock(day0.Add(time.Hour)), "node")
				site := fmt.Sprintf("midnight%d.example", i)
				ev := func(visitor, id uint64, when, name, path string) aggregator.Event {
					e := ev(visitor, id, when, name, path)
					e.Site = site
					return e
				}
				yesterday := []aggregator.Event{ev(base+1, base+1, "-1 23:40", "", "/a"), ev(base+1, base+2, "-1 23:55", "", "/b")}
				today := []aggregator.Event{
					prev(ev(base+2, base+3, "00:10", "", "/c"), base+1),
					ev(base+2, base+4, "00:30", "", "/d"),
					ev(base+2, base+5, "01:10", "", "/e"), // a new visit
				}
				first, second := yesterday, today
				if i == 1 {
					first, second = today, yesterday
				}
				insertRaw(t, st, base+1, first...)
				runOnce(t, s)
				insertRaw(t, st, base+2, second...)
				runOnce(t, s)
				all := append(slices.Clone(yesterday), today...)
				checkExact(t, st, all)
				rows, err := st.Query(ctxT(t), `SELECT visitor_id, session_id, duration, pageviews FROM sessions
					WHERE visitor_id IN ? GROUP BY visitor_id, session_id, duration, pageviews HAVING sum(sign) > 0
					ORDER BY session_id`, store.In{base + 1, base + 2})
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for rows.Next() {
					var v, sid, dur, pv uint64
					rows.Scan(&v, &sid, &dur, &pv)
					got = append(got, fmt.Sprintf("%d/%d %ds %dpv", v-base, sid-base, dur, pv))
				}
				want := []string{"1/1 3000s 4pv", "2/5 0s 1pv"}
				if !slices.Equal(got, want) {
					t.Errorf("visits: got %v, want %v", got, want)
				}
			})
		}
	})
}

// TestChunksAndBudget: many visitors over small chunks and a small per-run
// budget still come out exact.
func TestChunksAndBudget(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, st store.Store) {
		migrated(t, st)
		s := New(st, Options{Now: newClock(noon).Now, Log: quiet, Holder: "node", Settle: -1,
			LeaseSettle: 20 * time.Millisecond, ChunkSize: 3, MaxEvents: 10})
		var all []aggregator.Event
		for ins := range uint64(5) {
			var batch []aggregator.Event
			for v := range uint64(10) {
				e := ev(v+1, 100*ins+v+1, "09:00", "", fmt.Sprintf("/%d", ins))
				e.Time = e.Time.Add(time.Duration(ins*10+v) * time.Minute)
				batch = append(batch, e)
			}
			insertRaw(t, st, ins+1, batch...)
			all = append(all, batch...)
		}
		runs := 0
		for {
			stats := runOnce(t, s)
			runs++
			if !stats.More {
				break
			}
			if runs > 10 {
				t.Fatal("runs never finish")
			}
		}
		if runs != 5 {
			t.Errorf("runs: got %d, want 5 (10 events each)", runs)
		}
		checkExact(t, st, all)
	})
}

// TestSettle: a registered insert is folded in once all its rows are
// visible (ClickHouse shows an insert one partition at a time); one that
// stays short of them (the writer gave up on it) is folded in with what it
// holds once abandonAfter has passed and its count has held for Settle.
func TestSettle(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, st store.Store) {
		migrated(t, st)
		c := newClock(noon)
		s := New(st, Options{Now: c.Now, Log: quiet, Holder: "node", Settle: 2 * time.Second, LeaseSettle: 20 * time.Millisecond})
		part1 := []aggregator.Event{ev(1, 1, "10:00", "", "/a")}
		part2 := []aggregator.Event{ev(1, 2, "10:05", "", "/b")} // same insert, another part
		register(t, st, 7, 2, c.Now())
		insertRows(t, st, 7, part1...)
		if got := runOnce(t, s); got.Waiting != 1 || got.Inserts != 0 {
			t.Errorf("one part of two visible: got %+v, want the insert waiting", got)
		}
		insertRows(t, st, 7, part2...)
		if got := runOnce(t, s); got.Inserts != 1 || got.NewEvents != 2 {
			t.Errorf("both parts visible: got %+v, want the insert folded in with 2 events", got)
		}
		checkExact(t, st, append(part1, part2...))

		lost := []aggregator.Event{ev(2, 3, "10:10", "", "/c")}
		register(t, st, 8, 3, c.Now())
		insertRows(t, st, 8, lost...)
		if got := runOnce(t, s); got.Waiting != 1 {
			t.Errorf("an insert short of its rows: got %+v, want it waiting", got)
		}
		c.Advance(abandonAfter)
		if got := runOnce(t, s); got.Inserts != 1 || got.NewEvents != 1 {
			t.Errorf("abandoned insert: got %+v, want it folded in with its 1 event", got)
		}
		checkExact(t, st, append(append(part1, part2...), lost...))
	})
}
