// Command bench measures Varde as DESIGN.md asks and prints one line per
// figure, as ratios against references measured in the same run, since
// these machines are shared and noisy:
//
//	bench ingest: varde_rps=N reference_rps=N ratio=R p50_ms=X p99_ms=X rss_mb=N accepted=N stored=N
//	bench query: events=N overview_ms_embedded=X overview_ms_server=X
//	bench dashboard: events=N overview_page_ms=X
//
// The ingest figures come from `varde serve` on the embedded store and a
// bare Fiber app that only decodes the same JSON and answers 202 (the
// reference), both loaded over loopback by the same generator
// (internal/loadgen): throughput as fast as each answers, latency at a
// fixed 10,000 requests per second, peak RSS of varde, and every accepted
// beacon counted in the store after a graceful stop. The query figures
// (query.go) come from 10 million events loaded into both stores.
//
// Run it with `make bench` (which builds bin/varde first).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

func main() {
	var (
		reference = flag.String("reference", "", "internal: serve the reference app on this address")
		varde     = flag.String("varde", "bin/varde", "the varde binary")
		only      = flag.String("only", "ingest", "which benchmarks to run: ingest, query, or both (ingest,query)")
		events    = flag.Int("events", 10_000_000, "raw events the query benchmark loads")
		seconds   = flag.Int("seconds", 10, "seconds per throughput and latency phase")
		rate      = flag.Float64("rate", 10000, "requests per second of the latency phase")
		geoip     = flag.String("geoip", os.Getenv("VARDE_TEST_GEOIP"), "GeoIP database varde serve locates visitors with in the ingest benchmark (make sets it)")
	)
	flag.Parse()
	if *reference != "" {
		serveReference(*reference)
		return
	}
	ctx := context.Background()
	failed := false
	for _, what := range strings.Split(*only, ",") {
		var err error
		switch what {
		case "ingest":
			err = benchIngest(ctx, *varde, *geoip, time.Duration(*seconds)*time.Second, *rate)
		case "query":
			err = benchQuery(ctx, *events)
		default:
			err = fmt.Errorf("unknown benchmark %q", what)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench %s: %v\n", what, err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}
