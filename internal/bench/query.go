package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/rollup"
	"github.com/varde/varde/aggregator/stats"
	"github.com/varde/varde/aggregator/stats/synthetic"
	"github.com/varde/varde/aggregator/store"
	"github.com/varde/varde/dashboard"
	"github.com/varde/varde/dashboard/auth"
	"github.com/varde/varde/internal/httpapi"
	"github.com/varde/varde/internal/testenv"
)

// The query benchmark (DESIGN.md, issues 5 and 6):
//
//	bench query: events=N overview_ms_embedded=X overview_ms_server=X
//	bench dashboard: events=N overview_page_ms=X
//
// It loads N raw events' worth of realistic traffic (package synthetic)
// through the bulk path, straight into sessions and session_events whose
// materialized views fill the aggregates, into the embedded store and into
// a ClickHouse server started for the run; closes the days before today
// and lets the aggregates merge, as in a store in use (aggregator/rollup;
// OPTIMIZE ... FINAL); then takes the median of several overviews of the
// last 30 days after a warm-up, and of
// the dashboard's overview page, served by the real dashboard over
// loopback to a signed-in admin (the page is rendered on the embedded
// store, the default). The timed overview is Engine.Overview: totals
// with the previous period, the daily series and six top-10 breakdowns.

const (
	querySite    = "bench.example"
	benchEmail   = "bench@bench.example"
	benchSecret  = "bench password 1234"
	queryRepeats = 9
)

// queryNow is the instant the traffic ends and the overview is asked at:
// the hour of the run (the dashboard's session cookies expire by the
// wall clock).
var queryNow = time.Now().UTC().Truncate(time.Hour)

func benchQuery(ctx context.Context, events int) error {
	site := aggregator.NewSite(querySite)
	site.Timezone = "Europe/Oslo"

	data, err := os.MkdirTemp("", "varde-bench-query-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(data)

	// Embedded first: it holds the dashboard's page too.
	embedded, page, err := queryEmbedded(ctx, data, site, events)
	if err != nil {
		return fmt.Errorf("embedded: %w", err)
	}
	server, serverPage, err := queryServer(ctx, site, events)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	fmt.Fprintf(os.Stderr, "dashboard page on the server store: median %.1f ms\n", serverPage)
	fmt.Printf("bench query: events=%d overview_ms_embedded=%.1f overview_ms_server=%.1f\n", events, embedded, server)
	fmt.Printf("bench dashboard: events=%d overview_page_ms=%.1f\n", events, page)
	return nil
}

func queryEmbedded(ctx context.Context, data string, site aggregator.Site, events int) (overview, page float64, err error) {
	lib := store.LibPath(os.Getenv("CHDB_LIB_PATH"))
	if _, err := os.Stat(lib); err != nil {
		if abs, aerr := filepath.Abs(filepath.Join(testenv.Root(), ".cache", "libchdb.so")); aerr == nil {
			lib = abs
		}
	}
	dir := filepath.Join(data, "embedded")
	write, err := store.Open(ctx, store.Options{URL: "chdb://" + dir, LibPath: lib, Database: "bench"})
	if err != nil {
		return 0, 0, err
	}
	defer write.Close()
	agg, err := prepare(ctx, write, site, events, "embedded")
	if err != nil {
		return 0, 0, err
	}
	read, err := store.Open(ctx, store.Options{URL: "chdb://" + dir, LibPath: lib, Database: agg})
	if err != nil {
		return 0, 0, err
	}
	defer read.Close()
	eng := stats.New(read)
	if overview, err = timeOverview(ctx, eng, site, "embedded"); err != nil {
		return 0, 0, err
	}
	page, err = timePage(ctx, write, eng, site, "embedded")
	return overview, page, err
}

func queryServer(ctx context.Context, site aggregator.Site, events int) (overview, page float64, err error) {
	const db = "bench"
	srv, err := testenv.StartServer(db + aggregator.AggregateSuffix)
	if err != nil {
		return 0, 0, err
	}
	defer func() { srv.Stop(); os.RemoveAll(srv.Dir) }()
	write, err := store.Open(ctx, store.Options{URL: srv.URL(db)})
	if err != nil {
		return 0, 0, err
	}
	defer write.Close()
	agg, err := prepare(ctx, write, site, events, "server")
	if err != nil {
		return 0, 0, err
	}
	// The read side as in production: a user that may read the
	// aggregates only.
	read, err := store.Open(ctx, store.Options{URL: srv.ReaderURL(agg)})
	if err != nil {
		return 0, 0, err
	}
	defer read.Close()
	eng := stats.New(read)
	if overview, err = timeOverview(ctx, eng, site, "server"); err != nil {
		return 0, 0, err
	}
	page, err = timePage(ctx, write, eng, site, "server")
	return overview, page, err
}

// prepare migrates the store, loads the traffic and settles the
// aggregates; it returns the aggregates database.
func prepare(ctx context.Context, st store.Store, site aggregator.Site, events int, backend string) (string, error) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := aggregator.Migrate(ctx, st, quiet); err != nil {
		return "", err
	}
	agg, err := aggregator.AggregateDatabase(ctx, st)
	if err != nil {
		return "", err
	}
	start := time.Now()
	loaded, err := synthetic.Load(ctx, st, synthetic.Options{Site: site.Domain, Events: events, Now: queryNow})
	if err != nil {
		return "", err
	}
	loadTime := time.Since(start)
	// Every day before today is over: a store in use has closed them.
	start = time.Now()
	closed, err := rollup.Closer{Store: st}.Run(ctx, queryNow)
	if err != nil {
		return "", err
	}
	closeTime := time.Since(start)
	start = time.Now()
	for _, t := range stats.AggregateTables() {
		octx, cancel := context.WithTimeout(ctx, 20*time.Minute)
		err := st.Exec(octx, "OPTIMIZE TABLE `"+agg+"`."+t+" FINAL")
		cancel()
		if err != nil {
			return "", fmt.Errorf("optimize %s: %w", t, err)
		}
	}
	fmt.Fprintf(os.Stderr, "%s: loaded %d events (%d visits) in %v, closed %d days in %v, merged the aggregates in %v\n",
		backend, loaded.Events, loaded.Visits, loadTime.Round(time.Second), closed, closeTime.Round(time.Second), time.Since(start).Round(time.Second))
	return agg, nil
}

