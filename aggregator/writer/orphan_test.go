package writer

import (
	"testing"
	"time"

	"github.com/varde/varde/internal/testenv"
)

// TestOrphanInsert: an insert of a batch still runs on the server when the
// batch is replayed (its client was killed after sending every row). The
// replay must wait for it to end before it looks up what is stored, or the
// rows are stored twice. The orphan is played by a slow INSERT ... SELECT
// under the query id the writer gives inserts of that batch.
func TestOrphanInsert(t *testing.T) {
	s := testenv.ServerStore(t)
	ctx := timeout(t, time.Minute)
	if err := createEvents(ctx, s); err != nil {
		t.Fatal(err)
	}
	dir, site := t.TempDir(), "orphan.example"
	acked, b := stage(t, ctx, s, dir, site, 0)

	orphan := make(chan error, 1)
	go func() {
		octx := withQueryID(ctx, insertQueryID(b.seg.ID, 1))
		orphan <- s.Exec(octx, `INSERT INTO events (site, time, event_id, batch_id)
			SELECT ?, ?, id, ? FROM (SELECT arrayJoin(?) AS id) WHERE sleepEachRow(0.05) = 0`,
			site, b.events[0].Time.UTC(), b.seg.ID, acked)
	}()
	for {
		if err := ctx.Err(); err != nil {
			t.Fatal("the orphan insert never showed in system.processes")
		}
		res, err := s.Query(ctx, runningInsertsQuery, insertQueryID(b.seg.ID, 1))
		if err != nil {
			t.Fatal(err)
		}
		var n int
		res.Next()
		res.Scan(&n)
		if n > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}

	w := newWriter(t, Options{Store: s, Dir: dir})
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-orphan; err != nil {
		t.Fatalf("orphan insert: %v", err)
	}
	checkExactlyOnce(t, s, site, acked)
	if got := w.metric(t, "varde_writer_rows_already_stored_total"); got != float64(len(acked)) {
		t.Errorf("rows found already stored: got %v, want all %d, stored by the orphan", got, len(acked))
	}
}
