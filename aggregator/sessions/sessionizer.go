package sessions

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"regexp"
	"sync"
	"time"

	"github.com/varde/varde/aggregator/store"
)

// Options configure a Sessionizer. Zero values take the defaults below.
type Options struct {
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Log gets a line per run that changed something, and errors; counts
	// only. Default: discard.
	Log *slog.Logger
	// Holder names this node in the lease, unique per process. Default: the
	// host name, process id and a random suffix.
	Holder string
	// Interval is the pause between runs of Run. Default 2 s: the writer
	// flushes about once a second, so a run folds in a couple of inserts
	// at once and writes about one insert a second per table (ClickHouse's
	// advice; a run writes foldPart events per insert at most), while the
	// dashboard's visits trail the raw events by seconds only. Longer
	// pauses make larger runs, which at 10,000 events a second held
	// 100 MB more at their peak (measured).
	Interval time.Duration
	// Lookback bounds the scan for new inserts: events from the UTC
	// midnight Lookback before now. Older events are left to Rebuild.
	// Default 48 h.
	Lookback time.Duration
	// Settle is how long an insert's event count must stay the same before
	// it is folded in. ClickHouse commits an insert one partition (site,
	// day) at a time, so a run may see part of an insert; recording it as
	// done would lose the rest. Default 2 s (so, the next run); negative:
	// fold in at first sight (tests).
	Settle time.Duration
	// ChunkSize is how many visitors one query handles. Default 4000: an IN
	// list of that many ids, twice, stays well below ClickHouse's 256 KiB
	// max_query_size.
	ChunkSize int
	// MaxEvents bounds the new raw events one run folds in; the rest waits
	// for the next run, which Run starts at once. Default 50,000: a run
	// holds its new events in memory, and a node that falls behind (the
	// collector at 20,000 beacons a second) peaked 130 MB lower than with
	// 200,000 at the same speed of folding.
	MaxEvents int
	// LeaseTTL is how long a claim or renewal of the lease lasts. Default
	// 60 s, renewed every 20 s.
	LeaseTTL time.Duration
	// LeaseSettle is how long a claim waits for a racing claim to land.
	// Default 2 s.
	LeaseSettle time.Duration
	// RebuildBatch is about how many raw events Rebuild loads at once.
	// Default 500,000.
	RebuildBatch int
}

func (o *Options) fill() {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Holder == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		rand.Read(b)
		o.Holder = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
	}
	if o.Interval <= 0 {
		o.Interval = 2 * time.Second
	}
	if o.Lookback <= 0 {
		o.Lookback = 48 * time.Hour
	}
	if o.Settle == 0 {
		o.Settle = 2 * time.Second
	}
	if o.ChunkSize <= 0 {
		o.ChunkSize = 4000
	}
	if o.MaxEvents <= 0 {
		o.MaxEvents = 50_000
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 60 * time.Second
	}
	if o.LeaseSettle <= 0 {
		o.LeaseSettle = 2 * time.Second
	}
	if o.RebuildBatch <= 0 {
		o.RebuildBatch = 500_000
	}
}

// Sessionizer keeps sessions and session_events equal to the visits of the
// raw events. Its methods may be called from several goroutines; they run
// one at a time.
type Sessionizer struct {
	st    store.Store
	opts  Options
	mu    sync.Mutex
	lease lease
	// pending are inserts seen but not yet whole (see Options.Settle).
	pending map[uint64]sighting
	// afterWrite, when set (by tests), runs after the rows are written and
	// before the inserts are recorded; an error stops the run there.
	afterWrite func() error
	// mem is what the lease holder remembers of open visitors (fast.go).
	mem memory
	// offered are events the local writer handed over (Offer).
	offered offers
	// foldPart is foldPart but in tests, which fold in small parts.
	foldPart int
}

type sighting struct {
	n     uint64
	since time.Time
}

// New returns a sessionizer on st.
func New(st store.Store, opts Options) *Sessionizer {
	opts.fill()
	return &Sessionizer{
		st:       st,
		opts:     opts,
		foldPart: foldPart,
		lease: lease{
			st: st, name: LeaseName, holder: opts.Holder, now: opts.Now,
			ttl: opts.LeaseTTL, settle: opts.LeaseSettle,
		},
		pending: map[uint64]sighting{},
	}
}

// RunOnce folds the new raw inserts into sessions and session_events, if
// this node holds (or can take) the lease. A run that stops half way leaves
// the tables consistent enough for the next run to finish the job: it
// writes the difference against what is there, and records the inserts as
// done only after.
func (s *Sessionizer) RunOnce(ctx context.Context) (Stats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var st Stats
	now := s.opts.Now()
	// What this node remembers is only true while it held the lease the
	// whole time since.
	continuous := s.lease.valid(now)
	held, err := s.lease.ensure(ctx)
	if err != nil || !held {
		s.mem.reset()
		return st, err
	}
	st.Holder = true
	if !continuous || s.mem.open == nil {
		s.mem.reset()
	}
	if !s.mem.primed {
		if err := s.prime(ctx, now); err != nil {
			return st, err
		}
	}
	st, err = s.run(ctx, now, st)
	if err != nil {
		// The store may hold part of this run's writes: forget, and let
		// the next run take the exact path.
		s.mem.reset()
	}
	return st, err
}

