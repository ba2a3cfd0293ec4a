package aggregator

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sort"
	"sync/atomic"
	"time"

	"github.com/varde/varde/aggregator/store"
)

// SessionTimeout ends a visit after this long without events.
const SessionTimeout = 30 * time.Minute

// SaltGrace is how long after midnight UTC the previous day's salt is still
// used: its visits can continue for SessionTimeout after their last event,
// plus a margin for beacons in flight and clocks that differ a little.
const SaltGrace = SessionTimeout + 5*time.Minute

// saltLen is the size of a daily salt: 128 bits.
const saltLen = 16

// SaltKeeper owns the daily salts of the visitor hash. Salts are random,
// kept in the store so that every node hashes with the same one, created a
// day ahead (so that all nodes have tomorrow's salt before midnight),
// and deleted once no visit of their day can continue. After that, nobody,
// the operator included, can link a visitor across days.
type SaltKeeper struct {
	store store.Store
	log   *slog.Logger
	// salts maps a day (2006-01-02, UTC) to its salt, as last loaded.
	salts atomic.Pointer[map[string][]byte]
}

// NewSaltKeeper returns a keeper; call Maintain before the first For.
func NewSaltKeeper(s store.Store, log *slog.Logger) *SaltKeeper {
	k := &SaltKeeper{store: s, log: log}
	k.salts.Store(&map[string][]byte{})
	return k
}

func dayKey(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// For returns the salt of now's UTC day and, during the grace period after
// midnight, the previous day's salt (else nil). It never touches the
// store, so it is cheap enough for every request; ok is false when the
// day's salt has not been loaded.
func (k *SaltKeeper) For(now time.Time) (today, previous []byte, ok bool) {
	m := *k.salts.Load()
	today, ok = m[dayKey(now)]
	midnight := now.UTC().Truncate(24 * time.Hour)
	if now.Sub(midnight) < SaltGrace {
		previous = m[dayKey(midnight.Add(-time.Hour))]
	}
	return today, previous, ok
}

// Maintain makes sure today's and tomorrow's salts exist, deletes the
// salts no visit can use any more, and reloads what every node agrees on.
func (k *SaltKeeper) Maintain(ctx context.Context, now time.Time) error {
	now = now.UTC()
	midnight := now.Truncate(24 * time.Hour)
	stored, err := k.load(ctx)
	if err != nil {
		return err
	}
	var missing [][]any
	for _, day := range []time.Time{midnight, midnight.Add(24 * time.Hour)} {
		if _, ok := stored[dayKey(day)]; !ok {
			salt := make([]byte, saltLen)
			rand.Read(salt)
			missing = append(missing, []any{store.Date(day), hex.EncodeToString(salt), now})
		}
	}
	if len(missing) > 0 {
		if err := k.store.Insert(ctx, "salts", []string{"day", "salt", "created_at"}, missing); err != nil {
			return fmt.Errorf("aggregator: create salts: %w", err)
		}
	}
	// Yesterday's salt goes once its grace is over; anything older at once.
	keepFrom := midnight
	if now.Sub(midnight) < SaltGrace {
		keepFrom = midnight.Add(-24 * time.Hour)
	}
	for day := range stored {
		d, err := time.Parse(time.DateOnly, day)
		if err != nil || !d.Before(keepFrom) {
			continue
		}
		if err := k.store.Exec(ctx, "ALTER TABLE salts DROP PARTITION ?", day); err != nil {
			return fmt.Errorf("aggregator: delete salt of %s: %w", day, err)
		}
		k.log.Info("deleted the salt of a day that is over", "day", day)
	}
	if stored, err = k.load(ctx); err != nil {
		return err
	}
	k.salts.Store(&stored)
	return nil
}

// load reads the salts; of several stored for one day (two nodes creating
// it at once), the smallest is the day's salt for everyone.
func (k *SaltKeeper) load(ctx context.Context) (map[string][]byte, error) {
	rows, err := k.store.Query(ctx, "SELECT toString(day), min(salt) FROM salts GROUP BY day")
	if err != nil {
		return nil, fmt.Errorf("aggregator: load salts: %w", err)
	}
	m := map[string][]byte{}
	for rows.Next() {
		var day, salt string
		if err := rows.Scan(&day, &salt); err != nil {
			return nil, err
		}
		b, err := hex.DecodeString(salt)
		if err != nil || len(b) < saltLen {
			return nil, fmt.Errorf("aggregator: the salt of %s is damaged", day)
		}
		m[day] = b
	}
	return m, nil
}

// Days lists the days that have a salt, oldest first (for tests and the
// operator).
func (k *SaltKeeper) Days(ctx context.Context) ([]string, error) {
	m, err := k.load(ctx)
	if err != nil {
		return nil, err
	}
	days := make([]string, 0, len(m))
	for d := range m {
		days = append(days, d)
	}
	sort.Strings(days)
	return days, nil
}

// Run maintains the salts every interval until ctx ends.
func (k *SaltKeeper) Run(ctx context.Context, interval time.Duration, now func() time.Time) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := k.Maintain(ctx, now()); err != nil && ctx.Err() == nil {
				k.log.Warn("salt maintenance failed; will retry", "err", err)
			}
		}
	}
}
