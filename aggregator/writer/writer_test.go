package writer

import (
	"context"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/store"
	"github.com/varde/varde/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func timeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// createEvents brings the store's schema up to date: the events table and
// the raw_inserts register the writer writes to.
func createEvents(ctx context.Context, s store.Store) error {
	_, err := aggregator.Migrate(ctx, s, slog.New(slog.DiscardHandler))
	return err
}

// testWriter is a writer with its own metrics registry, closed at the end
// of the test.
type testWriter struct {
	*Writer
	reg *prometheus.Registry
}

func newWriter(t *testing.T, opts Options) testWriter {
	t.Helper()
	reg := prometheus.NewRegistry()
	opts.Registerer = reg
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	w, err := New(opts)
	if err != nil {
		t.Fatalf("new writer: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		w.Close(ctx)
	})
	return testWriter{w, reg}
}

// run starts the flusher; it is stopped by Close.
func (w testWriter) run() { go w.Run(context.Background()) }

// metric reads a counter's or gauge's value.
func (w testWriter) metric(t *testing.T, name string) float64 {
	t.Helper()
	mfs, err := w.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		m := mf.GetMetric()[0]
		switch mf.GetType() {
		case dto.MetricType_COUNTER:
			return m.GetCounter().GetValue()
		case dto.MetricType_GAUGE:
			return m.GetGauge().GetValue()
		case dto.MetricType_HISTOGRAM:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// newEvents are n events of a site, without ids (Append assigns them).
func newEvents(site string, n int) []aggregator.Event {
	evs := make([]aggregator.Event, n)
	for i := range evs {
		e := fullEvent(i)
		e.Site, e.ID = site, 0
		e.Time = time.Now().UTC()
		evs[i] = e
	}
	return evs
}

// appendIDs appends events and returns the ids they were given.
func appendIDs(ctx context.Context, w *Writer, evs []aggregator.Event) ([]uint64, error) {
	if err := w.Append(ctx, evs...); err != nil {
		return nil, err
	}
	ids := make([]uint64, len(evs))
	for i, e := range evs {
		ids[i] = e.ID
	}
	return ids, nil
}

// storedIDs reads the ids a site has in the events table, with the count
// and distinct count of its rows.
func storedIDs(ctx context.Context, s store.Store, site string) (count, uniq uint64, ids map[uint64]bool, err error) {
	res, err := s.Query(ctx, "SELECT count(), uniqExact(event_id) FROM events WHERE site = ?", site)
	if err != nil {
		return 0, 0, nil, err
	}
	res.Next()
	if err := res.Scan(&count, &uniq); err != nil {
		return 0, 0, nil, err
	}
	res, err = s.Query(ctx, "SELECT event_id FROM events WHERE site = ?", site)
	if err != nil {
		return 0, 0, nil, err
	}
	ids = make(map[uint64]bool, res.Len())
	for res.Next() {
		var id uint64
		if err := res.Scan(&id); err != nil {
			return 0, 0, nil, err
		}
		ids[id] = true
	}
	return count, uniq, ids, nil
}

// checkExactlyOnce holds that the site's stored events are the acknowledged
// ones, each stored once.
func checkExactlyOnce(t *testing.T, s store.Store, site string, acked []uint64) {
	t.Helper()
	count, uniq, ids, err := storedIDs(timeout(t, time.Minute), s, site)
	if err != nil {
		t.Fatal(err)
	}
	compareIDs(t, count, uniq, ids, acked, nil)
}

// compareIDs holds that each stored id is stored once, that every
// acknowledged id is stored, and that nothing else is, except ids that
// were tried (appended without an answer) when tried is not nil.
func compareIDs(t *testing.T, count, uniq uint64, stored map[uint64]bool, acked []uint64, tried map[uint64]bool) {
	t.Helper()
	if count != uniq {
		t.Errorf("stored %d rows with %d distinct event ids: %d duplicates", count, uniq, count-uniq)
	}
	ackedSet := make(map[uint64]bool, len(acked))
	missing := 0
	for _, id := range acked {
		ackedSet[id] = true
		if !stored[id] {
			missing++
		}
	}
	if len(ackedSet) != len(acked) {
		t.Errorf("test bug: %d acknowledged ids, %d distinct", len(acked), len(ackedSet))
	}
	extra, unanswered := 0, 0
	for id := range stored {
		switch {
		case ackedSet[id]:
		case tried[id]:
			unanswered++
		default:
			extra++
		}
	}
	if missing > 0 || extra > 0 {
		t.Errorf("stored %d events: %d acknowledged ones missing, %d never appended; want all %d acknowledged, each once",
			len(stored), missing, extra, len(acked))
	}
	t.Logf("stored %d events once each: %d acknowledged, %d appended without an answer", len(stored), len(acked), unanswered)
}

// TestStoreEveryColumn writes events and reads back every column.
func TestStoreEveryColumn(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, s store.Store) {
		ctx := timeout(t, time.Minute)
		if err := createEvents(ctx, s); err != nil {
			t.Fatal(err)
		}
		w := newWriter(t, Options{Store: s, Dir: t.TempDir()})
		a, b := fullEvent(1), fullEvent(999)
		b.PropKeys, b.PropValues = nil, nil
		b.Time = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) // another partition
		c := aggregator.Event{Site: "other.example", Name: "signup"}
		events := []aggregator.Event{a, b, c}
		if err := w.Append(ctx, events...); err != nil {
			t.Fatal(err)
		}
		if events[2].ID == 0 || events[2].Time.IsZero() {
			t.Fatalf("Append did not give the event an id and a time: %+v", events[2])
		}
		if err := w.Close(ctx); err != nil {
			t.Fatal(err)
		}
		res, err := s.Query(ctx, "SELECT "+strings.Join(columns, ", ")+" FROM events ORDER BY event_id")
		if err != nil {
			t.Fatal(err)
		}
		if res.Len() != len(events) {
			t.Fatalf("got %d rows, want %d", res.Len(), len(events))
		}
		byID := map[uint64]*aggregator.Event{}
		for i := range events {
			byID[events[i].ID] = &events[i]
		}
		var batchID, insertID uint64
		for _, got := range res.Values {
			e := byID[got[colEventID].(uint64)]
			if e == nil {
				t.Fatalf("stored an event id that was not appended: %v", got[colEventID])
			}
			if batchID == 0 {
				batchID, insertID = got[4].(uint64), got[colInsertID].(uint64)
			}
			if got[4] != batchID || got[colInsertID] != insertID || batchID == 0 || insertID == 0 {
				t.Errorf("batch_id, insert_id: got %v, %v, want one non-zero pair for the one batch", got[4], got[colInsertID])
			}
			want := row(e, batchID)
			want[colInsertID] = insertID
			for i, col := range columns {
				if w := normalize(want[i]); !reflect.DeepEqual(got[i], w) {
					t.Errorf("event %d, %s: got %#v, want %#v", e.ID, col, got[i], w)
				}
			}
		}
	})
}

