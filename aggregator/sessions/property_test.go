package sessions

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/store"
	"github.com/varde/varde/internal/testenv"
)

// TestIncrementalMatchesVisits: traffic over three days, dense around the
// midnights (ids linked through prev_visitor_id, some people active around
// the clock), arriving in random inserts with runs in between, ends exactly
// as Visits over all of it.
func TestIncrementalMatchesVisits(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, st store.Store) {
		migrated(t, st)
		for seed := range uint64(2) {
			t.Run(fmt.Sprint(seed), func(t *testing.T) {
				site := fmt.Sprintf("prop%d.example", seed)
				r := rand.New(rand.NewPCG(seed, 99))
				start := day0.Add(-day)
				var all []aggregator.Event
				id := seed << 40
				for p := range uint64(8) {
					// Person p's id on day d is p*10+d+1; the collector links
					// the first 35 minutes after midnight to yesterday's id.
					vid := func(t time.Time) (uint64, uint64) {
						d := uint64(midnight(t).Sub(start) / day)
						v := seed<<32 | p*10 + d + 1
						if sinceMidnight(t) < 35*time.Minute && d > 0 {
							return v, v - 1
						}
						return v, 0
					}
					step := 25 * time.Minute // around the clock
					if p%2 == 1 {
						step = 50 * time.Minute
					}
					for tm := start.Add(time.Duration(r.IntN(3600)) * time.Second); tm.Before(start.Add(3 * day)); {
						// Most of the day quiet, the hours around midnight busy.
						if p >= 3 && sinceMidnight(tm) > 2*time.Hour && sinceMidnight(tm) < 22*time.Hour {
							tm = midnight(tm).Add(22*time.Hour + time.Duration(r.IntN(3600))*time.Second)
							continue
						}
						id++
						v, pv := vid(tm)
						e := ev(v, id, "00:00", "", fmt.Sprintf("/%d", r.IntN(4)))
						e.Site, e.Time, e.PrevVisitorID = site, tm.Add(time.Duration(r.IntN(1000))*time.Millisecond), pv
						if r.IntN(5) == 0 {
							e.Name = "click"
						}
						all = append(all, e)
						tm = tm.Add(time.Duration(r.Int64N(int64(step))))
					}
				}
				// Even seeds spread events over inserts at random; odd seeds
				// put all of an id's events in one insert, so that an id often
				// arrives after the ids it links to have been folded in.
				const inserts = 8
				parts := make([][]aggregator.Event, inserts)
				insertOf := map[uint64]int{}
				for _, e := range all {
					i := r.IntN(inserts)
					if seed%2 == 1 {
						if _, ok := insertOf[e.VisitorID]; !ok {
							insertOf[e.VisitorID] = r.IntN(inserts)
						}
						i = insertOf[e.VisitorID]
					}
					parts[i] = append(parts[i], e)
				}
				s := newSessionizer(st, newClock(start.Add(2*day+12*time.Hour)), "node")
				for i, part := range parts {
					if len(part) > 0 {
						insertRaw(t, st, seed*100+uint64(i)+1, part...)
					}
					if r.IntN(3) > 0 {
						runOnce(t, s)
					}
				}
				runOnce(t, s)
				checkExact(t, st, all)
				if again := runOnce(t, s); again.changed() {
					t.Errorf("second run: got %+v, want no change", again)
				}
			})
		}
	})
}
