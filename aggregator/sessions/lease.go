package sessions

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/varde/varde/aggregator/store"
)

// LeaseName is the row of the leases table the sessionizer holds while it
// writes: two writers diffing against the same state would both write the
// same change, and the sums would count it twice.
const LeaseName = "sessionizer"

var (
	// ErrLeaseHeld means another node holds the lease.
	ErrLeaseHeld = errors.New("sessions: the sessionizer lease is held by another node")
	// ErrLeaseLost means this node no longer holds the lease it had (it could
	// not renew it in time, or another node took it): it stopped writing.
	ErrLeaseLost = errors.New("sessions: lease lost")
)

// lease is this node's view of the sessionizer lease.
//
// Protocol (leases is a ReplacingMergeTree: the newest version of a name is
// the holder, for every reader):
//   - Claim when there is no row, the newest row has expired, or it is ours
//     but we lost track of it: write a row with a higher version, wait
//     settle, read again. Whoever's row is newest then holds the lease; the
//     other backs off. Two racing claims write versions with the same
//     counter, told apart by a hash of the holder in the low bits, so every
//     node agrees on the winner.
//   - Renew every ttl/3 by writing a newer version, and read it back.
//   - Before every write, confirm: the newest row is still ours and our
//     expiry, less a guard of ttl/4 for clock skew between nodes, is ahead.
//     A node that could not renew for that long stops writing.
//   - Release on stop: a newest row that has already expired.
//
// Remaining risk: a write that starts right after its confirm can still be
// running when another node takes over. That needs either a claim that
// raced ours and lost the read-back only after our confirm, or our lease
// expiring in another node's eyes while we write (clock skew beyond the
// guard, or a stall of more than ttl/4 between confirm and write). The
// taker then waits settle before its first read. Each write is one insert
// that takes milliseconds, so with ttl 60 s (guard 15 s) and settle 2 s the
// window is a stall of seconds at exactly the wrong moment.
type lease struct {
	st     store.Store
	name   string
	holder string
	now    func() time.Time
	ttl    time.Duration
	settle time.Duration

	held    bool
	version uint64
	expires time.Time
	renewed time.Time
}

type leaseRow struct {
	holder  string
	expires time.Time
	version uint64
}

func (l *lease) read(ctx context.Context) (leaseRow, bool, error) {
	rows, err := l.st.Query(ctx, sqlReadLease, l.name, l.name)
	if err != nil {
		return leaseRow{}, false, fmt.Errorf("sessions: read lease: %w", err)
	}
	var (
		top   leaseRow
		found bool
	)
	for rows.Next() {
		var r leaseRow
		if err := rows.Scan(&r.holder, &r.expires, &r.version); err != nil {
			return leaseRow{}, false, fmt.Errorf("sessions: read lease: %w", err)
		}
		if !found || r.version > top.version || (r.version == top.version && r.holder > top.holder) {
			top, found = r, true
		}
	}
	return top, found, nil
}

func (l *lease) write(ctx context.Context, expires time.Time, version uint64) error {
	err := l.st.Insert(ctx, "leases", []string{"name", "holder", "expires", "version"},
		[][]any{{l.name, l.holder, expires.UTC(), version}})
	if err != nil {
		return fmt.Errorf("sessions: write lease: %w", err)
	}
	return nil
}

// holderBits are the low 20 bits of every version this holder writes.
func (l *lease) holderBits() uint64 {
	h := fnv.New32a()
	h.Write([]byte(l.holder))
	return uint64(h.Sum32()) & (1<<20 - 1)
}

func (l *lease) next(top uint64) uint64 {
	return ((top>>20)+1)<<20 | l.holderBits()
}

// valid reports whether this node may write now by its own clock.
func (l *lease) valid(now time.Time) bool {
	return l.held && now.Before(l.expires.Add(-l.ttl/4))
}

// ensure holds the lease if it can: it renews a held lease when due, or
// claims a free one. It reports whether this node holds the lease.
func (l *lease) ensure(ctx context.Context) (bool, error) {
	if l.valid(l.now()) {
		err := l.confirm(ctx)
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, ErrLeaseLost) {
			return false, err
		}
	}
	l.held = false
	return l.claim(ctx)
}

func (l *lease) claim(ctx context.Context) (bool, error) {
	top, ok, err := l.read(ctx)
	if err != nil {
		return false, err
	}
	now := l.now()
	if ok && top.holder != l.holder && now.Before(top.expires) {
		return false, nil
	}
	v := l.next(top.version)
	expires := now.Add(l.ttl)
	if err := l.write(ctx, expires, v); err != nil {
		return false, err
	}
	// Let a claim that raced ours land before deciding who won.
	t := time.NewTimer(l.settle)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false, fmt.Errorf("sessions: claim lease: %w", ctx.Err())
	case <-t.C:
	}
	top, ok, err = l.read(ctx)
	if err != nil {
		return false, err
	}
	if !ok || top.holder != l.holder || top.version != v {
		return false, nil
	}
	l.held, l.version, l.expires, l.renewed = true, v, expires, now
	return true, nil
}

func (l *lease) renewIfDue(ctx context.Context) error {
	now := l.now()
	if now.Sub(l.renewed) < l.ttl/3 {
		return nil
	}
	v := l.next(l.version)
	expires := now.Add(l.ttl)
	if err := l.write(ctx, expires, v); err != nil {
		return err
	}
	top, ok, err := l.read(ctx)
	if err != nil {
		return err
	}
	if !ok || top.holder != l.holder || top.version != v {
		l.held = false
		return ErrLeaseLost
	}
	l.version, l.expires, l.renewed = v, expires, now
	return nil
}

// confirm is called right before every write: it fails unless this node
// still holds the lease, in the table and by its clock.
func (l *lease) confirm(ctx context.Context) error {
	if !l.valid(l.now()) {
		l.held = false
		return ErrLeaseLost
	}
	if l.now().Sub(l.renewed) >= l.ttl/3 {
		return l.renewIfDue(ctx)
	}
	top, ok, err := l.read(ctx)
	if err != nil {
		return err
	}
	if !ok || top.holder != l.holder || top.version != l.version {
		l.held = false
		return ErrLeaseLost
	}
	return nil
}

// release gives the lease up, if this node holds it, by writing a newest
// row that has already expired.
func (l *lease) release(ctx context.Context) error {
	if !l.held {
		return nil
	}
	l.held = false
	top, ok, err := l.read(ctx)
	if err != nil {
		return err
	}
	if !ok || top.holder != l.holder || top.version != l.version {
		return nil
	}
	return l.write(ctx, time.Unix(0, 0), l.next(l.version))
}
