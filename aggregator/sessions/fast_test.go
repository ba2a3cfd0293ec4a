package sessions

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/store"
	"github.com/varde/varde/internal/testenv"
)

// TestFastPath: live traffic folded in every minute, mostly from the lease
// holder's memory, ends exactly as Visits over all of it — also with
// inserts that arrive out of order, a visitor whose visit goes quiet for
// more than Gap, visits whose entry page comes after custom events, and a
// takeover by a node that remembers nothing.
func TestFastPath(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, st store.Store) {
		migrated(t, st)
		const siteName = "fast.example"
		r := rand.New(rand.NewPCG(7, 7))
		start := day0.Add(9 * time.Hour)
		clk := newClock(start)
		// The clock moves minutes a step; a lease of an hour stays held.
		newNode := func(holder string) *Sessionizer {
			s := New(st, Options{Now: clk.Now, Log: quiet, Holder: holder, Settle: -1, LeaseSettle: 20 * time.Millisecond, LeaseTTL: time.Hour})
			s.foldPart = 4 // several parts a run
			return s
		}
		a := newNode("a")
		runOnce(t, a) // takes the lease; its memory starts now

		// 30 visitors over two hours from Gap after the holder began: visits
		// of 1 to 8 events, 1 to 4 minutes apart, some with a pause of more
		// than Gap in the middle.
		var all []aggregator.Event
		id := uint64(1)
		for v := range uint64(30) {
			tm := start.Add(Gap + time.Duration(r.IntN(60))*time.Minute)
			for visit := 0; visit < 1+r.IntN(3); visit++ {
				for range 1 + r.IntN(8) {
					e := ev(1000+v, id, "00:00", "", fmt.Sprintf("/p%d", r.IntN(5)))
					e.Site, e.Hostname, e.Time = siteName, siteName, tm.Add(time.Duration(r.IntN(1000))*time.Millisecond)
					if r.IntN(4) == 0 {
						// Custom events carry props; a visit that starts
						// with one gets its entry page from a later
						// pageview, which rewrites its remembered events.
						e.Name = "click"
						e.PropKeys, e.PropValues = []string{"button"}, []string{fmt.Sprint(r.IntN(3))}
					}
					all = append(all, e)
					id++
					tm = tm.Add(time.Duration(1+r.IntN(4)) * time.Minute)
				}
				tm = tm.Add(Gap + time.Duration(r.IntN(20))*time.Minute)
			}
		}
		slices.SortFunc(all, eventOrder)
		// Deliver three minutes at a time; one insert arrives two steps
		// late, out of order.
		var late []aggregator.Event
		var fast, slow int
		insertID := uint64(100)
		const step = 3 * time.Minute
		for minute := start.Add(Gap); minute.Before(start.Add(4 * time.Hour)); minute = minute.Add(step) {
			var batch []aggregator.Event
			for _, e := range all {
				if !e.Time.Before(minute) && e.Time.Before(minute.Add(step)) {
					batch = append(batch, e)
				}
			}
			clk.t = minute.Add(step + 5*time.Second)
			if minute.Equal(start.Add(Gap + 21*time.Minute)) {
				late = batch
				batch = nil
			}
			if minute.Equal(start.Add(Gap + 27*time.Minute)) {
				batch = append(batch, late...)
			}
			if len(batch) > 0 {
				insertID++
				insertRaw(t, st, insertID, batch...)
			}
			// Half way, node a stops and node b takes over with no memory.
			if minute.Equal(start.Add(Gap + 72*time.Minute)) {
				if err := a.Release(ctxT(t)); err != nil {
					t.Fatal(err)
				}
				a = newNode("b")
			}
			s := runOnce(t, a)
			fast += s.Fast
			slow += s.Visitors - s.Fast
		}
		checkExact(t, st, all)
		if fast == 0 || slow == 0 {
			t.Errorf("visitors folded in from memory %d, from the store %d: want both paths taken", fast, slow)
		}
		t.Logf("%d events: %d visitor folds from memory, %d from the store", len(all), fast, slow)
	})
}