// normalize turns a value as written into the value as read back.
func normalize(v any) any {
	switch v := v.(type) {
	case uint16:
		return uint64(v)
	case time.Time:
		return v.Truncate(time.Second)
	case []string:
		out := make([]any, len(v))
		for i, s := range v {
			out[i] = s
		}
		return out
	}
	return v
}

// TestRunFlushes: the flusher stores batches of FlushRows as they fill,
// and the rest after FlushInterval, without waiting for Close.
func TestRunFlushes(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, s store.Store) {
		ctx := timeout(t, time.Minute)
		if err := createEvents(ctx, s); err != nil {
			t.Fatal(err)
		}
		w := newWriter(t, Options{Store: s, Dir: t.TempDir(), FlushRows: 100, FlushInterval: 300 * time.Millisecond})
		w.run()
		var (
			mu    sync.Mutex
			acked []uint64
			wg    sync.WaitGroup
		)
		for range 5 {
			wg.Go(func() {
				for range 10 {
					ids, err := appendIDs(ctx, w.Writer, newEvents("run.example", 5))
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					acked = append(acked, ids...)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		for w.metric(t, "varde_writer_rows_flushed_total") < 250 {
			if ctx.Err() != nil {
				t.Fatalf("flushed %v of 250 rows within a minute", w.metric(t, "varde_writer_rows_flushed_total"))
			}
			time.Sleep(20 * time.Millisecond)
		}
		res, err := s.Query(ctx, "SELECT batch_id, count() AS n FROM events GROUP BY batch_id ORDER BY batch_id")
		if err != nil {
			t.Fatal(err)
		}
		var sizes []int
		for res.Next() {
			var id uint64
			var n int
			res.Scan(&id, &n)
			sizes = append(sizes, n)
		}
		for i, n := range sizes[:len(sizes)-1] {
			if n < 100 {
				t.Errorf("batch %d of %v has %d rows, want at least FlushRows (100)", i, sizes, n)
			}
		}
		checkExactlyOnce(t, s, "run.example", acked)
		for name, want := range map[string]float64{
			"varde_spool_records":                 0,
			"varde_spool_segments":                0,
			"varde_store_reachable":               1,
			"varde_writer_insert_errors_total":    0,
			"varde_writer_flush_duration_seconds": float64(len(sizes)),
		} {
			if got := w.metric(t, name); got != want {
				t.Errorf("%s: got %v, want %v", name, got, want)
			}
		}
	})
}

// stage appends 40 events, takes their sealed batch and stores as many of
// its rows as asked without acknowledging it, then abandons the writer as a
// crash would. It returns the acknowledged ids and the batch.
func stage(t *testing.T, ctx context.Context, s store.Store, dir, site string, storeRows int) ([]uint64, *batch) {
	t.Helper()
	w := newWriter(t, Options{Store: s, Dir: dir})
	ids, err := appendIDs(ctx, w.Writer, newEvents(site, 40))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.spool.Seal(); err != nil {
		t.Fatal(err)
	}
	seg, ok := w.spool.TryNext()
	if !ok {
		t.Fatal("no sealed batch")
	}
	b := newBatch(seg)
	if err := w.load(b); err != nil {
		t.Fatal(err)
	}
	if storeRows > 0 {
		stored := *b
		stored.events = b.events[:storeRows]
		if n, err := w.insertBatch(ctx, &stored); err != nil || n != storeRows {
			t.Fatalf("insert: got %d, %v, want %d rows stored", n, err, storeRows)
		}
	}
	w.spool.Close() // no acknowledgement
	return ids, b
}

// insertThenFail stores a batch and then fails, like a connection lost
// before the server's answer: the worst case for a retry.
type insertThenFail struct {
	store.Store
	fails int
}

func (s *insertThenFail) Insert(ctx context.Context, table string, columns []string, rows [][]any) error {
	return s.then(table, s.Store.Insert(ctx, table, columns, rows))
}

func (s *insertThenFail) InsertRows(ctx context.Context, table string, columns []string, rows store.RowSource) error {
	return s.then(table, s.Store.InsertRows(ctx, table, columns, rows))
}

func (s *insertThenFail) then(table string, err error) error {
	if err != nil {
		return err
	}
	if s.fails > 0 && table == "events" {
		s.fails--
		return errors.New("connection reset by peer (played by the test)")
	}
	return nil
}

// TestRetryDoesNotDoubleCount: a batch whose insert outcome was unknown,
// retried in the same process or replayed by the next, is stored once.
func TestRetryDoesNotDoubleCount(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, s store.Store) {
		ctx := timeout(t, time.Minute)
		if err := createEvents(ctx, s); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name   string
			stored int
		}{
			{"stored but not acknowledged", 40},
			{"partly stored", 15},
		} {
			t.Run(c.name, func(t *testing.T) {
				dir, site := t.TempDir(), testenv.UniqueName("replay")+".example"
				acked, _ := stage(t, ctx, s, dir, site, c.stored)
				w := newWriter(t, Options{Store: s, Dir: dir})
				if err := w.Close(ctx); err != nil {
					t.Fatal(err)
				}
				checkExactlyOnce(t, s, site, acked)
				if got := w.metric(t, "varde_writer_rows_already_stored_total"); got != float64(c.stored) {
					t.Errorf("rows found already stored: got %v, want %d", got, c.stored)
				}
				if got := w.metric(t, "varde_writer_rows_flushed_total"); got != float64(40-c.stored) {
					t.Errorf("rows flushed: got %v, want %d", got, 40-c.stored)
				}
			})
		}
		t.Run("insert stored then failed", func(t *testing.T) {
			site := testenv.UniqueName("retry") + ".example"
			w := newWriter(t, Options{Store: &insertThenFail{Store: s, fails: 1}, Dir: t.TempDir(), RetryMin: 10 * time.Millisecond})
			w.run()
			acked, err := appendIDs(ctx, w.Writer, newEvents(site, 30))
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Close(ctx); err != nil {
				t.Fatal(err)
			}
			checkExactlyOnce(t, s, site, acked)
			for name, want := range map[string]float64{
				"varde_writer_insert_errors_total":       1,
				"varde_writer_rows_already_stored_total": 30,
				"varde_writer_rows_flushed_total":        0,
			} {
				if got := w.metric(t, name); got != want {
					t.Errorf("%s: got %v, want %v", name, got, want)
				}
			}
		})
	})
}

