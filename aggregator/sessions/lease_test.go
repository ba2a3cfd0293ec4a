package sessions

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/store"
	"github.com/varde/varde/internal/testenv"
)

// TestLease: two sessionizers on one store; only the holder writes, and
// the other takes over when the holder stops or its lease expires.
func TestLease(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, st store.Store) {
		migrated(t, st)
		c := newClock(noon)
		a := newSessionizer(st, c, "node-a")
		b := newSessionizer(st, c, "node-b")
		var all []aggregator.Event
		add := func(insert uint64, e aggregator.Event) {
			insertRaw(t, st, insert, e)
			all = append(all, e)
		}
		done := func() int { return count(t, st, "SELECT count() FROM sessionized_inserts") }

		add(1, ev(1, 1, "10:00", "", "/a"))
		if got := runOnce(t, a); !got.Holder || got.SessionsWritten != 1 {
			t.Fatalf("a: got %+v, want a to take the lease and write", got)
		}
		add(2, ev(1, 2, "10:05", "", "/b"))
		if got := runOnce(t, b); got.Holder || got.Inserts != 0 || got.changed() {
			t.Errorf("b while a holds: got %+v, want nothing done", got)
		}
		if n := done(); n != 1 {
			t.Errorf("b while a holds: %d inserts recorded, want 1", n)
		}

		// a stops and releases: b takes over at once.
		if err := a.Release(ctxT(t)); err != nil {
			t.Fatalf("release: %v", err)
		}
		if got := runOnce(t, b); !got.Holder || got.Inserts != 1 {
			t.Errorf("b after a released: got %+v, want b to hold and fold in 1 insert", got)
		}
		add(3, ev(1, 3, "10:10", "", "/c"))
		if got := runOnce(t, a); got.Holder || got.changed() {
			t.Errorf("a while b holds: got %+v, want nothing done", got)
		}

		// b goes silent; once its lease has expired, a takes over, and b's
		// next run writes nothing.
		c.Advance(61 * time.Second)
		if got := runOnce(t, a); !got.Holder || got.Inserts != 1 {
			t.Errorf("a after b expired: got %+v, want a to hold and fold in 1 insert", got)
		}
		add(4, ev(1, 4, "10:15", "", "/d"))
		if got := runOnce(t, b); got.Holder || got.changed() {
			t.Errorf("b after losing the lease: got %+v, want nothing done", got)
		}
		if n := done(); n != 3 {
			t.Errorf("%d inserts recorded, want 3", n)
		}
		runOnce(t, a)
		checkExact(t, st, all)

		// A holder that cannot renew stops writing before its lease can look
		// expired to anyone else.
		c.Advance(50 * time.Second)
		if err := a.lease.confirm(ctxT(t)); !errors.Is(err, ErrLeaseLost) {
			t.Errorf("confirm 50 s after the last renewal: got %v, want ErrLeaseLost", err)
		}
	})
}

// TestLeaseRace: nodes claiming a free lease at the same moment agree on
// one holder.
func TestLeaseRace(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, st store.Store) {
		migrated(t, st)
		for round := range 3 {
			name := fmt.Sprintf("race-%d", round)
			var (
				wg   sync.WaitGroup
				mu   sync.Mutex
				won  []string
				errs []error
			)
			for n := range 3 {
				l := &lease{st: st, name: name, holder: fmt.Sprintf("node-%d", n), now: time.Now,
					ttl: time.Minute, settle: 300 * time.Millisecond}
				wg.Go(func() {
					ok, err := l.claim(ctxT(t))
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						errs = append(errs, err)
					}
					if ok {
						won = append(won, l.holder)
					}
				})
			}
			wg.Wait()
			if len(errs) > 0 || len(won) != 1 {
				t.Errorf("round %d: got holders %v (errors %v), want exactly one", round, won, errs)
			}
		}
	})
}

// TestConcurrentRuns: two nodes running at the same time never write the
// same change twice.
func TestConcurrentRuns(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, st store.Store) {
		migrated(t, st)
		c := newClock(noon)
		nodes := []*Sessionizer{newSessionizer(st, c, "node-a"), newSessionizer(st, c, "node-b")}
		var all []aggregator.Event
		for round := range uint64(4) {
			var batch []aggregator.Event
			for v := range uint64(5) {
				e := ev(v+1, round*10+v+1, "10:00", "", fmt.Sprintf("/%d", round))
				e.Time = e.Time.Add(time.Duration(round*7+v) * time.Minute)
				batch = append(batch, e)
			}
			insertRaw(t, st, round+1, batch...)
			all = append(all, batch...)
			var wg sync.WaitGroup
			for _, n := range nodes {
				wg.Go(func() {
					if _, err := n.RunOnce(ctxT(t)); err != nil {
						t.Errorf("run: %v", err)
					}
				})
			}
			wg.Wait()
			c.Advance(time.Second)
		}
		checkExact(t, st, all)
	})
}

// TestRun: the loop folds new inserts in, and releases the lease when its
// context ends, so another node takes over at once.
func TestRun(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, st store.Store) {
		migrated(t, st)
		c := newClock(noon)
		a := New(st, Options{Now: c.Now, Log: quiet, Holder: "node-a", Settle: -1,
			LeaseSettle: 20 * time.Millisecond, Interval: 20 * time.Millisecond})
		ctx, cancel := context.WithCancel(ctxT(t))
		stopped := make(chan error, 1)
		go func() { stopped <- a.Run(ctx) }()
		evs := []aggregator.Event{ev(1, 1, "10:00", "", "/a"), ev(1, 2, "10:01", "", "/b")}
		insertRaw(t, st, 1, evs...)
		deadline := time.Now().Add(30 * time.Second)
		for count(t, st, "SELECT count() FROM sessionized_inserts") == 0 {
			if time.Now().After(deadline) {
				t.Fatal("the loop did not fold the insert in within 30 s")
			}
			time.Sleep(20 * time.Millisecond)
		}
		cancel()
		if err := <-stopped; err != nil {
			t.Errorf("Run: got %v, want nil after cancel", err)
		}
		checkExact(t, st, evs)
		b := newSessionizer(st, c, "node-b")
		if got := runOnce(t, b); !got.Holder {
			t.Errorf("b after a stopped: got %+v, want b to hold the lease", got)
		}
	})
}
