package aggregator

import (
	"context"
	"fmt"

	"github.com/varde/varde/consent"
)

// ConsentBatcher stores consent records in group commits: the records of
// all the choices that arrive while one insert runs go into the next
// insert together, and each visitor is answered when the insert holding
// their record has returned. A burst of first visits then costs a few
// inserts instead of one each (ClickHouse wants few, large inserts), and
// every record is still stored before its token leaves.
type ConsentBatcher struct {
	ConsentRecords
	queue chan pendingRecord
}

type pendingRecord struct {
	rec  consent.Record
	done chan error
}

// maxConsentBatch bounds one insert.
const maxConsentBatch = 1000

// NewConsentBatcher returns a batcher over records; Run must be running.
func NewConsentBatcher(records ConsentRecords) *ConsentBatcher {
	return &ConsentBatcher{ConsentRecords: records, queue: make(chan pendingRecord, maxConsentBatch)}
}

// Put queues the record for the next insert and waits until it is stored.
func (b *ConsentBatcher) Put(ctx context.Context, rec consent.Record) error {
	p := pendingRecord{rec: rec, done: make(chan error, 1)}
	select {
	case b.queue <- p:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		// The record may still be stored; without a token the visitor
		// chooses again, which records a new consent.
		return ctx.Err()
	}
}

// Run inserts queued records until ctx ends, then answers what is left
// with an error.
func (b *ConsentBatcher) Run(ctx context.Context) {
	for {
		var batch []pendingRecord
		select {
		case <-ctx.Done():
			b.drain(fmt.Errorf("aggregator: shutting down"))
			return
		case p := <-b.queue:
			batch = append(batch, p)
		}
	more:
		for len(batch) < maxConsentBatch {
			select {
			case p := <-b.queue:
				batch = append(batch, p)
			default:
				break more
			}
		}
		err := b.insert(ctx, batch)
		for _, p := range batch {
			p.done <- err
		}
	}
}

func (b *ConsentBatcher) drain(err error) {
	for {
		select {
		case p := <-b.queue:
			p.done <- err
		default:
			return
		}
	}
}

func (b *ConsentBatcher) insert(ctx context.Context, batch []pendingRecord) error {
	rows := make([][]any, len(batch))
	for i, p := range batch {
		rows[i] = consentRow(p.rec)
	}
	if err := b.Store.Insert(ctx, "consent_records", consentColumnList, rows); err != nil {
		return fmt.Errorf("aggregator: store consent records: %w", err)
	}
	return nil
}
