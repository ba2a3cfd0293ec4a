package access

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/varde/varde/aggregator/store"
	"github.com/varde/varde/dashboard/auth"
)

// Lockout is the rule of the sign-in lockout: Failures failed attempts
// within Window lock the account (or client) for Duration.
type Lockout struct {
	Failures int
	Window   time.Duration
	Duration time.Duration
}

// DefaultLockout locks after 5 failures within 15 minutes, for 15 minutes.
var DefaultLockout = Lockout{Failures: 5, Window: 15 * time.Minute, Duration: 15 * time.Minute}

// LockedUntil replays attempts, oldest first, and returns the end of the
// latest lockout they caused (zero when none). A success forgets earlier
// failures; the attempts made while locked are never recorded, so a
// lockout ends on time whatever an attacker keeps sending.
func (l Lockout) LockedUntil(attempts []Attempt) time.Time {
	var streak []time.Time
	var until time.Time
	for _, a := range attempts {
		if a.OK {
			streak = streak[:0]
			continue
		}
		keep := streak[:0]
		for _, t := range streak {
			if a.Time.Sub(t) < l.Window {
				keep = append(keep, t)
			}
		}
		streak = append(keep, a.Time)
		if len(streak) >= l.Failures {
			until = a.Time.Add(l.Duration)
			streak = streak[:0]
		}
	}
	return until
}

// Attempt is one sign-in attempt.
type Attempt struct {
	Time time.Time
	OK   bool
}

// Attempts is the store of sign-in attempts per account, shared by every
// node so that the lockout holds however requests are spread. Accounts
// are kept as a hash of the email tried; nothing about the client is kept.
type Attempts struct{ Store store.Store }

func accountKey(email string) string {
	return auth.HashSecret(strings.ToLower(strings.TrimSpace(email)))
}

// Record stores an attempt at email.
func (r Attempts) Record(ctx context.Context, email string, ok bool, now time.Time) error {
	err := r.Store.Insert(ctx, "dashboard_login_attempts", []string{"account", "time", "ok"},
		[][]any{{accountKey(email), now.UTC(), ok}})
	if err != nil {
		return fmt.Errorf("access: sign-in attempt: %w", err)
	}
	return nil
}

// Since returns the attempts at email from since on, oldest first.
func (r Attempts) Since(ctx context.Context, email string, since time.Time) ([]Attempt, error) {
	rows, err := r.Store.Query(ctx,
		"SELECT time, ok FROM dashboard_login_attempts WHERE account = ? AND time >= ? ORDER BY time LIMIT 1000",
		accountKey(email), since.UTC())
	if err != nil {
		return nil, fmt.Errorf("access: sign-in attempts: %w", err)
	}
	out := make([]Attempt, 0, rows.Len())
	for rows.Next() {
		var a Attempt
		if err := rows.Scan(&a.Time, &a.OK); err != nil {
			return nil, fmt.Errorf("access: sign-in attempts: %w", err)
		}
		out = append(out, a)
	}
	return out, nil
}

// LockedUntil is when the account's lockout ends, or zero when it is not
// locked at now.
func (r Attempts) LockedUntil(ctx context.Context, l Lockout, email string, now time.Time) (time.Time, error) {
	// Only attempts that can still matter: a lockout started at most
	// Duration ago, by failures at most Window before that.
	attempts, err := r.Since(ctx, email, now.Add(-l.Window-l.Duration))
	if err != nil {
		return time.Time{}, err
	}
	if until := l.LockedUntil(attempts); until.After(now) {
		return until, nil
	}
	return time.Time{}, nil
}
