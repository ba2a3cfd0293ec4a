package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/varde/varde/internal/loadgen"
	"github.com/varde/varde/internal/node"
	"github.com/varde/varde/internal/testenv"
)

const benchSite = "bench.localhost"

func benchIngest(ctx context.Context, varde, geoip string, phase time.Duration, rate float64) error {
	// The reference first, in a process of its own like varde.
	refAddr := freeAddr()
	self, _ := os.Executable()
	ref := exec.Command(self, "-reference", refAddr)
	ref.Stderr = os.Stderr
	if procs, ok := node.Processors(runtime.GOMAXPROCS(0), os.Getenv("GOMAXPROCS") != ""); ok {
		// As many Go processors as varde serve gives itself.
		ref.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(procs))
	}
	if err := ref.Start(); err != nil {
		return err
	}
	if err := waitHTTP(refAddr, "/api/event", 30*time.Second); err != nil {
		ref.Process.Kill()
		return err
	}
	refRes, err := loadgen.Run(ctx, loadgen.Options{Target: "http://" + refAddr, Site: benchSite, Rate: 0, Duration: phase, NoConsent: true, Concurrency: 64})
	ref.Process.Kill()
	ref.Wait()
	if err != nil {
		return fmt.Errorf("reference: %w", err)
	}
	fmt.Fprintf(os.Stderr, "reference, as fast as it answers: %v\n", refRes)

	run, err := ingest(ctx, varde, geoip, "", phase, rate)
	if err != nil {
		return err
	}
	fmt.Printf("bench ingest: varde_rps=%.0f reference_rps=%.0f ratio=%.2f p50_ms=%.2f p99_ms=%.2f rss_mb=%d accepted=%d stored=%d\n",
		run.thr.RPS, refRes.RPS, run.thr.RPS/refRes.RPS, ms(run.lat.P50), ms(run.lat.P99), run.rssKiB/1024, run.accepted, run.stored)
	if err := run.check(); err != nil {
		return err
	}

	// For comparison, not a target: the same on a ClickHouse server (on
	// the same machine), where varde's memory is its own heap only.
	srv, err := testenv.StartServer()
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench ingest: no ClickHouse server for the comparison: %v\n", err)
		return nil
	}
	defer func() { srv.Stop(); os.RemoveAll(srv.Dir) }()
	run, err = ingest(ctx, varde, geoip, srv.URL("varde"), phase, rate)
	if err != nil {
		return fmt.Errorf("on a ClickHouse server: %w", err)
	}
	fmt.Fprintf(os.Stderr, "bench ingest on a ClickHouse server (for comparison): varde_rps=%.0f ratio=%.2f p50_ms=%.2f p99_ms=%.2f rss_mb=%d accepted=%d stored=%d\n",
		run.thr.RPS, run.thr.RPS/refRes.RPS, ms(run.lat.P50), ms(run.lat.P99), run.rssKiB/1024, run.accepted, run.stored)
	return run.check()
}

// ingestRun is what one varde serve under load did.
type ingestRun struct {
	lat, thr                 loadgen.Result
	rssKiB                   int
	accepted, stored, unique int
}

func (r ingestRun) check() error {
	if r.stored != r.accepted || r.unique != r.stored {
		return fmt.Errorf("stored %d events (%d unique) of %d accepted", r.stored, r.unique, r.accepted)
	}
	return nil
}

// ingest starts varde serve on a data directory of its own and the given
// store (empty: the embedded one), loads it at rate (latency) and then as
// fast as it answers (throughput), stops it with SIGTERM and counts what it
// stored.
func ingest(ctx context.Context, varde, geoip, storeURL string, phase time.Duration, rate float64) (ingestRun, error) {
	var run ingestRun
	data, err := os.MkdirTemp("", "varde-bench-")
	if err != nil {
		return run, err
	}
	defer os.RemoveAll(data)
	env := append(os.Environ(), "VARDE_DATA="+data)
	if storeURL != "" {
		env = append(env, "VARDE_STORE="+storeURL)
	}
	add := exec.Command(varde, "site", "add", benchSite)
	add.Env = env
	if out, err := add.CombinedOutput(); err != nil {
		return run, fmt.Errorf("site add: %v\n%s", err, out)
	}
	addr := freeAddr()
	args := []string{"serve", "--listen", addr, "--trusted-proxies", "127.0.0.1"}
	if geoip != "" {
		// Every beacon is located, as in a real deployment.
		args = append(args, "--geoip", geoip)
	}
	srv := exec.Command(varde, args...)
	srv.Env = env
	logf, _ := os.CreateTemp("", "varde-bench-serve-*.log")
	defer os.Remove(logf.Name())
	srv.Stdout, srv.Stderr = logf, logf
	if err := srv.Start(); err != nil {
		return run, err
	}
	defer srv.Process.Kill()
	if err := waitHTTP(addr, "/readyz", 60*time.Second); err != nil {
		return run, err
	}
	base := "http://" + addr
	// Latency first, at a steady rate on a fresh server; then as fast as
	// it answers.
	run.lat, err = loadgen.Run(ctx, loadgen.Options{Target: base, Site: benchSite, Rate: rate, Duration: phase, Concurrency: 128, Seed: 2})
	if err != nil {
		return run, fmt.Errorf("varde latency: %w", err)
	}
	fmt.Fprintf(os.Stderr, "varde at %.0f/s: %v\n", rate, run.lat)
	run.thr, err = loadgen.Run(ctx, loadgen.Options{Target: base, Site: benchSite, Rate: 0, Duration: phase, Concurrency: 64})
	if err != nil {
		return run, fmt.Errorf("varde throughput: %w", err)
	}
	fmt.Fprintf(os.Stderr, "varde, as fast as it answers: %v\n", run.thr)
	run.accepted = run.lat.Accepted + run.thr.Accepted
	run.rssKiB = peakRSS(srv.Process.Pid)

	// A graceful stop flushes the spool; then count what was stored.
	srv.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- srv.Wait() }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		return run, fmt.Errorf("varde did not stop within 2 minutes of SIGTERM")
	}
	count := exec.Command(varde, "sql", "SELECT count(), uniqExact(event_id) FROM events WHERE site = '"+benchSite+"'")
	count.Env = env
	out, err := count.Output()
	if err != nil {
		return run, fmt.Errorf("counting stored events: %v", err)
	}
	fields := strings.Fields(string(out))
	if len(fields) != 2 {
		return run, fmt.Errorf("counting stored events: got %q", out)
	}
	run.stored, _ = strconv.Atoi(fields[0])
	run.unique, _ = strconv.Atoi(fields[1])
	return run, nil
}
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitHTTP(addr, path string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + path)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s%s did not answer within %v", addr, path, d)
}

// peakRSS is the process's high-water resident set, in KiB.
func peakRSS(pid int) int {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return n
		}
	}
	return 0
}