// Stats count what a run did.
type Stats struct {
	// Holder is whether this node held the lease; a run without it does
	// nothing.
	Holder bool
	// Inserts and NewEvents are the raw inserts folded in and their events;
	// Waiting the inserts seen but not yet whole.
	Inserts   int
	NewEvents int
	Waiting   int
	// Visitors are the visitor ids with new events; Loaded the raw events
	// read to recompute their visits; Fast the visitors folded in from the
	// holder's memory, without reading the store.
	Visitors int
	Loaded   int
	Fast     int
	// Rows cancelled (sign -1) and written (sign +1) in each table.
	SessionsCancelled int
	SessionsWritten   int
	EventsCancelled   int
	EventsWritten     int
	// More is set when inserts were left for the next run (MaxEvents).
	More bool
}

func (s Stats) changed() bool {
	return s.SessionsCancelled+s.SessionsWritten+s.EventsCancelled+s.EventsWritten > 0
}

// run is one RunOnce with the lease held: the fast path for what the
// holder remembers, the exact path for the rest.
func (s *Sessionizer) run(ctx context.Context, now time.Time, st Stats) (Stats, error) {
	from := midnight(now.Add(-s.opts.Lookback))
	ins, err := s.newInserts(ctx, from, now, &st)
	if err != nil || len(ins) == 0 {
		return st, err
	}
	batches, err := s.insertEvents(ctx, from, ins)
	if err != nil {
		return st, err
	}
	// The fast path plans and writes a part of the visitors at a time, so
	// that a run's rows are never all in memory at once: a run at 10,000
	// events a second folds in 20,000 to 50,000 events.
	done := fastPlan{remember: map[vkey]*remembered{}, slow: map[string]ids{}}
	events := 0
	for _, b := range batches {
		events += len(b)
	}
	parts := uint64(max(1, (events+s.foldPart-1)/s.foldPart))
	for i := range parts {
		plan := s.mem.plan(batches, visitorPart{i, parts}, now)
		if err := s.write(ctx, plan.sessions, plan.events); err != nil {
			return st, err
		}
		st.Visitors += plan.stats.Visitors
		st.Fast += plan.stats.Visitors
		st.SessionsCancelled += plan.stats.SessionsCancelled
		st.SessionsWritten += plan.stats.SessionsWritten
		st.EventsCancelled += plan.stats.EventsCancelled
		st.EventsWritten += plan.stats.EventsWritten
		maps.Copy(done.remember, plan.remember)
		for site, list := range plan.slow {
			if done.slow[site] == nil {
				done.slow[site] = ids{}
			}
			maps.Copy(done.slow[site], list) // a visitor is in one part only
		}
	}
	for _, site := range sortedKeys(done.slow) {
		for _, chunk := range chunks(done.slow[site], s.opts.ChunkSize) {
			st.Visitors += len(chunk)
			if err := s.syncChunk(ctx, site, chunk, &st); err != nil {
				return st, err
			}
		}
	}
	if s.afterWrite != nil {
		if err := s.afterWrite(); err != nil {
			return st, err
		}
	}
	if err := s.recordInserts(ctx, ins); err != nil {
		return st, err
	}
	s.mem.apply(done, now)
	return st, nil
}

// foldPart is about how many new events the fast path plans and writes at
// once.
const foldPart = 10_000

// visitorPart is the i-th of n parts of the visitors, each about as
// large, so that a run's rows are made a part at a time.
type visitorPart struct{ i, n uint64 }

func (p visitorPart) has(visitorID uint64) bool { return visitorID%p.n == p.i }

// Run calls RunOnce every Interval (at once again while work is left) until
// ctx ends, then releases the lease. Errors are logged and retried on the
// next tick.
func (s *Sessionizer) Run(ctx context.Context) error {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			// The context is over; give the release a fresh one.
			rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := s.Release(rctx); err != nil {
				s.opts.Log.Warn("sessions: release lease", "err", safeErr(err))
			}
			return nil
		case <-t.C:
		}
		began := time.Now()
		st, err := s.RunOnce(ctx)
		took := time.Since(began).Round(time.Millisecond)
		switch {
		case err != nil && ctx.Err() == nil:
			s.opts.Log.Error("sessions: run failed", "err", safeErr(err))
		case st.changed():
			s.opts.Log.Info("sessions: run", "took", took, "inserts", st.Inserts, "events", st.NewEvents,
				"visitors", st.Visitors, "fast", st.Fast, "loaded", st.Loaded,
				"sessions_cancelled", st.SessionsCancelled, "sessions_written", st.SessionsWritten,
				"events_cancelled", st.EventsCancelled, "events_written", st.EventsWritten)
		}
		next := s.opts.Interval
		if err == nil && st.More {
			next = 0
		}
		t.Reset(next)
	}
}

// Release gives the lease up if this node holds it, so another node can
// take over at once instead of after LeaseTTL.
func (s *Sessionizer) Release(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lease.release(ctx)
}

// Acquire takes the lease for a one-off job such as a rebuild, before it
// changes anything; ErrLeaseHeld when another node holds it.
func (s *Sessionizer) Acquire(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	held, err := s.lease.ensure(ctx)
	if err != nil {
		return err
	}
	if !held {
		return ErrLeaseHeld
	}
	return nil
}

// secretish matches what a store error may quote from a query: string
// literals and long numbers (visitor and event ids).
var secretish = regexp.MustCompile(`'(?:[^'\\]|\\.)*'|\d{6,}`)

// safeErr is an error's text fit for a log line: ClickHouse quotes parts of
// a failing query, which may hold visitor ids or paths.
func safeErr(err error) string {
	msg := secretish.ReplaceAllString(err.Error(), "…")
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return msg
}
