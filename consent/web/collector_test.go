package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/varde/varde/aggregator/store"
	"github.com/varde/varde/internal/testenv"
)

// The browser tests run against the real collector: the varde binary,
// built once per test run, serving on a free port with a ClickHouse server
// (testenv) as its store. The server backend lets the tests change a site
// with the CLI and read what was stored while `varde serve` runs; on the
// embedded engine only one process may open the data at a time.
//
// Each test gets a site of its own (sitePool of them are added before the
// server starts), so what a test finds in the store is what it sent.

// sitePool is how many sites are added before `varde serve` starts; a
// test beyond them adds its site while the server runs and waits for the
// server's site reload (every 5 s).
const sitePool = 16

// collector is the `varde serve` the package's tests share.
type collector struct {
	once sync.Once
	err  error

	dir   string // binary, data, banner files
	bin   string
	ch    *testenv.Server
	env   []string // VARDE_STORE, VARDE_DATA, CHDB_LIB_PATH
	base  string   // http://127.0.0.1:PORT
	cmd   *exec.Cmd
	logs  syncBuffer
	done  chan error
	store store.Store // the same database, for the tests' checks

	mu    sync.Mutex
	sites int // sites handed out
}

var varde collector

// siteName is the n-th test site (from 1).
func siteName(n int) string { return fmt.Sprintf("s%02d.nordjobb.no", n) }

// start builds varde, starts a ClickHouse server, adds the site pool and
// starts `varde serve`, once. A missing ClickHouse server skips the tests
// (fails them with VARDE_REQUIRE_SERVER=1).
func (c *collector) start(t *testing.T) {
	t.Helper()
	c.once.Do(func() { c.err = c.startOnce() })
	if errors.Is(c.err, errNoServer) {
		testenv.Unavailable(t, "%v", c.err)
	}
	if c.err != nil {
		t.Fatalf("varde serve: %v", c.err)
	}
}

var errNoServer = errors.New("ClickHouse server not available")

func (c *collector) startOnce() error {
	began := time.Now()
	var err error
	if c.dir, err = os.MkdirTemp("", "varde-web-"); err != nil {
		return err
	}
	c.bin = filepath.Join(c.dir, "varde")
	if out, err := exec.Command("go", "build", "-o", c.bin, "github.com/varde/varde/cmd/varde").CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	if c.ch, err = testenv.StartServer(); err != nil {
		return fmt.Errorf("%w: %v", errNoServer, err)
	}
	url := c.ch.URL(testenv.UniqueName("web"))
	c.env = []string{
		"VARDE_STORE=" + url,
		"VARDE_DATA=" + filepath.Join(c.dir, "data"), // the spool
		"CHDB_LIB_PATH=/nonexistent/libchdb.so",      // a server store needs no engine
	}
	file, err := c.bannerFile("banner", banner)
	if err != nil {
		return err
	}
	// The first command creates the database; the rest may run together.
	if _, err := c.run("site", "add", siteName(1), "--banner", file); err != nil {
		return err
	}
	errs := make(chan error, sitePool)
	for n := 2; n <= sitePool; n++ {
		go func() {
			_, err := c.run("site", "add", siteName(n), "--banner", file)
			errs <- err
		}()
	}
	for n := 2; n <= sitePool; n++ {
		err = errors.Join(err, <-errs)
	}
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if c.store, err = store.Open(ctx, store.Options{URL: url}); err != nil {
		return err
	}
	if err := c.serve(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "varde serve ready at %s after %v (build, ClickHouse, %d sites)\n", c.base, time.Since(began).Round(10*time.Millisecond), sitePool)
	return nil
}

// serve starts `varde serve` and waits until it is ready.
func (c *collector) serve() error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := l.Addr().String()
	l.Close()
	c.base = "http://" + addr
	c.cmd = exec.Command(c.bin, "serve", "--listen", addr, "--trusted-proxies", "127.0.0.1", "--flush-interval", "100ms")
	c.cmd.Env = append(os.Environ(), c.env...)
	c.cmd.Stdout, c.cmd.Stderr = &c.logs, &c.logs
	// The server dies with the test process, even when the test is killed.
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := c.cmd.Start(); err != nil {
		return err
	}
	c.done = make(chan error, 1)
	go func() { c.done <- c.cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(c.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-c.done:
			c.done <- err
			return fmt.Errorf("exited at start (%v):\n%s", err, c.logs.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready within 60 s:\n%s", c.logs.String())
		}
	}
}

// stop sends SIGTERM to `varde serve` and wants a clean exit, then stops
// the ClickHouse server and removes the files. It runs after the tests.
func (c *collector) stop() error {
	var err error
	if c.cmd != nil {
		c.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case werr := <-c.done:
			if werr != nil {
				err = fmt.Errorf("varde serve after SIGTERM: %v, want a clean exit\n%s", werr, c.logs.String())
			}
		case <-time.After(30 * time.Second):
			c.cmd.Process.Kill()
			err = fmt.Errorf("varde serve did not stop within 30 s of SIGTERM\n%s", c.logs.String())
		}
	}
	if c.store != nil {
		c.store.Close()
	}
	if c.ch != nil {
		c.ch.Stop()
		os.RemoveAll(c.ch.Dir)
	}
	if c.dir != "" {
		os.RemoveAll(c.dir)
	}
	return err
}

