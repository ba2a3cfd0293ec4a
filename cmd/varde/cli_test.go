package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/varde/varde/internal/testenv"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "varde-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "varde")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building varde: %v\n%s", err, out)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	testenv.Main(m)
}

// backend is how a test process reaches one store.
type backend struct {
	name string
	env  []string // VARDE_STORE / VARDE_DATA / CHDB_LIB_PATH
}

// backends gives the flags for a fresh store on each backend.
func backends(t *testing.T) []backend {
	var out []backend
	out = append(out, backend{"embedded", []string{
		"VARDE_DATA=" + t.TempDir(), "CHDB_LIB_PATH=" + testenv.ChdbLib(t),
	}})
	srv := testenv.SharedServer(t)
	out = append(out, backend{"server", []string{
		"VARDE_STORE=" + srv.URL(testenv.UniqueName("cli")),
		// The spool lives under --data on every backend.
		"VARDE_DATA=" + t.TempDir(),
		// The server backend must not need the engine at all.
		"CHDB_LIB_PATH=/nonexistent/libchdb.so",
	}})
	return out
}

type result struct {
	code           int
	stdout, stderr string
}

func varde(t *testing.T, env []string, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("varde %v: %v", args, err)
	}
	return result{code, out.String(), errOut.String()}
}

func mustRun(t *testing.T, env []string, stdin string, args ...string) string {
	t.Helper()
	r := varde(t, env, stdin, args...)
	if r.code != 0 {
		t.Fatalf("varde %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

func TestCommands(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			env := b.env
			if out := mustRun(t, env, "", "migrate"); !strings.Contains(out, "applied") {
				t.Errorf("first migrate: got %q, want migrations applied", out)
			}
			if out := mustRun(t, env, "", "migrate"); !strings.Contains(out, "up to date") {
				t.Errorf("second migrate: got %q, want up to date", out)
			}

			mustRun(t, env, "", "site", "add", "Example.com", "--k", "3", "--retention", "14d", "--geo", "region", "--timezone", "Europe/Oslo")
			if r := varde(t, env, "", "site", "add", "example.com"); r.code != 1 || !strings.Contains(r.stderr, "exists already") {
				t.Errorf("adding a site twice: got exit %d, %q; want exit 1 saying it exists", r.code, r.stderr)
			}
			mustRun(t, env, "", "site", "set", "example.com", "--k", "7")
			list := mustRun(t, env, "", "site", "list")
			if !strings.Contains(list, "example.com") || !strings.Contains(list, "Europe/Oslo") {
				t.Errorf("site list: got %q", list)
			}
			var shown struct {
				K             int    `json:"k"`
				RetentionDays int    `json:"retention_days"`
				Geo           string `json:"geo"`
				Timezone      string `json:"timezone"`
			}
			if err := json.Unmarshal([]byte(mustRun(t, env, "", "site", "show", "example.com")), &shown); err != nil {
				t.Fatal(err)
			}
			if shown.K != 7 || shown.RetentionDays != 14 || shown.Geo != "region" || shown.Timezone != "Europe/Oslo" {
				t.Errorf("site show: got %+v, want k 7 (changed), retention 14, geo region, Europe/Oslo (kept)", shown)
			}
			r := varde(t, env, "", "site", "add", "not a domain", "--timezone", "Mars/Olympus", "--geo", "street")
			if r.code != 1 || !strings.Contains(r.stderr, "domain") || !strings.Contains(r.stderr, "timezone") || !strings.Contains(r.stderr, "geo") {
				t.Errorf("bad site: got exit %d, %q; want exit 1 naming domain, timezone and geo", r.code, r.stderr)
			}

			mustRun(t, env, "long enough password\n", "user", "add", "Anna@Example.com", "--role", "admin", "--password-stdin")
			users := mustRun(t, env, "", "sql", "SELECT email, role, substring(password_hash, 1, 10) FROM users FINAL")
			if users != "anna@example.com\tadmin\t$argon2id$\n" {
				t.Errorf("stored user: got %q", users)
			}
			if r := varde(t, env, "short\n", "user", "add", "b@example.com", "--role", "viewer", "--site", "example.com", "--password-stdin"); r.code == 0 {
				t.Error("a 5-character password: got exit 0, want refused")
			}
			if r := varde(t, env, "long enough password\n", "user", "add", "c@example.com", "--role", "viewer", "--site", "nosuch.example", "--password-stdin"); r.code != 1 {
				t.Errorf("a viewer of a missing site: got exit %d, want 1", r.code)
			}

			out := mustRun(t, env, "", "apikey", "add", "--site", "example.com")
			lines := strings.Split(strings.TrimSpace(out), "\n")
			key := lines[len(lines)-1]
			if !strings.HasPrefix(key, "varde_") || strings.Contains(key, " ") {
				t.Fatalf("apikey add: last line %q is not the key alone", key)
			}
			stored := mustRun(t, env, "", "sql", "SELECT id, site, secret_hash FROM api_keys FINAL")
			if strings.Contains(stored, key[len("varde_")+13:]) {
				t.Errorf("the key's secret is stored in clear: %q", stored)
			}
			if !strings.Contains(stored, "example.com") {
				t.Errorf("stored key: got %q", stored)
			}
			if r := varde(t, env, "", "sql", "SELECT no_such_column FROM sites"); r.code != 1 || r.stderr == "" {
				t.Errorf("bad SQL: got exit %d, %q; want exit 1 with the error", r.code, r.stderr)
			}

			// Raw events of three visitors today and 40 days ago (past the
			// site's 14 days of retention).
			for _, age := range []string{"0", "40"} {
				mustRun(t, env, "", "sql", "INSERT INTO events (site, time, event_id, insert_id, visitor_id, name, path) "+
					"SELECT 'example.com', toStartOfDay(now()) - "+age+" * 86400 + number * 60, number + "+age+" * 100 + 1, 7, number % 3, 'pageview', '/' FROM numbers(9)")
			}
			// A visit 60 days ago whose raw events are gone: only its
			// aggregates are left, and no rebuild may clear them.
			mustRun(t, env, "", "sql", "INSERT INTO sessions (site, visitor_id, session_id, sign, start, end, pageviews, events, entry_page, exit_page) "+
				"SELECT 'example.com', 99, 99, 1, toStartOfDay(now()) - 60 * 86400, toStartOfDay(now()) - 60 * 86400, 1, 1, '/', '/'")
			const old = "SELECT sum(sign) FROM sessions WHERE site = 'example.com' AND start < now() - INTERVAL 50 DAY"
			out = mustRun(t, env, "", "rollup", "rebuild", "--site", "example.com")
			if !strings.Contains(out, "rebuilt example.com:") || !strings.Contains(out, "3 visits, 9 events") {
				t.Errorf("rollup rebuild: got %q, want the 3 visits of today's 9 events rebuilt", out)
			}
			if got := mustRun(t, env, "", "sql", "SELECT sum(sign) FROM sessions WHERE site = 'example.com' AND start > now() - INTERVAL 30 DAY"); got != "3\n" {
				t.Errorf("visits after the rebuild: got %q, want 3", got)
			}
			out = mustRun(t, env, "", "rollup", "rebuild", "--site", "example.com", "--from", time.Now().UTC().AddDate(0, 0, -90).Format(time.DateOnly))
			if !strings.Contains(out, "6 visits, 18 events") {
				t.Errorf("rollup rebuild from 90 days ago: got %q, want the 6 visits of the days with raw events", out)
			}
			if got := mustRun(t, env, "", "sql", old); got != "1\n" {
				t.Errorf("the visit without raw events after a rebuild from before it: got %q, want it kept", got)
			}
			out = mustRun(t, env, "", "retention", "run")
			if !strings.Contains(out, "events\texample.com") || !strings.Contains(out, "9 rows") {
				t.Errorf("retention run: got %q, want the old day of events dropped", out)
			}
			if got := mustRun(t, env, "", "sql", "SELECT count() FROM events"); got != "9\n" {
				t.Errorf("events after retention: got %q, want today's 9", got)
			}
		})
	}
}

