package writer

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"time"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/spool"
	"github.com/varde/varde/aggregator/store"
)

// batch is a sealed spool segment on its way into the events table.
type batch struct {
	seg    spool.Segment
	events []aggregator.Event // decoded on the first attempt
	loaded bool
	// uncertain means some rows may be stored already: the segment was
	// replayed from an earlier run, or an attempt got as far as sending
	// them. Such a batch is inserted only after its stored ids are looked
	// up. A fresh batch's first attempt skips that (the fast path).
	uncertain bool
	already   int // rows found stored by an earlier attempt or run
}

func newBatch(seg spool.Segment) *batch {
	return &batch{seg: seg, uncertain: seg.Replayed}
}

// flush stores b and acknowledges it, retrying with capped exponential
// backoff until that succeeds or ctx ends. With detach, an attempt under
// way is not cancelled by ctx (only bounded by InsertTimeout), so that no
// insert is left running in the store when the next look-up is made.
func (w *Writer) flush(ctx context.Context, b *batch, detach bool) error {
	delay := w.opts.RetryMin
	for attempt := 1; ; attempt++ {
		actx := ctx
		if detach {
			actx = context.WithoutCancel(ctx)
		}
		actx, cancel := context.WithTimeout(actx, w.opts.InsertTimeout)
		start := time.Now()
		n, err := w.insertBatch(actx, b)
		if err == nil {
			err = w.spool.Ack(b.seg)
		}
		cancel()
		if err == nil {
			w.m.flushSeconds.Observe(time.Since(start).Seconds())
			w.m.rowsFlushed.Add(float64(n))
			w.m.reachable.Set(1)
			if attempt > 1 || b.seg.Replayed {
				w.log.Info("writer: stored batch", "batch", b.seg.ID, "rows", n,
					"already_stored", b.already, "attempts", attempt, "replayed", b.seg.Replayed)
			}
			return nil
		}
		w.m.insertErrors.Inc()
		if ctx.Err() == nil {
			w.m.reachable.Set(w.ping(ctx))
		}
		wait := jitter(delay)
		w.log.Warn("writer: batch not stored, will retry", "batch", b.seg.ID, "records", b.seg.Records,
			"attempt", attempt, "retry_in", wait.Round(time.Millisecond), "err", errText(err))
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		delay = min(2*delay, w.opts.RetryMax)
	}
}

// jitter spreads retries of several nodes over ±20 % of d.
func jitter(d time.Duration) time.Duration {
	return d - d/5 + rand.N(2*d/5+1)
}

// insertBatch inserts the rows of b that are not stored yet, under a fresh
// insert id, and returns how many it inserted.
func (w *Writer) insertBatch(ctx context.Context, b *batch) (int, error) {
	if !b.loaded {
		if err := w.load(b); err != nil {
			return 0, err
		}
	}
	if b.uncertain && len(b.events) > 0 {
		if err := w.waitInserts(ctx, b.seg.ID); err != nil {
			return 0, fmt.Errorf("writer: wait for earlier inserts of batch %d: %w", b.seg.ID, err)
		}
		stored, err := w.storedIDs(ctx, b)
		if err != nil {
			return 0, fmt.Errorf("writer: look up batch %d: %w", b.seg.ID, err)
		}
		if len(stored) > 0 {
			// Stored rows stay stored: drop them from the batch for good.
			// A new slice: the old one may have been handed to Inserted.
			left := make([]aggregator.Event, 0, len(b.events))
			for _, e := range b.events {
				if !stored[e.ID] {
					left = append(left, e)
				}
			}
			b.already += len(b.events) - len(left)
			w.m.alreadyStored.Add(float64(len(b.events) - len(left)))
			b.events = left
		}
	}
	if len(b.events) == 0 {
		return 0, nil
	}
	rows := eventRows{events: b.events, batchID: b.seg.ID, insertID: randomID()}
	// From here the outcome may be unknown: a failed or timed-out insert
	// may still have stored some rows (an insert that spans partitions is
	// not atomic). Every later attempt looks them up first.
	b.uncertain = true
	// A server with insert deduplication for this table (replicated, or
	// non_replicated_deduplication_window on ClickHouse 22.2+) would take
	// the batch id here as insert_deduplication_token and drop a repeated
	// insert itself, though only of the very same rows; ClickHouse 18.16
	// and chDB's plain MergeTree have none, hence the look-up above.
	if err := w.register(ctx, rows.insertID, b.events); err != nil {
		return 0, err
	}
	ictx := withQueryID(ctx, insertQueryID(b.seg.ID, rows.insertID))
	if err := w.opts.Store.InsertRows(ictx, "events", columns, rows); err != nil {
		return 0, fmt.Errorf("writer: insert batch %d: %w", b.seg.ID, err)
	}
	if w.opts.Inserted != nil {
		w.opts.Inserted(rows.insertID, b.events)
	}
	return len(b.events), nil
}

