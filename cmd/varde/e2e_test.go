package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/varde/varde/aggregator/rollup"
	"github.com/varde/varde/aggregator/sessions"
	"github.com/varde/varde/aggregator/store"
	"github.com/varde/varde/internal/loadgen"
	"github.com/varde/varde/internal/testenv"
)

// Visitors of the end-to-end test, whose addresses and browsers must not
// be found anywhere afterwards.
var visitorsSeen = []struct{ ip, ua string }{
	{"81.0.0.7", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"},
	{"82.0.0.9", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"},
	{"2a00:1450::77", "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"},
}

// server is a running `varde serve`.
type server struct {
	cmd  *exec.Cmd
	base string
	logs *bytes.Buffer
	done chan error
}

func startServe(t *testing.T, env []string, extra ...string) *server {
	t.Helper()
	addr := freeAddr(t)
	args := append([]string{"serve", "--listen", addr, "--trusted-proxies", "127.0.0.1", "--flush-interval", "100ms"}, extra...)
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, base: "http://" + addr, logs: &logs, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	waitFor(t, s.base+"/readyz", 60*time.Second)
	return s
}

// stop sends SIGTERM and waits for a clean exit.
func (s *server) stop(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		if err != nil {
			t.Fatalf("varde serve after SIGTERM: %v\n%s", err, s.logs)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("varde serve did not stop within 60 s of SIGTERM")
	}
}

func post(t *testing.T, url, ip, ua, body string, header map[string]string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("User-Agent", ua)
	req.Header.Set("X-Forwarded-For", ip)
	req.Header.Set("Accept-Language", "nb-NO")
	req.Header.Set("Content-Type", "text/plain")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestEndToEnd runs the product as a site owner would: a site, visitors
// giving consent, beacons from realistic traffic, a graceful stop; then
// every accepted beacon is stored exactly once, and no address or user
// agent is anywhere in the store or the log.
func TestEndToEnd(t *testing.T) {
	geodb := testenv.GeoDB(t, map[string]testenv.Place{
		"81.0.0.0/16":    {Country: "NO", RegionCode: "03", RegionName: "Oslo", City: "Oslo"},
		"82.0.0.0/16":    {Country: "NO", RegionCode: "46", RegionName: "Vestland", City: "Bergen"},
		"2a00:1450::/32": {Country: "SE", City: "Stockholm"},
	})
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			env := b.env
			mustRun(t, env, "", "site", "add", "jobs.example.no", "--timezone", "Europe/Oslo")
			srv := startServe(t, env, "--geoip", geodb)
			if b.name == "embedded" {
				r := varde(t, env, "", "site", "list")
				if r.code != 1 || !strings.Contains(r.stderr, "in use by another varde process") {
					t.Errorf("site list beside a running server: got exit %d, %q; want a clear refusal", r.code, r.stderr)
				}
			}
			accepted := 0
			for _, v := range visitorsSeen {
				code, body := post(t, srv.base+"/api/consent", v.ip, v.ua,
					`{"site":"jobs.example.no","categories":{"statistics":true},"revision":1,"lang":"nb","url":"https://jobs.example.no/"}`, nil)
				var answer struct{ Token string }
				json.Unmarshal(body, &answer)
				if code != 201 || answer.Token == "" {
					t.Fatalf("consent: %d %s", code, body)
				}
				for _, page := range []string{"/", "/stillinger/1041", "/kandidater"} {
					code, body := post(t, srv.base+"/api/event", v.ip, v.ua,
						`{"site":"jobs.example.no","name":"pageview","url":"https://jobs.example.no`+page+`","referrer":"https://www.google.no/","width":390,"token":"`+answer.Token+`"}`,
						map[string]string{"Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "empty"})
					if code != 202 {
						t.Fatalf("event: %d %s", code, body)
					}
					accepted++
				}
			}
			res, err := loadgen.Run(context.Background(), loadgen.Options{Target: srv.base, Site: "jobs.example.no", Rate: 0, Requests: 2000, Visitors: 50, Concurrency: 16})
			if err != nil {
				t.Fatal(err)
			}
			if res.Accepted != res.Sent {
				t.Errorf("loadgen: %v; want every beacon accepted", res)
			}
			accepted += res.Accepted
			srv.stop(t)

			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			var s store.Store
			if b.name == "embedded" {
				s, err = store.Open(ctx, store.Options{DataDir: strings.TrimPrefix(env[0], "VARDE_DATA="), LibPath: testenv.ChdbLib(t)})
			} else {
				s, err = store.Open(ctx, store.Options{URL: strings.TrimPrefix(env[0], "VARDE_STORE=")})
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			rows, err := s.Query(ctx, "SELECT count(), uniqExact(event_id), countIf(country = 'NO') FROM events")
			if err != nil {
				t.Fatal(err)
			}
			rows.Next()
			var stored, unique, norway int
			rows.Scan(&stored, &unique, &norway)
			if stored != accepted || unique != stored {
				t.Errorf("stored %d events (%d unique), want the %d answered 202, each once", stored, unique, accepted)
			}
			if norway != 6 {
				t.Errorf("events located in Norway: got %d, want 6", norway)
			}
			// Every visit folded, and today closed as if it were over,
			// so that the visits and closed breakdowns are audited too.
			// (An hour on, the stopped node's lease has run out.)
			later := func() time.Time { return time.Now().Add(time.Hour) }
			sz := sessions.New(s, sessions.Options{Now: later, LeaseSettle: time.Millisecond})
			for more := true; more; {
				st, err := sz.RunOnce(ctx)
				if err != nil || !st.Holder {
					t.Fatalf("folding the visits: %+v, %v", st, err)
				}
				more = st.More
			}
			closed, err := rollup.Closer{Store: s}.Run(ctx, time.Now().Add(26*time.Hour))
			if err != nil || closed == 0 {
				t.Errorf("closing today for the audit: closed %d days, %v", closed, err)
			}
			var needles []string
			for _, v := range visitorsSeen {
				needles = append(needles, v.ip, v.ua)
			}
			needles = append(needles, "Chrome/131.0.0.0", "iPhone OS 18_1", "Gecko/20100101")
			testenv.AuditStore(t, s, needles)
			testenv.AuditText(t, "the server's log", srv.logs.String(), needles)
		})
	}
}