// timeOverview is the median time of the 30-day overview, after one run
// to warm the caches as a dashboard in use has them.
func timeOverview(ctx context.Context, eng *stats.Engine, site aggregator.Site, backend string) (float64, error) {
	run := func() (time.Duration, error) {
		start := time.Now()
		ov, err := eng.Overview(ctx, site, stats.DateRange{Period: "30d"}, nil, queryNow)
		if err == nil && ov.Errors != nil {
			err = fmt.Errorf("%v", ov.Errors)
		}
		return time.Since(start), err
	}
	if _, err := run(); err != nil {
		return 0, err
	}
	ms, err := median(run)
	fmt.Fprintf(os.Stderr, "%s: overview median %.1f ms of %d\n", backend, ms, queryRepeats)
	return ms, err
}

// timePage serves the dashboard over loopback and times its overview page
// for a signed-in admin, as a browser asks for it.
func timePage(ctx context.Context, st store.Store, eng *stats.Engine, site aggregator.Site, backend string) (float64, error) {
	if err := (aggregator.Sites{Store: st}).Put(ctx, site); err != nil {
		return 0, err
	}
	hash, err := auth.HashPassword(benchSecret)
	if err != nil {
		return 0, err
	}
	if err := (aggregator.Users{Store: st}).Put(ctx, aggregator.User{Email: benchEmail, Role: aggregator.RoleAdmin, PasswordHash: hash}); err != nil {
		return 0, err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	d := dashboard.New(dashboard.Options{Store: st, Stats: eng, Log: quiet, Now: func() time.Time { return queryNow }})
	app := httpapi.NewApp(quiet)
	d.Register(app)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	go app.Listener(ln)
	defer app.ShutdownWithTimeout(5 * time.Second)
	base := "http://" + ln.Addr().String()

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if err := signIn(client, base); err != nil {
		return 0, err
	}
	get := func() (time.Duration, error) {
		req, _ := http.NewRequest("GET", base+"/dashboard/"+site.Domain, nil)
		req.Header.Set("Accept-Language", "en")
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		took := time.Since(start)
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("GET /dashboard/%s: status %d", site.Domain, resp.StatusCode)
		}
		if err == nil && strings.Contains(string(body), `class="panel-error"`) {
			err = fmt.Errorf("GET /dashboard/%s: a panel shows an error", site.Domain)
		}
		return took, err
	}
	if _, err := get(); err != nil {
		return 0, err
	}
	ms, err := median(get)
	fmt.Fprintf(os.Stderr, "%s: dashboard page median %.1f ms of %d\n", backend, ms, queryRepeats)
	return ms, err
}

var csrfRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// signIn signs the client in through the login form.
func signIn(client *http.Client, base string) error {
	resp, err := client.Get(base + "/dashboard/login")
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfRE.FindSubmatch(body)
	if m == nil {
		return fmt.Errorf("sign in: no CSRF token on the login page")
	}
	resp, err = client.PostForm(base+"/dashboard/login", url.Values{"_csrf": {string(m[1])}, "email": {benchEmail}, "password": {benchSecret}})
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("sign in: status %d, want 303", resp.StatusCode)
	}
	return nil
}

// median runs f queryRepeats times and returns the median in ms.
func median(f func() (time.Duration, error)) (float64, error) {
	var times []time.Duration
	for range queryRepeats {
		d, err := f()
		if err != nil {
			return 0, err
		}
		times = append(times, d)
	}
	slices.Sort(times)
	return float64(times[len(times)/2].Microseconds()) / 1000, nil
}