// register records an insert in raw_inserts before it runs, so that the
// sessionizer finds it without scanning raw events. An insert that then
// fails leaves a registration the sessionizer finds no (or some) rows for.
func (w *Writer) register(ctx context.Context, insertID uint64, events []aggregator.Event) error {
	first, last := timeSpan(events)
	err := w.opts.Store.Insert(ctx, "raw_inserts", []string{"insert_id", "rows", "first", "last", "time"},
		[][]any{{insertID, uint64(len(events)), first, last, time.Now().UTC()}})
	if err != nil {
		return fmt.Errorf("writer: register insert %d: %w", insertID, err)
	}
	return nil
}

// timeSpan is the first and the last time of events (not empty), in UTC.
func timeSpan(events []aggregator.Event) (first, last time.Time) {
	first, last = events[0].Time, events[0].Time
	for _, e := range events[1:] {
		if e.Time.Before(first) {
			first = e.Time
		}
		if e.Time.After(last) {
			last = e.Time
		}
	}
	return first.UTC(), last.UTC()
}

// load reads and decodes b's records into events. Records this version cannot
// decode are counted and skipped: retrying cannot make them readable.
func (w *Writer) load(b *batch) error {
	recs, err := w.spool.Read(b.seg)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			// Gone from disk (by hand?): nothing left to store.
			w.log.Error("writer: batch file is missing", "batch", b.seg.ID, "records", b.seg.Records)
		} else if len(recs) == 0 {
			return fmt.Errorf("writer: %w", err)
		} else {
			// Damaged after it was written: store what can be read.
			w.log.Error("writer: batch damaged on disk", "batch", b.seg.ID, "readable", len(recs), "records", b.seg.Records)
		}
	}
	events := make([]aggregator.Event, 0, len(recs))
	bad := 0
	var e aggregator.Event
	for _, r := range recs {
		if err := decodeEvent(r, &e); err != nil {
			bad++
			continue
		}
		events = append(events, e)
	}
	b.events, b.loaded = events, true
	if bad > 0 {
		w.m.undecodable.Add(float64(bad))
		w.log.Error("writer: skipped undecodable records", "batch", b.seg.ID, "records", bad)
	}
	return nil
}

// storedIDsQuery finds what an earlier attempt stored of a batch. The site
// and time bounds confine it to the batch's (site, day) partitions and to a
// range of the primary key (site, time, ...).
const storedIDsQuery = `SELECT event_id FROM events
WHERE site IN ? AND time >= ? AND time <= ? AND batch_id = ?`

func (w *Writer) storedIDs(ctx context.Context, b *batch) (map[uint64]bool, error) {
	seen := map[string]bool{}
	var sites store.In
	for _, e := range b.events {
		if !seen[e.Site] {
			seen[e.Site] = true
			sites = append(sites, e.Site)
		}
	}
	first, last := timeSpan(b.events)
	res, err := w.opts.Store.Query(ctx, storedIDsQuery, sites, first.Truncate(time.Second), last, b.seg.ID)
	if err != nil {
		return nil, err
	}
	stored := make(map[uint64]bool, res.Len())
	for res.Next() {
		var id uint64
		if err := res.Scan(&id); err != nil {
			return nil, err
		}
		stored[id] = true
	}
	return stored, nil
}

// randomID is a random non-zero uint64.
func randomID() uint64 {
	for {
		if id := rand.Uint64(); id != 0 {
			return id
		}
	}
}

// errText is an error for the log, cut short: ClickHouse may quote a piece
// of the offending input in an error, and event contents stay out of logs.
func errText(err error) string {
	const max = 200
	s := err.Error()
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}
