package writer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/varde/varde/aggregator/store"
	"github.com/varde/varde/internal/testenv"
)

// The SIGKILL test runs this test binary again as a child, in one of two
// roles chosen by these variables.
const (
	childRole  = "VARDE_WRITER_CHILD" // "load" or "recover"
	childStore = "VARDE_WRITER_CHILD_STORE"
	childSpool = "VARDE_WRITER_CHILD_SPOOL"
	killSite   = "kill.example"
)

// TestSIGKILLDuringLoad: a child appends events under load and prints each
// batch of ids before appending it ("try") and once Append has answered
// ("ok"); it is killed with SIGKILL while the flusher is busy. A second
// child then opens a writer on the same spool and store, flushes, and
// prints what is stored. Every acknowledged id must be stored exactly once,
// and nothing stored that was never appended.
//
// Why a second child: the embedded engine takes one data directory per
// process, and this test binary's other tests open it on their shared
// directory, so this process cannot open the loader's engine directory.
// The recovery runs in a fresh process, as a restart does, for both
// backends; it starts only after the loader is dead, so no two processes
// ever have one engine directory open.
func TestSIGKILLDuringLoad(t *testing.T) {
	switch os.Getenv(childRole) {
	case "load":
		loadChild(t)
		return
	case "recover":
		recoverChild(t)
		return
	}
	for _, backend := range []string{"embedded", "server"} {
		t.Run(backend, func(t *testing.T) {
			env := []string{childSpool + "=" + t.TempDir()}
			switch backend {
			case "embedded":
				env = append(env, "CHDB_LIB_PATH="+testenv.ChdbLib(t), childStore+"=chdb://"+t.TempDir())
			case "server":
				env = append(env, childStore+"="+testenv.SharedServer(t).URL(testenv.UniqueName("t")))
			}
			tried, acked, flushed := runLoader(t, env)
			t.Logf("killed the loader after %d events acknowledged, %d flushed", len(acked), flushed)
			count, uniq, stored := runRecovery(t, env)
			compareIDs(t, count, uniq, stored, acked, tried)
		})
	}
}

// child starts this test binary in a role.
func child(t *testing.T, role string, env []string) (*exec.Cmd, io.Reader) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSIGKILLDuringLoad$", "-test.count=1")
	cmd.Env = append(append(os.Environ(), childRole+"="+role), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, out
}

// lines reads whole lines; a line cut short by the kill is dropped.
func lines(r io.Reader) <-chan string {
	ch := make(chan string, 1024)
	go func() {
		defer close(ch)
		br := bufio.NewReaderSize(r, 64<<10)
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				return
			}
			ch <- strings.TrimSuffix(l, "\n")
		}
	}()
	return ch
}

