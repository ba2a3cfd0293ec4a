package writer

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// BenchmarkAppend is the request path: one event per call from 64
// goroutines on this 2-core machine, as the collector's handlers call it.
// "append" acknowledges sealed batches without reading them, so allocs/op
// are Append's own; "with-flusher" runs the flusher too (decoding, building
// rows) against a store that discards, so it measures what the request path
// costs while batches are being flushed. ClickHouse is not measured here.
func BenchmarkAppend(b *testing.B) {
	for _, flusher := range []bool{false, true} {
		name := "append"
		if flusher {
			name = "with-flusher"
		}
		b.Run(name, func(b *testing.B) {
			w, err := New(Options{Store: discardStore{}, Dir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			if flusher {
				go w.Run(ctx)
			} else {
				go func() {
					for {
						seg, err := w.spool.Next(ctx)
						if err != nil {
							return
						}
						w.spool.Ack(seg)
					}
				}()
			}
			defer w.Close(context.Background())
			defer cancel()
			var (
				mu  sync.Mutex
				lat []time.Duration
			)
			b.SetParallelism(32)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				ev := fullEvent(1)
				mine := make([]time.Duration, 0, 1<<16)
				for pb.Next() {
					ev.ID = 0
					start := time.Now()
					if err := w.Append(ctx, ev); err != nil {
						b.Error(err)
						return
					}
					mine = append(mine, time.Since(start))
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			})
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
			b.ReportMetric(float64(w.spool.Stats().Syncs)/float64(len(lat)), "syncs/op")
		})
	}
}
