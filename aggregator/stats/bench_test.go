package stats_test

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/rollup"
	"github.com/varde/varde/aggregator/stats"
	"github.com/varde/varde/aggregator/stats/synthetic"
)

// benchEvents is the size of the benchmark: VARDE_BENCH_EVENTS raw events
// (page views), default 200000 so that `go test -bench` is quick; make
// bench sets 10 million.
func benchEvents() int {
	if n, err := strconv.Atoi(os.Getenv("VARDE_BENCH_EVENTS")); err == nil && n > 0 {
		return n
	}
	return 200000
}

// BenchmarkOverview loads a realistic spread of traffic (package
// synthetic) straight into sessions and session_events (the sources of
// the rollups), closes the days before today as a store in use has, and
// measures the dashboard's whole overview over the last 30 days on each
// backend. It prints the `bench query:` line of
// DESIGN.md; `go run ./internal/bench -only query` measures the same at
// 10 million events, with the dashboard's page.
func BenchmarkOverview(b *testing.B) {
	events := benchEvents()
	site := aggregator.NewSite("bench.example")
	site.Timezone = "Europe/Oslo"
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	ms := map[string]float64{}
	for _, backend := range []string{"embedded", "server"} {
		b.Run(backend, func(b *testing.B) {
			e := benchEnv(b, backend)
			start := time.Now()
			if _, err := synthetic.Load(ctx(b), e.write, synthetic.Options{Site: site.Domain, Events: events, Now: now}); err != nil {
				b.Fatal(err)
			}
			b.Logf("%s: loaded %d events in %v", backend, events, time.Since(start).Round(time.Millisecond))
			settle(b, e)
			if _, err := (rollup.Closer{Store: e.write}).CloseSite(ctx(b), site.Domain, now); err != nil {
				b.Fatal(err)
			}
			run := func() time.Duration {
				t0 := time.Now()
				ov, err := e.eng.Overview(ctx(b), site, stats.DateRange{Period: "30d"}, nil, now)
				if err != nil || ov.Errors != nil {
					b.Fatalf("overview: %v %v", err, ov.Errors)
				}
				return time.Since(t0)
			}
			run() // warm caches, as a dashboard in use has them
			var times []time.Duration
			b.ResetTimer()
			for b.Loop() {
				times = append(times, run())
			}
			slices.Sort(times)
			median := float64(times[len(times)/2].Microseconds()) / 1000
			b.ReportMetric(median, "overview_ms")
			ms[backend] = median
		})
	}
	fmt.Printf("bench query: events=%d overview_ms_embedded=%.1f overview_ms_server=%.1f\n", events, ms["embedded"], ms["server"])
}

// settle merges the aggregate tables' parts, as background merges do on a
// store in use, so the benchmark measures the steady state.
func settle(b *testing.B, e *env) {
	agg, err := aggregator.AggregateDatabase(ctx(b), e.write)
	if err != nil {
		b.Fatal(err)
	}
	for _, t := range stats.AggregateTables() {
		if err := e.write.Exec(ctx(b), "OPTIMIZE TABLE `"+agg+"`."+t+" FINAL"); err != nil {
			b.Fatalf("optimize %s: %v", t, err)
		}
	}
}