func parseIDs(fields []string) []uint64 {
	ids := make([]uint64, 0, len(fields))
	for _, f := range fields {
		id, err := strconv.ParseUint(f, 10, 64)
		if err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

// runLoader starts the loader and SIGKILLs it once it has had thousands of
// events acknowledged and the flusher has stored some of them.
func runLoader(t *testing.T, env []string) (tried map[uint64]bool, acked []uint64, flushed int) {
	cmd, out := child(t, "load", env)
	tried = map[uint64]bool{}
	pending := map[string][]uint64{}
	deadline := time.After(2 * time.Minute)
	for ls := lines(out); ; {
		select {
		case l, ok := <-ls:
			if !ok {
				t.Fatalf("the loader exited before it was killed: %v", cmd.Wait())
			}
			f := strings.Fields(l)
			switch {
			case len(f) > 2 && f[0] == "try":
				ids := parseIDs(f[2:])
				pending[f[1]] = ids
				for _, id := range ids {
					tried[id] = true
				}
			case len(f) == 2 && f[0] == "ok":
				acked = append(acked, pending[f[1]]...)
				delete(pending, f[1])
			case len(f) == 2 && f[0] == "flushed":
				flushed, _ = strconv.Atoi(f[1])
			}
			if len(acked) >= 6000 && flushed >= 2000 {
				// Mid-load: appenders are waiting on a sync and the flusher
				// is between or inside inserts.
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				err := cmd.Wait()
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
					t.Fatalf("loader: got %v, want killed by SIGKILL", err)
				}
				// Lines written before the kill may still be in the pipe.
				for l := range ls {
					if f := strings.Fields(l); len(f) == 2 && f[0] == "ok" {
						acked = append(acked, pending[f[1]]...)
					} else if len(f) > 2 && f[0] == "try" {
						for _, id := range parseIDs(f[2:]) {
							tried[id] = true
						}
					}
				}
				return tried, acked, flushed
			}
		case <-deadline:
			t.Fatalf("the loader did not reach 6000 events acknowledged and 2000 flushed in 2 minutes (got %d, %d)", len(acked), flushed)
		}
	}
}

// runRecovery runs the recovering child to the end and reads what it found
// stored.
func runRecovery(t *testing.T, env []string) (count, uniq uint64, stored map[uint64]bool) {
	cmd, out := child(t, "recover", env)
	stored = map[uint64]bool{}
	for l := range lines(out) {
		f := strings.Fields(l)
		switch {
		case len(f) == 3 && f[0] == "stored":
			count, _ = strconv.ParseUint(f[1], 10, 64)
			uniq, _ = strconv.ParseUint(f[2], 10, 64)
		case len(f) > 1 && f[0] == "ids":
			for _, id := range parseIDs(f[1:]) {
				stored[id] = true
			}
		case len(f) > 0 && f[0] == "recovered:":
			t.Log(l)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("recovery child: %v", err)
	}
	if count == 0 {
		t.Fatal("recovery child reported nothing stored")
	}
	return count, uniq, stored
}

func openChildStore(t *testing.T) store.Store {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := store.Open(ctx, store.Options{URL: os.Getenv(childStore)})
	if err != nil {
		t.Fatal(err)
	}
	if err := createEvents(ctx, s); err != nil {
		t.Fatal(err)
	}
	return s
}

// loadChild appends from four goroutines until it is killed. Each line is
// one write of under 4 KiB, which a pipe takes whole.
func loadChild(t *testing.T) {
	s := openChildStore(t)
	reg := prometheus.NewRegistry()
	w, err := New(Options{Store: s, Dir: os.Getenv(childSpool), Registerer: reg,
		FlushRows: 500, FlushInterval: 100 * time.Millisecond, RetryMin: 50 * time.Millisecond, RetryMax: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	go w.Run(context.Background())
	tw := testWriter{w, reg}
	go func() {
		for range time.Tick(50 * time.Millisecond) {
			fmt.Fprintf(os.Stdout, "flushed %d\n", int(tw.metric(t, "varde_writer_rows_flushed_total")))
		}
	}()
	var seq struct {
		sync.Mutex
		n int
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			var line []byte
			for {
				evs := newEvents(killSite, 10)
				for i := range evs {
					evs[i].ID = randomID()
				}
				seq.Lock()
				seq.n++
				n := seq.n
				seq.Unlock()
				line = fmt.Appendf(line[:0], "try %d", n)
				for _, e := range evs {
					line = fmt.Appendf(line, " %d", e.ID)
				}
				os.Stdout.Write(append(line, '\n'))
				if err := w.Append(context.Background(), evs...); err != nil {
					fmt.Fprintf(os.Stderr, "append: %v\n", err)
					continue
				}
				fmt.Fprintf(os.Stdout, "ok %d\n", n)
			}
		})
	}
	time.Sleep(3 * time.Minute) // the parent kills it long before
}

// recoverChild replays the spool into the store and prints what is stored.
func recoverChild(t *testing.T) {
	s := openChildStore(t)
	defer s.Close()
	reg := prometheus.NewRegistry()
	w, err := New(Options{Store: s, Dir: os.Getenv(childSpool), Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	tw := testWriter{w, reg}
	replayed := w.spool.Stats()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("recovered: %d events in %d batches replayed; %v were already stored, %v inserted\n",
		replayed.Records, replayed.Segments,
		tw.metric(t, "varde_writer_rows_already_stored_total"), tw.metric(t, "varde_writer_rows_flushed_total"))
	count, uniq, ids, err := storedIDs(ctx, s, killSite)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("stored %d %d\n", count, uniq)
	var line []byte
	n := 0
	for id := range ids {
		if n == 0 {
			line = append(line[:0], "ids"...)
		}
		line = fmt.Appendf(line, " %d", id)
		if n++; n == 100 {
			os.Stdout.Write(append(line, '\n'))
			n = 0
		}
	}
	if n > 0 {
		os.Stdout.Write(append(line, '\n'))
	}
}
