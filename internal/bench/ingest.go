package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/varde/varde/internal/loadgen"
)

const benchSite = "bench.localhost"

func benchIngest(ctx context.Context, varde, geoip string, phase time.Duration, rate float64) error {
	data, err := os.MkdirTemp("", "varde-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(data)
	env := append(os.Environ(), "VARDE_DATA="+data)
	add := exec.Command(varde, "site", "add", benchSite)
	add.Env = env
	if out, err := add.CombinedOutput(); err != nil {
		return fmt.Errorf("site add: %v\n%s", err, out)
	}

	// The reference first, in a process of its own like varde.
	refAddr := freeAddr()
	self, _ := os.Executable()
	ref := exec.Command(self, "-reference", refAddr)
	ref.Stderr = os.Stderr
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

	addr := freeAddr()
	args := []string{"serve", "--listen", addr, "--trusted-proxies", "127.0.0.1"}
	if geoip != "" {
		// Every beacon is located, as in a real deployment.
		args = append(args, "--geoip", geoip)
	}
	srv := exec.Command(varde, args...)
	srv.Env = env
	logf, _ := os.Create(filepath.Join(data, "serve.log"))
	srv.Stdout, srv.Stderr = logf, logf
	if err := srv.Start(); err != nil {
		return err
	}
	defer srv.Process.Kill()
	if err := waitHTTP(addr, "/readyz", 60*time.Second); err != nil {
		return err
	}
	base := "http://" + addr
	// Latency first, at a steady rate on a fresh server; then as fast as
	// it answers.
	var accepted int
	lat, err := loadgen.Run(ctx, loadgen.Options{Target: base, Site: benchSite, Rate: rate, Duration: phase, Concurrency: 128, Seed: 2})
	if err != nil {
		return fmt.Errorf("varde latency: %w", err)
	}
	accepted += lat.Accepted
	fmt.Fprintf(os.Stderr, "varde at %.0f/s: %v\n", rate, lat)
	thr, err := loadgen.Run(ctx, loadgen.Options{Target: base, Site: benchSite, Rate: 0, Duration: phase, Concurrency: 64})
	if err != nil {
		return fmt.Errorf("varde throughput: %w", err)
	}
	accepted += thr.Accepted
	fmt.Fprintf(os.Stderr, "varde, as fast as it answers: %v\n", thr)
	rss := peakRSS(srv.Process.Pid)

	// A graceful stop flushes the spool; then count what was stored.
	srv.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- srv.Wait() }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		return fmt.Errorf("varde did not stop within 2 minutes of SIGTERM")
	}
	count := exec.Command(varde, "sql", "SELECT count(), uniqExact(event_id) FROM events WHERE site = '"+benchSite+"'")
	count.Env = env
	out, err := count.Output()
	if err != nil {
		return fmt.Errorf("counting stored events: %v", err)
	}
	fields := strings.Fields(string(out))
	if len(fields) != 2 {
		return fmt.Errorf("counting stored events: got %q", out)
	}
	stored, _ := strconv.Atoi(fields[0])
	unique, _ := strconv.Atoi(fields[1])
	fmt.Printf("bench ingest: varde_rps=%.0f reference_rps=%.0f ratio=%.2f p50_ms=%.2f p99_ms=%.2f rss_mb=%d accepted=%d stored=%d\n",
		thr.RPS, refRes.RPS, thr.RPS/refRes.RPS, ms(lat.P50), ms(lat.P99), rss/1024, accepted, stored)
	if stored != accepted || unique != stored {
		return fmt.Errorf("stored %d events (%d unique) of %d accepted", stored, unique, accepted)
	}
	return nil
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