func TestFlagErrorsAllAtOnce(t *testing.T) {
	r := varde(t, nil, "", "site", "add", "example.com", "--k", "many", "--retention", "forever", "--bogus", "x")
	if r.code != 2 {
		t.Errorf("exit: got %d, want 2", r.code)
	}
	for _, want := range []string{"--k", "--retention", "--bogus"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr %q does not name %s", r.stderr, want)
		}
	}
	r = varde(t, []string{"VARDE_LISTEN=not-an-address:x", "VARDE_SHUTDOWN_TIMEOUT=soon"}, "", "serve")
	if r.code != 2 || !strings.Contains(r.stderr, "VARDE_SHUTDOWN_TIMEOUT") {
		t.Errorf("bad environment value: got exit %d, %q; want exit 2 naming VARDE_SHUTDOWN_TIMEOUT", r.code, r.stderr)
	}
	help := varde(t, nil, "", "serve", "--help")
	for _, want := range []string{"--listen", "default :8080", "VARDE_TRUSTED_PROXIES", "--store"} {
		if !strings.Contains(help.stdout, want) {
			t.Errorf("serve --help does not state %q:\n%s", want, help.stdout)
		}
	}
}

func TestEmbeddedEngineMissing(t *testing.T) {
	r := varde(t, []string{"CHDB_LIB_PATH=/nonexistent/libchdb.so", "VARDE_DATA=" + t.TempDir()}, "", "migrate")
	if r.code != 1 {
		t.Fatalf("exit: got %d, want 1", r.code)
	}
	for _, want := range []string{"libchdb.so", "npm pack @chdb/lib-linux-x64-gnu", "clickhouse://"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("error %q does not say %q", r.stderr, want)
		}
	}
	if strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
		t.Errorf("want one clear error line, got:\n%s", r.stderr)
	}
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestServe starts `varde serve --demo` on each backend, checks what a
// newcomer opens first, and stops it with SIGTERM.
func TestServe(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			addr := freeAddr(t)
			cmd := exec.Command(binary, "serve", "--demo", "--listen", addr)
			cmd.Env = append(os.Environ(), b.env...)
			stderr, _ := cmd.StderrPipe()
			cmd.Stdout = io.Discard
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			logs := make(chan string, 1)
			go func() {
				var all strings.Builder
				sc := bufio.NewScanner(stderr)
				for sc.Scan() {
					all.WriteString(sc.Text() + "\n")
				}
				logs <- all.String()
			}()
			defer cmd.Process.Kill()
			base := "http://" + addr
			waitFor(t, base+"/healthz", 60*time.Second)
			for path, want := range map[string]string{
				"/healthz":  `"ok"`,
				"/readyz":   `"ready"`,
				"/demo":     `data-site="demo.localhost"`,
				"/varde.js": "varde",
			} {
				code, body := get(t, base+path)
				if code != 200 || !strings.Contains(body, want) {
					t.Errorf("GET %s: got %d %.80q, want 200 containing %q", path, code, body, want)
				}
			}
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("after SIGTERM: %v, want a clean exit\n%s", err, <-logs)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("varde did not stop within 30 s of SIGTERM")
			}
		})
	}
}

func waitFor(t *testing.T, url string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s did not answer 200 within %v", url, d)
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
