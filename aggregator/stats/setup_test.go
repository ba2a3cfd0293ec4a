package stats_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/stats"
	"github.com/varde/varde/aggregator/store"
	"github.com/varde/varde/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

// env is a migrated store and a read side on its aggregates database.
type env struct {
	write store.Store // the store's own database, where raw tables are
	read  store.Store // the aggregates database (server: read-only user)
	rec   *recorder
	eng   *stats.Engine
	// mainDB is the raw tables' database, on the server (whose read-only
	// user must not reach it).
	mainDB string
}

// recorder remembers every statement the engine runs.
type recorder struct {
	store.Store
	mu  sync.Mutex
	sql []string
}

func (r *recorder) Query(ctx context.Context, q string, args ...any) (*store.Rows, error) {
	bound, err := store.Bind(q, args...)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.sql = append(r.sql, bound)
	r.mu.Unlock()
	return r.Store.Query(ctx, q, args...)
}

func (r *recorder) Exec(ctx context.Context, q string, args ...any) error {
	r.mu.Lock()
	r.sql = append(r.sql, q)
	r.mu.Unlock()
	return r.Store.Exec(ctx, q, args...)
}

func (r *recorder) statements() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.sql...)
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// forEachBackend runs f on the embedded engine and on a server whose
// read-only user may read the aggregates database and nothing else.
func forEachBackend(t *testing.T, f func(t *testing.T, e *env)) {
	t.Run("embedded", func(t *testing.T) {
		lib := testenv.ChdbLib(t)
		w := testenv.EmbeddedStore(t)
		agg := migrate(t, w)
		r, err := store.Open(ctx(t), store.Options{URL: "chdb://" + testenv.EmbeddedDataDir(), LibPath: lib, Database: agg})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		f(t, newEnv(w, r))
	})
	t.Run("server", func(t *testing.T) {
		db := testenv.UniqueName("stats")
		srv := testenv.NewServer(t, db+aggregator.AggregateSuffix)
		w, err := store.Open(ctx(t), store.Options{URL: srv.URL(db)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.Close() })
		agg := migrate(t, w)
		r, err := store.Open(ctx(t), store.Options{URL: srv.ReaderURL(agg)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		e := newEnv(w, r)
		e.mainDB = db
		f(t, e)
	})
}

func newEnv(w, r store.Store) *env {
	rec := &recorder{Store: r}
	return &env{write: w, read: r, rec: rec, eng: stats.New(rec)}
}

func migrate(t testing.TB, s store.Store) string {
	t.Helper()
	if _, err := aggregator.Migrate(ctx(t), s, quiet); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	agg, err := aggregator.AggregateDatabase(ctx(t), s)
	if err != nil {
		t.Fatal(err)
	}
	return agg
}

// visit is one visit of the scenario, with its page views one minute
// apart.
type visit struct {
	visitor, session uint64
	start            time.Time
	pages            []string
	custom           int // custom events on the last page, after the views
	source, referrer string
	utmSource        string
	utmMedium        string
	utmCampaign      string
	country, region  string
	regionName, city string
	browser, bver    string
	os, osver        string
	device           string
}

// duration runs from the first page view to the last; custom events come
// in the last page view's minute.
func (v visit) duration() int {
	return (len(v.pages) - 1) * 60
}

var sessionColumns = strings.Split("site, visitor_id, session_id, sign, start, end, duration, pageviews, events, bounce, hostname, entry_page, exit_page, referrer, source, utm_source, utm_medium, utm_campaign, utm_content, utm_term, country, region, region_name, city, browser, browser_version, os, os_version, device", ", ")

var eventColumns = strings.Split("site, visitor_id, session_id, event_id, sign, time, name, hostname, path, entry_page, referrer, source, utm_source, utm_medium, utm_campaign, utm_content, utm_term, country, region, region_name, city, browser, browser_version, os, os_version, device, props_keys, props_values", ", ")

// sessionRow is a sessions row of the visit as it stood after its first n
// page views.
func sessionRow(site string, v visit, sign int, n int) []any {
	pages := v.pages[:n]
	events := n
	dur := (n - 1) * 60
	if n == len(v.pages) {
		events += v.custom
		dur = v.duration()
	}
	bounce := 0
	if events == 1 {
		bounce = 1
	}
	return []any{site, v.visitor, v.session, sign, v.start, v.start.Add(time.Duration(dur) * time.Second), dur, n, events, bounce,
		site, pages[0], pages[n-1], v.referrer, v.source, v.utmSource, v.utmMedium, v.utmCampaign, "", "",
		v.country, v.region, v.regionName, v.city, v.browser, v.bver, v.os, v.osver, v.device}
}

func eventRow(site string, v visit, id uint64, sign int, at time.Time, name, path string) []any {
	return []any{site, v.visitor, v.session, id, sign, at, name, site, path, v.pages[0], v.referrer, v.source,
		v.utmSource, v.utmMedium, v.utmCampaign, "", "", v.country, v.region, v.regionName, v.city,
		v.browser, v.bver, v.os, v.osver, v.device, []string{}, []string{}}
}

// load writes the visits as the sessionizer would: a sessions row and a
// row per event, each with sign +1.
func load(t testing.TB, s store.Store, site string, visits []visit) {
	t.Helper()
	var sess, evs [][]any
	for _, v := range visits {
		sess = append(sess, sessionRow(site, v, 1, len(v.pages)))
		for i, p := range v.pages {
			evs = append(evs, eventRow(site, v, v.session*100+uint64(i), 1, v.start.Add(time.Duration(i)*time.Minute), "pageview", p))
		}
		for j := range v.custom {
			at := v.start.Add(time.Duration(len(v.pages)-1) * time.Minute)
			evs = append(evs, eventRow(site, v, v.session*100+50+uint64(j), 1, at, "signup", v.pages[len(v.pages)-1]))
		}
	}
	insert(t, s, "sessions", sessionColumns, sess)
	insert(t, s, "session_events", eventColumns, evs)
}

func insert(t testing.TB, s store.Store, table string, cols []string, rows [][]any) {
	t.Helper()
	const batch = 20000
	for len(rows) > 0 {
		n := min(batch, len(rows))
		if err := s.Insert(ctx(t), table, cols, rows[:n]); err != nil {
			t.Fatalf("insert into %s: %v", table, err)
		}
		rows = rows[n:]
	}
}

// benchEnv opens one backend for a benchmark, as forEachBackend does.
func benchEnv(b *testing.B, backend string) *env {
	if backend == "embedded" {
		lib := testenv.ChdbLib(b)
		w := testenv.EmbeddedStore(b)
		agg := migrate(b, w)
		r, err := store.Open(ctx(b), store.Options{URL: "chdb://" + testenv.EmbeddedDataDir(), LibPath: lib, Database: agg})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { r.Close() })
		return newEnv(w, r)
	}
	db := testenv.UniqueName("bench")
	srv := testenv.NewServer(b, db+aggregator.AggregateSuffix)
	w, err := store.Open(ctx(b), store.Options{URL: srv.URL(db)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { w.Close() })
	agg := migrate(b, w)
	r, err := store.Open(ctx(b), store.Options{URL: srv.ReaderURL(agg)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { r.Close() })
	return newEnv(w, r)
}
