package stats_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/stats"
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

// BenchmarkOverview loads a realistic spread of traffic straight into
// sessions and session_events (the sources of the rollups) and measures
// the dashboard's whole overview over the last 30 days on each backend.
// It prints the `bench query:` line of DESIGN.md.
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
			loadSynthetic(b, e, site.Domain, events, now)
			b.Logf("%s: loaded %d events in %v", backend, events, time.Since(start).Round(time.Millisecond))
			settle(b, e)
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

// loadSynthetic writes about n page views in visits of 1 to 10 views over
// the 90 days before now: Zipf-distributed pages (2,000), 30 countries
// with 2,000 cities, a dozen sources, browsers, systems and devices.
func loadSynthetic(tb testing.TB, e *env, site string, n int, now time.Time) {
	rng := rand.New(rand.NewPCG(1, 2))
	zipf := func(k uint64) *rand.Zipf { return rand.NewZipf(rng, 1.1, 1, k-1) }
	pages, cities, countries := zipf(2000), zipf(2000), zipf(30)
	sources := []string{"Direct / None", "Google", "Bing", "DuckDuckGo", "Facebook", "LinkedIn", "Twitter", "finn.no", "nav.no", "Reddit", "Instagram", "Newsletter"}
	browsers := []string{"Chrome", "Safari", "Firefox", "Edge", "Samsung Internet", "Opera"}
	oses := []string{"Windows", "macOS", "iOS", "Android", "Linux", "ChromeOS"}
	devices := []string{"desktop", "mobile", "tablet"}
	var sess, evs [][]any
	flush := func() {
		insert(tb, e.write, "sessions", sessionColumns, sess)
		insert(tb, e.write, "session_events", eventColumns, evs)
		sess, evs = sess[:0], evs[:0]
	}
	written := 0
	for id := uint64(1); written < n; id++ {
		c := countries.Uint64()
		city := cities.Uint64()
		v := visit{
			visitor: rng.Uint64(), session: id,
			start:  now.Add(-time.Duration(rng.Int64N(int64(90 * 24 * time.Hour)))).Truncate(time.Second),
			source: sources[rng.IntN(len(sources))], country: fmt.Sprintf("C%02d", c),
			region: fmt.Sprintf("C%02d-%d", c, city%7), regionName: fmt.Sprintf("Region %d", city%7), city: fmt.Sprintf("City %d", city),
			browser: browsers[rng.IntN(len(browsers))], bver: strconv.Itoa(100 + rng.IntN(30)),
			os: oses[rng.IntN(len(oses))], osver: strconv.Itoa(rng.IntN(15)), device: devices[rng.IntN(len(devices))],
		}
		if v.source != "Direct / None" {
			v.referrer = "www." + v.source + ".com"
		}
		for range 1 + rng.IntN(10) {
			v.pages = append(v.pages, fmt.Sprintf("/jobs/%d", pages.Uint64()))
		}
		sess = append(sess, sessionRow(site, v, 1, len(v.pages)))
		for i, p := range v.pages {
			evs = append(evs, eventRow(site, v, id*16+uint64(i), 1, v.start.Add(time.Duration(i)*time.Minute), "pageview", p))
		}
		written += len(v.pages)
		if len(evs) >= 200000 {
			flush()
		}
	}
	flush()
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
