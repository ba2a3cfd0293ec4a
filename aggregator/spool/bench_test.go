package spool_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/varde/varde/aggregator/spool"
)

// BenchmarkAppend appends 250-byte records (about one encoded event) and
// reports append latency percentiles and syncs per append. The records
// are acknowledged as segments seal, so the spool never fills.
func BenchmarkAppend(b *testing.B) {
	for _, bc := range []struct {
		name        string
		parallelism int // goroutines per GOMAXPROCS; 0 = serial
	}{
		{"serial", 0},
		{"parallel-x4", 4},
		{"parallel-x32", 32},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s, err := spool.Open(spool.Options{Dir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() { // the consumer: acknowledge at once
				for {
					seg, err := s.Next(ctx)
					if err != nil {
						return
					}
					s.Ack(seg)
				}
			}()
			rec := make([]byte, 250)
			var mu sync.Mutex
			var lat []time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			if bc.parallelism == 0 {
				lat = make([]time.Duration, 0, b.N)
				for b.Loop() {
					start := time.Now()
					if err := s.Append(ctx, rec); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(start))
				}
			} else {
				b.SetParallelism(bc.parallelism)
				b.RunParallel(func(pb *testing.PB) {
					mine := make([]time.Duration, 0, 1024)
					for pb.Next() {
						start := time.Now()
						if err := s.Append(ctx, rec); err != nil {
							b.Error(err)
							return
						}
						mine = append(mine, time.Since(start))
					}
					mu.Lock()
					lat = append(lat, mine...)
					mu.Unlock()
				})
			}
			b.StopTimer()
			slices.Sort(lat)
			if len(lat) > 0 {
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
			}
			b.ReportMetric(float64(s.Stats().Syncs)/float64(len(lat)), "syncs/op")
		})
	}
}
