package writer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/spool"
	"github.com/varde/varde/aggregator/store"
)

// ErrFull means the spool is at its size limit (the store has been away for
// a while) or the disk is full: the events were not accepted. The collector
// answers 503 with Retry-After.
var ErrFull = spool.ErrFull

// ErrClosed is returned by Append after Close.
var ErrClosed = spool.ErrClosed

// Options configures a Writer. Zero fields take the defaults stated here,
// filled in by fill.
type Options struct {
	// Store is where events go. Required.
	Store store.Store
	// Dir is the spool directory (--data/spool). Required.
	Dir string
	// Logger gets counts, batch ids and errors, never event contents.
	// Default: discard.
	Logger *slog.Logger
	// Registerer takes the writer's metrics. Default: a private registry,
	// i.e. not exported.
	Registerer prometheus.Registerer

	// FlushRows: a batch is inserted once it holds this many events.
	// Default: 10,000, inside ClickHouse's advised 1k–100k rows per insert:
	// one insert a second then carries 10k events/s, and a batch stays a
	// few MB in memory.
	FlushRows int
	// FlushInterval: a batch is inserted at most this long after its first
	// event. Default: 1 s, ClickHouse's advised pace of about one insert
	// per second per table, and as far as the dashboard lags behind.
	FlushInterval time.Duration
	// SpoolBytes bounds the events awaiting the store on disk; past it
	// Append returns ErrFull. Default: 256 MiB, about a million events
	// (some 250 bytes each): over 15 minutes of a store outage at 1,000
	// events/s.
	SpoolBytes int64
	// RetryMin and RetryMax bound the wait between attempts while the store
	// fails: it doubles from RetryMin up to RetryMax, with jitter. Defaults:
	// 250 ms and 10 s, so a store that comes back is written to within
	// about 10 s, and a store that is down sees one attempt per node every
	// 10 s at most.
	RetryMin, RetryMax time.Duration
	// InsertTimeout bounds one attempt to store a batch. Default: 30 s,
	// far above the tens of milliseconds a batch takes: on the embedded
	// engine a statement past its deadline runs on unseen, and an insert
	// that outlives its timeout could be stored twice.
	InsertTimeout time.Duration
	// PingInterval is how often an idle flusher pings the store, to keep
	// varde_store_reachable current. Default: 10 s.
	PingInterval time.Duration
	// Inserted, when set, hears every insert that succeeded, with its
	// events, so that a sessionizer in this process need not read them back
	// from the store. It must not keep the slice's backing array busy long:
	// it is called on the flusher's goroutine.
	Inserted func(insertID uint64, events []aggregator.Event)
}

