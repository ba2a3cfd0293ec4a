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

// traffic is a morning of realistic raw events: visitors with 1 to 9
// events, gaps from seconds to 40 minutes (so some make two visits), a few
// custom events, spread over inserts as if from several collector nodes.
func traffic(visitors, inserts int, seed uint64) map[uint64][]aggregator.Event {
	r := rand.New(rand.NewPCG(seed, 7))
	out := map[uint64][]aggregator.Event{}
	id := seed << 32
	for range visitors {
		vid := r.Uint64()
		t := day0.Add(time.Duration(r.IntN(10*3600)) * time.Second)
		for range 1 + r.IntN(9) {
			id++
			e := ev(vid, id, "00:00", "", fmt.Sprintf("/page/%d", r.IntN(200)))
			e.Time = t.Add(time.Duration(r.IntN(1000)) * time.Millisecond)
			if r.IntN(10) == 0 {
				e.Name, e.PropKeys, e.PropValues = "signup", []string{"plan"}, []string{"pro"}
			}
			ins := uint64(seed*1000) + uint64(r.IntN(inserts)) + 1
			out[ins] = append(out[ins], e)
			t = t.Add(time.Duration(5+r.IntN(2400)) * time.Second)
		}
	}
	return out
}

func loadTraffic(b *testing.B, st store.Store, tr map[uint64][]aggregator.Event) int {
	n := 0
	for ins, evs := range tr {
		insertRaw(b, st, ins, evs...)
		n += len(evs)
	}
	return n
}

// BenchmarkRunOnce folds about 100k new raw events (20k visitors, 10
// inserts) into empty tables in one run, on the embedded store.
func BenchmarkRunOnce(b *testing.B) {
	var events int
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := testenv.EmbeddedStore(b)
		migrated(b, st)
		events = loadTraffic(b, st, traffic(20_000, 10, 1))
		s := newSessionizer(st, newClock(noon), "bench")
		b.StartTimer()
		got := runOnce(b, s)
		b.StopTimer()
		if got.NewEvents != events || got.EventsWritten != events {
			b.Fatalf("got %+v, want %d events folded in and written", got, events)
		}
	}
	b.ReportMetric(float64(events*b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(events), "events/run")
}

// BenchmarkRunOnceIncremental folds 10k new events of 2,000 visitors into
// tables that already hold the visits of 100k events: the steady state.
func BenchmarkRunOnceIncremental(b *testing.B) {
	st := testenv.EmbeddedStore(b)
	migrated(b, st)
	loadTraffic(b, st, traffic(20_000, 10, 1))
	c := newClock(noon)
	s := newSessionizer(st, c, "bench")
	runOnce(b, s)
	var events int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		events = loadTraffic(b, st, traffic(2_000, 2, uint64(i+2)))
		c.Advance(time.Second)
		b.StartTimer()
		got := runOnce(b, s)
		if got.NewEvents != events {
			b.Fatalf("got %+v, want %d events folded in", got, events)
		}
	}
	b.ReportMetric(float64(events*b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkVisits is the pure computation alone.
func BenchmarkVisits(b *testing.B) {
	var evs []aggregator.Event
	for _, part := range traffic(20_000, 1, 1) {
		evs = append(evs, part...)
	}
	b.ReportAllocs()
	for b.Loop() {
		Visits(evs)
	}
	b.ReportMetric(float64(len(evs)*b.N)/b.Elapsed().Seconds(), "events/s")
}