// TestSpoolFull: past the spool's limit Append returns ErrFull and keeps
// nothing; once the store has caught up, appends succeed again, and every
// acknowledged event is stored once.
func TestSpoolFull(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, s store.Store) {
		ctx := timeout(t, time.Minute)
		if err := createEvents(ctx, s); err != nil {
			t.Fatal(err)
		}
		site := "full.example"
		w := newWriter(t, Options{Store: s, Dir: t.TempDir(), SpoolBytes: 16 << 10, FlushInterval: 50 * time.Millisecond})
		var acked []uint64
		full := 0
		for i := 0; full < 3; i++ {
			if i > 1000 {
				t.Fatal("a 16 KiB spool took 1000 appends without filling up")
			}
			ids, err := appendIDs(ctx, w.Writer, newEvents(site, 2))
			switch {
			case errors.Is(err, ErrFull):
				full++
			case err != nil:
				t.Fatal(err)
			case full > 0:
				t.Fatal("an append succeeded after ErrFull with nothing flushed")
			default:
				acked = append(acked, ids...)
			}
		}
		t.Logf("spool full after %d events", len(acked))
		w.run()
		deadline := time.Now().Add(30 * time.Second)
		for {
			ids, err := appendIDs(ctx, w.Writer, newEvents(site, 2))
			if err == nil {
				acked = append(acked, ids...)
				break
			}
			if !errors.Is(err, ErrFull) || time.Now().After(deadline) {
				t.Fatalf("append once the flusher runs: %v", err)
			}
			time.Sleep(10 * time.Millisecond)
		}
		for range 20 {
			ids, err := appendIDs(ctx, w.Writer, newEvents(site, 2))
			if err != nil {
				t.Fatal(err)
			}
			acked = append(acked, ids...)
		}
		if err := w.Close(ctx); err != nil {
			t.Fatal(err)
		}
		checkExactlyOnce(t, s, site, acked)
	})
}