func (o *Options) fill() error {
	if o.Store == nil {
		return errors.New("writer: no store given")
	}
	if o.Dir == "" {
		return errors.New("writer: no spool directory given")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Registerer == nil {
		o.Registerer = prometheus.NewRegistry()
	}
	if o.FlushRows <= 0 {
		o.FlushRows = 10_000
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = time.Second
	}
	if o.SpoolBytes <= 0 {
		o.SpoolBytes = 256 << 20
	}
	if o.RetryMin <= 0 {
		o.RetryMin = 250 * time.Millisecond
	}
	if o.RetryMax <= 0 {
		o.RetryMax = 10 * time.Second
	}
	o.RetryMax = max(o.RetryMax, o.RetryMin)
	if o.InsertTimeout <= 0 {
		o.InsertTimeout = 30 * time.Second
	}
	if o.PingInterval <= 0 {
		o.PingInterval = 10 * time.Second
	}
	return nil
}

// Writer appends events to the spool and flushes them into the events
// table. Append is safe for concurrent use.
type Writer struct {
	opts  Options
	spool *spool.Spool
	log   *slog.Logger
	m     *metrics
	bufs  sync.Pool // *encodeBuf

	mu      sync.Mutex
	closed  bool
	running bool
	stopRun context.CancelFunc
	runDone chan struct{} // closed when Run returns

	// held is the batch being flushed: Run's while it runs, then Close's.
	held *batch
}

// encodeBuf holds one Append's encoded events between calls.
type encodeBuf struct {
	data []byte
	ends []int
	recs [][]byte
}

// New opens the spool in opts.Dir, replaying what an earlier run left
// there, and registers the metrics. Flushing starts with Run.
func New(opts Options) (*Writer, error) {
	if err := opts.fill(); err != nil {
		return nil, err
	}
	sp, err := spool.Open(spool.Options{
		Dir:            opts.Dir,
		SegmentRecords: opts.FlushRows,
		SegmentAge:     opts.FlushInterval,
		MaxBytes:       opts.SpoolBytes,
		Logger:         opts.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("writer: %w", err)
	}
	m, err := newMetrics(opts.Registerer, sp)
	if err != nil {
		sp.Close()
		return nil, err
	}
	return &Writer{
		opts:    opts,
		spool:   sp,
		log:     opts.Logger,
		m:       m,
		bufs:    sync.Pool{New: func() any { return new(encodeBuf) }},
		runDone: make(chan struct{}),
	}, nil
}

// Append stores events durably in the spool and returns; they reach the
// store later. It sets the ID of each event that has none (a random
// uint64) and the Time of each that has none (now), in the caller's slice,
// so the caller knows the ids it was answered for. A full spool gives an
// error that is ErrFull, and nothing of the call is kept.
func (w *Writer) Append(ctx context.Context, events ...aggregator.Event) error {
	if len(events) == 0 {
		return nil
	}
	b := w.bufs.Get().(*encodeBuf)
	defer w.bufs.Put(b)
	b.data, b.ends, b.recs = b.data[:0], b.ends[:0], b.recs[:0]
	var now time.Time
	for i := range events {
		e := &events[i]
		if len(e.PropKeys) != len(e.PropValues) {
			return fmt.Errorf("writer: append: an event has %d prop keys and %d values", len(e.PropKeys), len(e.PropValues))
		}
		for e.ID == 0 {
			e.ID = rand.Uint64()
		}
		if e.Time.IsZero() {
			if now.IsZero() {
				now = time.Now()
			}
			e.Time = now
		}
		b.data = appendEvent(b.data, e)
		b.ends = append(b.ends, len(b.data))
	}
	start := 0
	for _, end := range b.ends {
		b.recs = append(b.recs, b.data[start:end:end])
		start = end
	}
	err := w.spool.Append(ctx, b.recs...)
	if cap(b.data) > 1<<20 {
		b.data = nil // a rare huge call should not pin its buffer
	}
	clear(b.recs) // drop references into data
	if err != nil {
		return fmt.Errorf("writer: append: %w", err)
	}
	return nil
}

// Run flushes sealed batches into the store until ctx ends or Close is
// called, retrying while the store fails. It lets an insert that has begun
// finish (bounded by InsertTimeout) so that its outcome is known before
// anything is checked or retried. Call it once, on its own goroutine; it
// returns nil when stopped.
func (w *Writer) Run(ctx context.Context) error {
	w.mu.Lock()
	if w.closed || w.running {
		w.mu.Unlock()
		return errors.New("writer: Run called after Close or twice")
	}
	w.running = true
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w.stopRun = cancel
	w.mu.Unlock()
	defer close(w.runDone)

	w.m.reachable.Set(w.ping(ctx))
	for {
		if w.held == nil {
			seg, err := w.next(ctx)
			if err != nil {
				return nil // stopped
			}
			w.held = newBatch(seg)
		}
		if err := w.flush(ctx, w.held, true); err != nil {
			return nil // stopped; Close takes over the held batch
		}
		w.held = nil
	}
}

// next waits for a sealed batch, pinging the store while idle.
func (w *Writer) next(ctx context.Context) (spool.Segment, error) {
	for {
		wait, cancel := context.WithTimeout(ctx, w.opts.PingInterval)
		seg, err := w.spool.Next(wait)
		cancel()
		if err == nil || ctx.Err() != nil || errors.Is(err, spool.ErrClosed) {
			return seg, err
		}
		w.m.reachable.Set(w.ping(ctx))
	}
}

// ping reports 1 when the store answers within a few seconds, else 0.
func (w *Writer) ping(ctx context.Context) float64 {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if w.opts.Store.Ping(ctx) != nil {
		return 0
	}
	return 1
}

// Close stops Run, refuses further appends, seals what is pending and
// flushes every batch, retrying until ctx ends. Give it a fresh context
// with a timeout (at SIGTERM, not the one just cancelled). What cannot be
// flushed in time stays in the spool for the next start, and Close says
// how much.
func (w *Writer) Close(ctx context.Context) error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	running, stop := w.running, w.stopRun
	w.mu.Unlock()
	if running {
		stop()
		select {
		case <-w.runDone:
		case <-ctx.Done():
			// The flusher is inside an insert; the spool keeps everything.
			return fmt.Errorf("writer: close: the flusher did not stop in time: %w", ctx.Err())
		}
	}
	// From here Append returns ErrClosed, so the drain below is complete.
	var errs []error
	if err := w.spool.CloseAppends(); err != nil {
		errs = append(errs, fmt.Errorf("writer: close: %w", err))
	}
	if err := w.drain(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := w.spool.Close(); err != nil {
		errs = append(errs, fmt.Errorf("writer: close: %w", err))
	}
	return errors.Join(errs...)
}

// drain flushes the held batch and every queued one.
func (w *Writer) drain(ctx context.Context) error {
	for {
		if w.held == nil {
			seg, ok := w.spool.TryNext()
			if !ok {
				return nil
			}
			w.held = newBatch(seg)
		}
		if err := w.flush(ctx, w.held, false); err != nil {
			st := w.spool.Stats()
			w.log.Warn("writer: events left in the spool for the next start", "records", st.Records, "batches", st.Segments)
			return fmt.Errorf("writer: close: %d events stay in the spool: %w", st.Records, err)
		}
		w.held = nil
	}
}
