package writer

import (
	"context"
	"fmt"
	"time"

	"github.com/varde/varde/aggregator/store"
)

// An insert whose client gave up (a timeout, or a process killed after it
// had sent all the rows) can still be running on the server, and commit
// after the next attempt has looked up what is stored: the look-up would
// miss its rows and they would be inserted twice. So each insert carries a
// query id naming its batch, and before a batch is looked up, the writer
// waits until no insert of that batch runs on the server. The server lists
// an insert in system.processes from its first packet, before the client
// can send any row, until it has committed.
//
// The embedded engine dies with its process, so no other process can have
// an insert running in it, and its store sets no query ids: there the wait
// finds nothing. (It cannot see an insert of this process's own that timed
// out and runs on inside the engine; see InsertTimeout.)

// insertQueryID names an insert of a batch.
func insertQueryID(batchID, insertID uint64) string {
	return fmt.Sprintf("varde-writer-%d-%d", batchID, insertID)
}

// withQueryID gives the insert its query id on a server; the embedded store
// ignores it.
func withQueryID(ctx context.Context, id string) context.Context {
	return store.WithQueryID(ctx, id)
}

const runningInsertsQuery = `SELECT count() FROM system.processes WHERE query_id LIKE ?`

// waitInserts waits until no insert of the batch runs on the server.
func (w *Writer) waitInserts(ctx context.Context, batchID uint64) error {
	pattern := fmt.Sprintf("varde-writer-%d-%%", batchID)
	for waited := time.Duration(0); ; waited += 100 * time.Millisecond {
		res, err := w.opts.Store.Query(ctx, runningInsertsQuery, pattern)
		if err != nil {
			return err
		}
		var n int
		if res.Next() {
			if err := res.Scan(&n); err != nil {
				return err
			}
		}
		if n == 0 {
			if waited > 0 {
				w.log.Info("writer: waited for an earlier insert of a batch to end", "batch", batchID, "waited", waited)
			}
			return nil
		}
		t := time.NewTimer(100 * time.Millisecond)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}