func TestOptions(t *testing.T) {
	for _, c := range []struct {
		name string
		opts Options
		want string
	}{
		{"no store", Options{Dir: "x"}, "no store"},
		{"no dir", Options{Store: discardStore{}}, "no spool directory"},
	} {
		if _, err := New(c.opts); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error saying %q", c.name, err, c.want)
		}
	}
	w := newWriter(t, Options{Store: discardStore{}, Dir: t.TempDir()})
	if err := w.Append(context.Background(), aggregator.Event{PropKeys: []string{"a"}}); err == nil {
		t.Error("props with a key and no value: got no error, want one")
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := w.Append(context.Background(), aggregator.Event{}); !errors.Is(err, ErrClosed) {
		t.Errorf("append after close: got %v, want ErrClosed", err)
	}
	if err := w.Run(context.Background()); err == nil {
		t.Error("run after close: got no error, want one")
	}
}

// discardStore accepts everything and stores nothing, for benchmarks and
// checks that need no ClickHouse.
type discardStore struct{}

func (discardStore) Exec(context.Context, string, ...any) error { return nil }
func (discardStore) Query(context.Context, string, ...any) (*store.Rows, error) {
	return &store.Rows{}, nil
}
func (discardStore) Insert(context.Context, string, []string, [][]any) error { return nil }

// InsertRows makes every row, as a store would, and keeps none.
func (discardStore) InsertRows(_ context.Context, _ string, columns []string, rows store.RowSource) error {
	dst := make([]any, len(columns))
	for i := range rows.Len() {
		rows.Row(i, dst)
	}
	return nil
}
func (discardStore) Ping(context.Context) error { return nil }
func (discardStore) Backend() string            { return "discard" }
func (discardStore) Close() error               { return nil }

// TestInsertedHandsOverAndRegisters: every insert is registered in
// raw_inserts before it runs, and heard by Options.Inserted with its events.
func TestInsertedHandsOverAndRegisters(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, s store.Store) {
		ctx := timeout(t, time.Minute)
		if err := createEvents(ctx, s); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		heard := map[uint64]int{}
		w := newWriter(t, Options{Store: s, Dir: t.TempDir(), FlushRows: 10, Inserted: func(id uint64, evs []aggregator.Event) {
			mu.Lock()
			heard[id] += len(evs)
			mu.Unlock()
		}})
		w.run()
		site := testenv.UniqueName("handover") + ".example"
		if _, err := appendIDs(ctx, w.Writer, newEvents(site, 35)); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(ctx); err != nil {
			t.Fatal(err)
		}
		rows, err := s.Query(ctx, "SELECT insert_id, rows FROM raw_inserts")
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for rows.Next() {
			var id uint64
			var n int
			rows.Scan(&id, &n)
			if heard[id] != n {
				t.Errorf("insert %d: registered %d rows, heard %d", id, n, heard[id])
			}
			total += n
		}
		if total != 35 || len(heard) != rows.Len() {
			t.Errorf("registered %d rows in %d inserts, heard %d inserts; want 35 rows, every insert heard", total, rows.Len(), len(heard))
		}
	})
}

// Where the tests read a row's values.
const (
	colEventID  = 3
	colInsertID = 5
)

// row is e as a row of the events table, with insert_id 0.
func row(e *aggregator.Event, batchID uint64) []any {
	dst := make([]any, len(columns))
	eventRows{events: []aggregator.Event{*e}, batchID: batchID}.Row(0, dst)
	return dst
}
