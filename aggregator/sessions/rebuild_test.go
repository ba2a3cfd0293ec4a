package sessions

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/store"
	"github.com/varde/varde/internal/testenv"
)

// TestRebuild: after the tables are damaged, rebuilding the damaged days
// restores the exact visits, in one shard or several.
func TestRebuild(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, st store.Store) {
		migrated(t, st)
		c := newClock(day0.Add(36 * time.Hour))
		s := newSessionizer(st, c, "node")
		all := []aggregator.Event{
			// A visit from the day before, running into day0.
			ev(1, 1, "-1 23:40", "", "/a"), ev(1, 2, "-1 23:55", "", "/b"),
			prev(ev(2, 3, "00:10", "", "/c"), 1),
			// day0's own visits.
			ev(2, 4, "09:00", "", "/d"), ev(2, 5, "09:10", "signup", "/e"),
			ev(3, 6, "10:00", "", "/f"),
			ev(4, 7, "11:00", "", "/g"), ev(4, 8, "11:20", "", "/h"), ev(4, 9, "12:00", "", "/i"),
			// A visit from day0 running into the next day.
			ev(5, 10, "23:50", "", "/j"), prev(ev(6, 11, "+1 00:05", "", "/k"), 5),
			ev(6, 12, "+1 08:00", "", "/l"),
		}
		insertRaw(t, st, 1, all[:6]...)
		insertRaw(t, st, 2, all[6:]...)
		runOnce(t, s)
		checkExact(t, st, all)
		before := sumTotals(t, st, site)

		for i, shards := range []int{0, 2} {
			// Damage day0: a stray visit, a cancelled real one, a doubled event.
			vs := Visits(all)
			stray := vs[2].Session
			stray.SessionID, stray.Pageviews = 999, 7
			real := vs[3].Session
			ev := vs[3].Events[0]
			if err := st.InsertRows(ctxT(t), "sessions", sessionColumns, signedRows[*Session]{{&stray, 1}, {&real, -1}}); err != nil {
				t.Fatal(err)
			}
			if err := st.InsertRows(ctxT(t), "session_events", sessionEventColumns, signedRows[*SessionEvent]{{&ev, 1}}); err != nil {
				t.Fatal(err)
			}
			if got := sumTotals(t, st, site); got == before {
				t.Fatalf("damage did not change the totals: %+v", got)
			}

			r := New(st, Options{Now: c.Now, Log: quiet, Holder: "node", LeaseSettle: 20 * time.Millisecond, RebuildBatch: shards})
			var calls [][2]int
			res, err := r.Rebuild(ctxT(t), site, day0.Add(3*time.Hour), day0.Add(4*time.Hour), func(done, total int) {
				calls = append(calls, [2]int{done, total})
			})
			if err != nil {
				t.Fatalf("rebuild: %v", err)
			}
			if !slices.Equal(res.Days, []time.Time{day0}) {
				t.Errorf("days: got %v, want [%v]", res.Days, day0)
			}
			// Raw events on the day before and on day0 are read: 10, and the
			// retried insert below from the second round on.
			n := 10 + i
			if calls[0] != [2]int{0, n} || calls[len(calls)-1] != [2]int{n, n} {
				t.Errorf("progress: got %v, want from 0/%d to %d/%d", calls, n, n, n)
			}
			checkExact(t, st, all)
			if got := sumTotals(t, st, site); got != before {
				t.Errorf("totals: got %+v, want %+v", got, before)
			}
			// The rebuilt state is what the incremental path wants: a run on
			// top of it changes nothing.
			insertRaw(t, st, 10+uint64(shards), all[5]) // a retried insert of a known event
			if got := runOnce(t, r); got.changed() {
				t.Errorf("run after rebuild: got %+v, want no change", got)
			}
			if err := r.Release(ctxT(t)); err != nil {
				t.Fatal(err)
			}
		}

		// Another node's live sessionizer keeps a rebuild out.
		other := newSessionizer(st, c, "other")
		runOnce(t, other)
		if _, err := s.Rebuild(ctxT(t), site, day0, day0, nil); !errors.Is(err, ErrLeaseHeld) {
			t.Errorf("rebuild while another node holds the lease: got %v, want ErrLeaseHeld", err)
		}
	})
}
