package writer

import (
	"sync"
	"testing"
	"time"

	"github.com/varde/varde/aggregator/store"
	"github.com/varde/varde/internal/testenv"
)

// TestServerStoppedDuringLoad: the ClickHouse server stops for 30 s under
// load and starts again. Appends keep succeeding meanwhile (durable in the
// spool), the flusher retries with backoff, and once the server is back
// every acknowledged event is stored exactly once without anyone's help.
func TestServerStoppedDuringLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 30 s of outage")
	}
	srv := testenv.NewServer(t)
	ctx := timeout(t, 3*time.Minute)
	s, err := store.Open(ctx, store.Options{URL: srv.URL(testenv.UniqueName("t"))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := createEvents(ctx, s); err != nil {
		t.Fatal(err)
	}
	const site = "outage.example"
	w := newWriter(t, Options{Store: s, Dir: t.TempDir(),
		FlushRows: 200, FlushInterval: 200 * time.Millisecond, RetryMin: 100 * time.Millisecond, RetryMax: 2 * time.Second})
	w.run()

	// The load: 5 events every 10 ms, about 500 a second.
	var (
		mu      sync.Mutex
		acked   []uint64
		appErrs int
	)
	stopLoad := make(chan struct{})
	loadDone := make(chan struct{})
	go func() {
		defer close(loadDone)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stopLoad:
				return
			case <-tick.C:
			}
			ids, err := appendIDs(ctx, w.Writer, newEvents(site, 5))
			mu.Lock()
			if err != nil {
				appErrs++
			}
			acked = append(acked, ids...)
			mu.Unlock()
		}
	}()
	ackedNow := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }

	time.Sleep(2 * time.Second)
	srv.Stop()
	down, before := time.Now(), ackedNow()
	t.Logf("server stopped with %d events acknowledged", before)
	time.Sleep(30*time.Second - time.Since(down))
	during := ackedNow() - before
	for name, check := range map[string]func(float64) bool{
		"varde_store_reachable":            func(v float64) bool { return v == 0 },
		"varde_writer_insert_errors_total": func(v float64) bool { return v > 0 },
		"varde_spool_records":              func(v float64) bool { return v >= float64(during)/2 },
	} {
		if v := w.metric(t, name); !check(v) {
			t.Errorf("after 30 s of outage, %s = %v", name, v)
		}
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("restart server: %v", err)
	}
	back := time.Now()
	t.Logf("server back after %v; %d events acknowledged meanwhile, %v insert errors, %v events spooled",
		back.Sub(down).Round(time.Second), during, w.metric(t, "varde_writer_insert_errors_total"), w.metric(t, "varde_spool_records"))
	time.Sleep(2 * time.Second)
	close(stopLoad)
	<-loadDone
	if appErrs > 0 {
		t.Errorf("%d appends failed; want none while the spool has room", appErrs)
	}
	if during < 1000 {
		t.Errorf("only %d events acknowledged during the outage; want appends to go on", during)
	}
	// The flusher catches up by itself, before Close.
	for w.metric(t, "varde_spool_records") > 0 {
		if time.Since(back) > time.Minute {
			t.Fatalf("spool still holds %v events a minute after the server came back", w.metric(t, "varde_spool_records"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("spool drained %v after the server came back", time.Since(back).Round(100*time.Millisecond))
	if v := w.metric(t, "varde_store_reachable"); v != 1 {
		t.Errorf("varde_store_reachable after recovery: got %v, want 1", v)
	}
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	checkExactlyOnce(t, s, site, acked)
}
