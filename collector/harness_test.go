package collector

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

	"github.com/prometheus/client_golang/prometheus"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/store"
	"github.com/varde/varde/aggregator/writer"
	"github.com/varde/varde/collector/clientip"
	"github.com/varde/varde/collector/geo"
	"github.com/varde/varde/collector/useragent"
	"github.com/varde/varde/consent"
	"github.com/varde/varde/internal/httpapi"
	"github.com/varde/varde/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// Test clients come from these addresses, forwarded by the trusted proxy
// 127.0.0.1 (the test's own connection).
const (
	osloIP   = "81.0.0.7"
	bergenIP = "82.0.0.9"
	swedenIP = "83.0.0.5"
)

const chromeUA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

// clock is a settable clock for the collector.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// harness is a collector on a real listener with real parts: the store, a
// GeoIP database, the user-agent parser, tokens signed with a real key.
type harness struct {
	t      testing.TB
	base   string
	store  store.Store
	srv    *Server
	clock  *clock
	keys   *consent.Keyring
	sites  *aggregator.SiteCache
	writer *writer.Writer
}

// flush stores everything accepted so far.
func (h *harness) flush() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := h.writer.Close(ctx); err != nil {
		h.t.Fatal(err)
	}
}

// count runs a count query on the store.
func (h *harness) count(query string, args ...any) int {
	h.t.Helper()
	rows, err := h.store.Query(context.Background(), query, args...)
	if err != nil {
		h.t.Fatal(err)
	}
	var n int
	if rows.Next() {
		rows.Scan(&n)
	}
	return n
}

// pageview posts a beacon with a token from clientIP and returns the status.
func (h *harness) pageview(clientIP, token, url string, header map[string]string) int {
	h.t.Helper()
	code, _, _ := h.request("POST", "/api/event", clientIP, map[string]any{
		"site": "example.no", "name": "pageview", "url": url, "referrer": "https://www.google.no/", "width": 1280, "token": token,
	}, header)
	return code
}

type harnessOptions struct {
	store store.Store
	keys  *consent.Keyring
	// spoolBytes, when set, is the writer's tiny spool limit.
	spoolBytes int64
	// rate and burst, when set, are the client rate limit.
	rate  float64
	burst int
	// noWriterRun keeps the writer from flushing, for spool-full tests.
	noWriterRun bool
}

func newHarness(t testing.TB, opts harnessOptions) *harness {
	t.Helper()
	ctx := context.Background()
	s := opts.store
	if _, err := aggregator.Migrate(ctx, s, quiet); err != nil {
		t.Fatal(err)
	}
	sites := aggregator.Sites{Store: s}
	for _, domain := range []string{"example.no", "other.no"} {
		if _, err := sites.Get(ctx, domain); err == nil {
			continue
		}
		site := aggregator.NewSite(domain)
		site.Timezone = "Europe/Oslo"
		if err := sites.Put(ctx, site); err != nil {
			t.Fatal(err)
		}
	}
	cache := aggregator.NewSiteCache(sites, quiet)
	if err := cache.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)}
	salts := aggregator.NewSaltKeeper(s, quiet)
	if err := salts.Maintain(ctx, clk.Now()); err != nil {
		t.Fatal(err)
	}
	keys := opts.keys
	if keys == nil {
		var err error
		if keys, err = consent.NewKeyring(consent.GenerateKey()); err != nil {
			t.Fatal(err)
		}
	}
	revoked := &consent.RevocationCache{}
	resolver, _ := geo.Open(testenv.GeoDB(t, map[string]testenv.Place{
		"81.0.0.0/16": {Country: "NO", RegionCode: "03", RegionName: "Oslo", City: "Oslo"},
		"82.0.0.0/16": {Country: "NO", RegionCode: "46", RegionName: "Vestland", City: "Bergen"},
		"83.0.0.0/16": {Country: "SE", RegionCode: "AB", RegionName: "Stockholm", City: "Stockholm"},
	}))
	agents, err := useragent.New(useragent.Options{})
	if err != nil {
		t.Fatal(err)
	}
	trusted, _ := clientip.ParseTrusted("127.0.0.1")
	w, err := writer.New(writer.Options{Store: s, Dir: t.TempDir(), Logger: quiet, SpoolBytes: opts.spoolBytes, FlushInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if opts.rate == 0 {
		opts.rate, opts.burst = 1000, 1000
	}
	srv := New(Options{
		Log: quiet, Ready: s.Ping, Sites: cache, Sink: w,
		Consents: aggregator.ConsentRecords{Store: s}, Salts: salts,
		Verifier: consent.NewVerifier(keys, revoked), Revoked: revoked,
		Geo: resolver, Agents: agents, Trusted: trusted, Now: clk.Now,
		Metrics: prometheus.NewRegistry(), RatePerSecond: opts.rate, Burst: opts.burst,
	})
	app := httpapi.NewApp(quiet)
	srv.Register(app)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go app.Listener(ln)
	runCtx, cancel := context.WithCancel(ctx)
	go srv.Run(runCtx)
	if !opts.noWriterRun {
		go w.Run(runCtx)
	}
	t.Cleanup(func() {
		app.Shutdown()
		closeCtx, done := context.WithTimeout(context.Background(), 30*time.Second)
		defer done()
		w.Close(closeCtx)
		cancel()
	})
	return &harness{t: t, base: "http://" + ln.Addr().String(), store: s, srv: srv, clock: clk, keys: keys, sites: cache, writer: w}
}

// request sends a request as a browser at clientIP would.
func (h *harness) request(method, path, clientIP string, body any, header map[string]string) (int, http.Header, []byte) {
	h.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = bytes.NewBufferString(b)
	case []byte:
		r = bytes.NewBuffer(b)
	default:
		j, _ := json.Marshal(b)
		r = bytes.NewBuffer(j)
	}
	req, err := http.NewRequest(method, h.base+path, r)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("User-Agent", chromeUA)
	req.Header.Set("Accept-Language", "nb-NO,nb;q=0.9")
	req.Header.Set("Sec-Fetch-Mode", "no-cors")
	req.Header.Set("Sec-Fetch-Dest", "empty")
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	if clientIP != "" {
		req.Header.Set("X-Forwarded-For", clientIP)
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, out
}

type consentAnswer struct {
	ConsentID  string   `json:"consent_id"`
	Version    int      `json:"version"`
	Token      string   `json:"token"`
	ExpiresAt  string   `json:"expires_at"`
	Categories []string `json:"categories"`
	Error      string   `json:"error"`
}

// decide posts a choice and returns the answer.
func (h *harness) decide(clientIP string, choice map[string]any) (int, consentAnswer) {
	h.t.Helper()
	code, _, body := h.request("POST", "/api/consent", clientIP, choice, nil)
	var a consentAnswer
	json.Unmarshal(body, &a)
	return code, a
}

func acceptAll(site string) map[string]any {
	return map[string]any{"site": site, "categories": map[string]bool{"statistics": true, "marketing": true}, "revision": 1, "lang": "nb", "url": "https://" + site + "/jobs?secret=1"}
}
