package store_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/varde/varde/aggregator/internal/chdb"
	"github.com/varde/varde/aggregator/store"
	"github.com/varde/varde/internal/testenv"
)

var deadlySignals = []syscall.Signal{syscall.SIGSEGV, syscall.SIGBUS, syscall.SIGFPE, syscall.SIGILL, syscall.SIGABRT, syscall.SIGTRAP}

// TestPanicRecoveredWithEngineLoaded runs a child process that loads the
// embedded engine, dereferences a nil pointer, and must recover the panic
// (without Go's signal handlers the process hangs instead), then waits for
// SIGTERM and must exit cleanly.
func TestPanicRecoveredWithEngineLoaded(t *testing.T) {
	if os.Getenv("VARDE_PANIC_CHILD") == "1" {
		panicChild(t)
		return
	}
	lib := testenv.ChdbLib(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestPanicRecoveredWithEngineLoaded$", "-test.v")
	cmd.Env = append(os.Environ(), "VARDE_PANIC_CHILD=1", "CHDB_LIB_PATH="+lib, "VARDE_PANIC_DATA="+t.TempDir())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	expect := func(want string, within time.Duration) {
		t.Helper()
		timeout := time.After(within)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("child exited before printing %q", want)
				}
				if strings.Contains(l, "FAIL") || strings.Contains(l, "handler changed") {
					t.Errorf("child: %s", l)
				}
				if strings.Contains(l, want) {
					return
				}
			case <-timeout:
				t.Fatalf("child did not print %q within %v: the panic hung the process", want, within)
			}
		}
	}
	expect("recovered: runtime error: invalid memory address or nil pointer dereference", 90*time.Second)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	expect("stopped on SIGTERM", 20*time.Second)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("child after SIGTERM: %v, want a clean exit", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("child did not exit within 20 s of SIGTERM")
	}
}

func panicChild(t *testing.T) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	before := map[syscall.Signal]uintptr{}
	for _, sig := range deadlySignals {
		before[sig] = chdb.SignalHandler(sig)
	}
	s, err := store.Open(context.Background(), store.Options{URL: "chdb://" + os.Getenv("VARDE_PANIC_DATA")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Query(context.Background(), "SELECT count() FROM numbers(1000)"); err != nil {
		t.Fatal(err)
	}
	for _, sig := range deadlySignals {
		if got := chdb.SignalHandler(sig); got != before[sig] {
			fmt.Printf("%v handler changed: got %#x, want Go's %#x\n", sig, got, before[sig])
		}
	}
	func() {
		defer func() { fmt.Printf("recovered: %v\n", recover()) }()
		var p *struct{ n int }
		fmt.Println(p.n)
	}()
	<-ctx.Done()
	fmt.Println("stopped on SIGTERM")
}