// run runs a varde command on the tests' store and returns its stdout.
func (c *collector) run(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Env = append(os.Environ(), c.env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("varde %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String(), nil
}

// bannerFile writes a banner config for `varde site set --banner`.
func (c *collector) bannerFile(name, cfg string) (string, error) {
	path := filepath.Join(c.dir, name+".json")
	return path, os.WriteFile(path, []byte(cfg), 0o644)
}

// newSite hands out a site of its own to a test: one of the pool, or a new
// one once the server has loaded it.
func (c *collector) newSite(t *testing.T) string {
	t.Helper()
	c.mu.Lock()
	c.sites++
	n := c.sites
	c.mu.Unlock()
	site := siteName(n)
	if n > sitePool {
		file, err := c.bannerFile(site, banner)
		if err == nil {
			_, err = c.run("site", "add", site, "--banner", file)
		}
		if err != nil {
			t.Fatal(err)
		}
		c.waitBanner(t, site, func(map[string]any) bool { return true })
	}
	return site
}

// setBanner imports a new banner config for site with the CLI while the
// server runs, and waits until the server serves it (it reloads sites
// every 5 s).
func (c *collector) setBanner(t *testing.T, site string, changes map[string]any) {
	t.Helper()
	var cfg map[string]any
	if err := json.Unmarshal([]byte(banner), &cfg); err != nil {
		t.Fatal(err)
	}
	for k, v := range changes {
		cfg[k] = v
	}
	b, _ := json.Marshal(cfg)
	file, err := c.bannerFile(site, string(b))
	if err == nil {
		_, err = c.run("site", "set", site, "--banner", file)
	}
	if err != nil {
		t.Fatal(err)
	}
	c.waitBanner(t, site, func(view map[string]any) bool {
		for k, want := range changes {
			if fmt.Sprint(view[k]) != fmt.Sprint(want) {
				return false
			}
		}
		return true
	})
}

// waitBanner polls GET /api/banner/{site} until ok holds for its answer.
func (c *collector) waitBanner(t *testing.T, site string, ok func(view map[string]any) bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		status, body := c.call(t, "GET", "/api/banner/"+site, "", "")
		var view map[string]any
		if status == http.StatusOK && json.Unmarshal([]byte(body), &view) == nil && ok(view) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not take the new banner of %s within 15 s: last got %d %s", site, status, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// call makes a request to the collector, as a script or a visitor's
// tool would, and returns the status and body.
func (c *collector) call(t *testing.T, method, path, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// query runs SQL on the collector's store and scans every row with scan.
func (c *collector) query(t *testing.T, scan func(r *store.Rows) error, sql string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := c.store.Query(ctx, sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	for rows.Next() {
		if err := scan(rows); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
}

// storedEvent is a row of the events table, as far as the tests look.
type storedEvent struct {
	Name, Path, Browser string
	Props               map[string]string
}

func (e storedEvent) String() string {
	s := e.Name + " " + e.Path
	if len(e.Props) > 0 {
		s += fmt.Sprint(" ", e.Props)
	}
	return s
}

// events returns the site's stored events in the order they came.
func (c *collector) events(t *testing.T, site string) []storedEvent {
	t.Helper()
	var out []storedEvent
	c.query(t, func(r *store.Rows) error {
		var e storedEvent
		var keys, values []string
		if err := r.Scan(&e.Name, &e.Path, &e.Browser, &keys, &values); err != nil {
			return err
		}
		for i, k := range keys {
			if e.Props == nil {
				e.Props = map[string]string{}
			}
			e.Props[k] = values[i]
		}
		out = append(out, e)
		return nil
	}, "SELECT name, path, browser, props_keys, props_values FROM events WHERE site = ? ORDER BY time, ms, name", site)
	return out
}

// consentRecord is a row of consent_records, as far as the tests look.
type consentRecord struct {
	ConsentID string
	Version   int
	Revision  int
	Action    string
	GPC       bool
	Granted   []string
	PagePath  string
	Lang      string
	Browser   string
}

// records returns the site's stored consent records, by consent and
// version.
func (c *collector) records(t *testing.T, site string) []consentRecord {
	t.Helper()
	var out []consentRecord
	c.query(t, func(r *store.Rows) error {
		var rec consentRecord
		if err := r.Scan(&rec.ConsentID, &rec.Version, &rec.Revision, &rec.Action, &rec.GPC, &rec.Granted, &rec.PagePath, &rec.Lang, &rec.Browser); err != nil {
			return err
		}
		out = append(out, rec)
		return nil
	}, "SELECT consent_id, version, revision, action, gpc, granted, page_path, lang, browser FROM consent_records WHERE site = ? ORDER BY time, consent_id, version", site)
	return out
}

// logTail is the last n lines of the server's log.
func (c *collector) logTail(n int) string {
	lines := strings.Split(strings.TrimRight(c.logs.String(), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// syncBuffer is a bytes.Buffer that a process writes while tests read.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
