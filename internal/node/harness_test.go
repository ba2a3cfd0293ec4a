package node

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/sessions"
	"github.com/varde/varde/aggregator/store"
	"github.com/varde/varde/collector/clientip"
	"github.com/varde/varde/dashboard/auth"
	"github.com/varde/varde/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// clock is the nodes' settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// stores is a backend's write store and read (aggregates) store.
type stores struct {
	name        string
	write, read store.Store
}

// eachBackend gives a migrated store pair on each backend; on the server,
// the read side is the read-only user confined to the aggregates database.
func eachBackend(t *testing.T, f func(t *testing.T, s stores)) {
	t.Run("embedded", func(t *testing.T) {
		w := testenv.EmbeddedStore(t)
		migrate(t, w)
		agg, _ := aggregator.AggregateDatabase(t.Context(), w)
		r, err := store.Open(t.Context(), store.Options{URL: "chdb://" + testenv.EmbeddedDataDir(), LibPath: testenv.ChdbLib(t), Database: agg})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		f(t, stores{"embedded", w, r})
	})
	t.Run("server", func(t *testing.T) {
		db := testenv.UniqueName("e2e")
		srv := testenv.NewServer(t, db+aggregator.AggregateSuffix)
		w, err := store.Open(t.Context(), store.Options{URL: srv.URL(db)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.Close() })
		migrate(t, w)
		r, err := store.Open(t.Context(), store.Options{URL: srv.ReaderURL(db + aggregator.AggregateSuffix)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		f(t, stores{"server", w, r})
	})
}

func migrate(t *testing.T, s store.Store) {
	if _, err := aggregator.Migrate(t.Context(), s, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
}

// Test visitors' networks, in the test GeoIP database.
var testPlaces = map[string]testenv.Place{
	"81.0.0.0/16": {Country: "NO", RegionCode: "03", RegionName: "Oslo", City: "Oslo"},
	"82.0.0.0/16": {Country: "NO", RegionCode: "46", RegionName: "Vestland", City: "Bergen"},
	"83.0.0.0/16": {Country: "SE", RegionCode: "AB", RegionName: "Stockholm", City: "Stockholm"},
}

// running is a node serving on a real listener.
type running struct {
	t    *testing.T
	n    *Node
	base string
}

func startNode(t *testing.T, s stores, clk *clock, geodb string) *running {
	t.Helper()
	trusted, _ := clientip.ParseTrusted("127.0.0.1")
	n, err := New(t.Context(), Config{
		Store: s.write, Read: s.read, DataDir: t.TempDir(), GeoIP: geodb, Trusted: trusted,
		FlushInterval: 50 * time.Millisecond, RatePerSecond: 1000, Burst: 1000, Now: clk.Now,
		// The test runs the sessionizer itself, at moments of its choosing.
		Sessions: sessions.Options{Interval: time.Hour, Settle: -1, LeaseSettle: 10 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	n.Start(ln, nil)
	r := &running{t: t, n: n, base: "http://" + ln.Addr().String()}
	t.Cleanup(func() { r.stop() })
	return r
}

func (r *running) stop() {
	if r.n != nil {
		if err := r.n.Stop(30 * time.Second); err != nil {
			r.t.Errorf("stopping the node: %v", err)
		}
		r.n = nil
	}
}

// do sends a request as a browser at ip with user agent ua would.
func (r *running) do(method, path, ip, ua string, body any, header map[string]string) (int, []byte) {
	r.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, r.base+path, rd)
	req.Header.Set("User-Agent", ua)
	req.Header.Set("X-Forwarded-For", ip)
	req.Header.Set("Accept-Language", "nb-NO,nb;q=0.9")
	req.Header.Set("Sec-Fetch-Mode", "no-cors")
	req.Header.Set("Sec-Fetch-Dest", "empty")
	req.Header.Set("Content-Type", "text/plain")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// waitStored waits until the store holds n raw events.
func waitStored(t *testing.T, s store.Store, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		rows, err := s.Query(context.Background(), "SELECT count() FROM events")
		if err != nil {
			t.Fatal(err)
		}
		var got int
		if rows.Next() {
			rows.Scan(&got)
		}
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("stored events: %d after 30 s, want %d", got, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// addSite creates a site and an API key for it, returning the key.
func addSite(t *testing.T, s store.Store, site aggregator.Site) string {
	t.Helper()
	if err := (aggregator.Sites{Store: s}).Put(t.Context(), site); err != nil {
		t.Fatal(err)
	}
	id, key, hash := auth.NewAPIKey()
	if err := (aggregator.APIKeys{Store: s}).Put(t.Context(), aggregator.APIKey{ID: id, Site: site.Domain, SecretHash: hash}); err != nil {
		t.Fatal(err)
	}
	return key
}

// openRead opens the embedded engine's aggregates database.
func openRead(t *testing.T, agg string) (store.Store, error) {
	r, err := store.Open(t.Context(), store.Options{URL: "chdb://" + testenv.EmbeddedDataDir(), LibPath: testenv.ChdbLib(t), Database: agg})
	if err == nil {
		t.Cleanup(func() { r.Close() })
	}
	return r, err
}
