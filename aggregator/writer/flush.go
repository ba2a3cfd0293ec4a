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
	rows   [][]any            // decoded on the first attempt
	events []aggregator.Event // the same, as events, for Options.Inserted
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
	if b.rows == nil {
		if err := w.load(b); err != nil {
			return 0, err
		}
	}
	rows := b.rows
	if b.uncertain && len(rows) > 0 {
		if err := w.waitInserts(ctx, b.seg.ID); err != nil {
			return 0, fmt.Errorf("writer: wait for earlier inserts of batch %d: %w", b.seg.ID, err)
		}
		stored, err := w.storedIDs(ctx, b)
		if err != nil {
			return 0, fmt.Errorf("writer: look up batch %d: %w", b.seg.ID, err)
		}
		if len(stored) > 0 {
			// Stored rows stay stored: drop them from the batch for good.
			rows = make([][]any, 0, len(b.rows)-min(len(stored), len(b.rows)))
			var events []aggregator.Event
			for i, r := range b.rows {
				if !stored[r[colEventID].(uint64)] {
					rows = append(rows, r)
					if b.events != nil {
						events = append(events, b.events[i])
					}
				}
			}
			b.already += len(b.rows) - len(rows)
			w.m.alreadyStored.Add(float64(len(b.rows) - len(rows)))
			b.rows, b.events = rows, events
		}
	}
	if len(rows) == 0 {
		return 0, nil
	}
	insertID := randomID()
	for _, r := range rows {
		r[colInsertID] = insertID
	}
	// From here the outcome may be unknown: a failed or timed-out insert
	// may still have stored some rows (an insert that spans partitions is
	// not atomic). Every later attempt looks them up first.
	b.uncertain = true
	// A server with insert deduplication for this table (replicated, or
	// non_replicated_deduplication_window on ClickHouse 22.2+) would take
	// the batch id here as insert_deduplication_token and drop a repeated
	// insert itself, though only of the very same rows; ClickHouse 18.16
	// and chDB's plain MergeTree have none, hence the look-up above.
	if err := w.register(ctx, insertID, rows); err != nil {
		return 0, err
	}
	ictx := withQueryID(ctx, insertQueryID(b.seg.ID, insertID))
	if err := w.opts.Store.Insert(ictx, "events", columns, rows); err != nil {
		return 0, fmt.Errorf("writer: insert batch %d: %w", b.seg.ID, err)
	}
	if w.opts.Inserted != nil {
		w.opts.Inserted(insertID, b.events)
	}
	return len(rows), nil
}

// register records an insert in raw_inserts before it runs, so that the
// sessionizer finds it without scanning raw events. An insert that then
// fails leaves a registration the sessionizer finds no (or some) rows for.
func (w *Writer) register(ctx context.Context, insertID uint64, rows [][]any) error {
	first, last := rows[0][colTime].(time.Time), rows[0][colTime].(time.Time)
	for _, r := range rows {
		t := r[colTime].(time.Time)
		if t.Before(first) {
			first = t
		}
		if t.After(last) {
			last = t
		}
	}
	err := w.opts.Store.Insert(ctx, "raw_inserts", []string{"insert_id", "rows", "first", "last", "time"},
		[][]any{{insertID, uint64(len(rows)), first, last, time.Now().UTC()}})
	if err != nil {
		return fmt.Errorf("writer: register insert %d: %w", insertID, err)
	}
	return nil
}

// load reads and decodes b's records into rows. Records this version cannot
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
	rows := make([][]any, 0, len(recs))
	var events []aggregator.Event
	if w.opts.Inserted != nil {
		events = make([]aggregator.Event, 0, len(recs))
	}
	bad := 0
	var e aggregator.Event
	for _, r := range recs {
		if err := decodeEvent(r, &e); err != nil {
			bad++
			continue
		}
		rows = append(rows, row(&e, b.seg.ID))
		if events != nil {
			events = append(events, e)
		}
	}
	b.events = events
	if bad > 0 {
		w.m.undecodable.Add(float64(bad))
		w.log.Error("writer: skipped undecodable records", "batch", b.seg.ID, "records", bad)
	}
	b.rows = rows
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
	first, last := b.rows[0][colTime].(time.Time), b.rows[0][colTime].(time.Time)
	for _, r := range b.rows {
		if site := r[colSite].(string); !seen[site] {
			seen[site] = true
			sites = append(sites, site)
		}
		t := r[colTime].(time.Time)
		if t.Before(first) {
			first = t
		}
		if t.After(last) {
			last = t
		}
	}
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
