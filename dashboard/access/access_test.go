package access

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/store"
	"github.com/varde/varde/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func migrated(t *testing.T, s store.Store) {
	t.Helper()
	if _, err := aggregator.Migrate(context.Background(), s, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatalf("migrate: %v", err)
	}
}

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func TestSessions(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, st store.Store) {
		migrated(t, st)
		ctx := context.Background()
		r := Sessions{Store: st}
		secret, s, err := r.Create(ctx, "Ada@Example.com", t0, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if s.ID == secret || len(secret) < 40 || s.CSRF == "" {
			t.Fatalf("got id %q secret %q csrf %q, want a hashed id, a long secret and a token", s.ID, secret, s.CSRF)
		}
		got, err := r.Get(ctx, secret, t0.Add(time.Minute))
		if err != nil || got.Email != "ada@example.com" || got.CSRF != s.CSRF {
			t.Fatalf("Get: got %+v, %v; want the session of ada@example.com", got, err)
		}
		if _, err := r.Get(ctx, secret, t0.Add(time.Hour)); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get after expiry: got %v, want ErrNotFound", err)
		}
		if _, err := r.Get(ctx, s.ID, t0); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get by the stored hash: got %v, want ErrNotFound", err)
		}
		secret2, _, err := r.Create(ctx, "ada@example.com", t0, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Revoke(ctx, got); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Get(ctx, secret, t0); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get after revoke: got %v, want ErrNotFound", err)
		}
		if _, err := r.Get(ctx, secret2, t0); err != nil {
			t.Errorf("the other session after revoking one: got %v, want it live", err)
		}
		if err := r.RevokeUser(ctx, "ada@example.com", t0); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Get(ctx, secret2, t0); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get after RevokeUser: got %v, want ErrNotFound", err)
		}
	})
}

func TestLockoutRule(t *testing.T) {
	l := DefaultLockout
	fail := func(min int) Attempt { return Attempt{Time: t0.Add(time.Duration(min) * time.Minute)} }
	ok := func(min int) Attempt { return Attempt{Time: t0.Add(time.Duration(min) * time.Minute), OK: true} }
	tests := []struct {
		name     string
		attempts []Attempt
		want     time.Time
	}{
		{"none", nil, time.Time{}},
		{"four failures", []Attempt{fail(0), fail(1), fail(2), fail(3)}, time.Time{}},
		{"five failures", []Attempt{fail(0), fail(1), fail(2), fail(3), fail(4)}, t0.Add(19 * time.Minute)},
		{"a success between", []Attempt{fail(0), fail(1), fail(2), ok(3), fail(4), fail(5)}, time.Time{}},
		{"spread over more than the window", []Attempt{fail(0), fail(5), fail(10), fail(15), fail(20)}, time.Time{}},
		{"five within the window after old ones", []Attempt{fail(0), fail(20), fail(21), fail(22), fail(23), fail(24)}, t0.Add(39 * time.Minute)},
	}
	for _, tt := range tests {
		if got := l.LockedUntil(tt.attempts); !got.Equal(tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestAttempts(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, st store.Store) {
		migrated(t, st)
		ctx := context.Background()
		r := Attempts{Store: st}
		for i := range 5 {
			if err := r.Record(ctx, "Bob@example.com", false, t0.Add(time.Duration(i)*time.Second)); err != nil {
				t.Fatal(err)
			}
		}
		until, err := r.LockedUntil(ctx, DefaultLockout, "bob@example.com", t0.Add(time.Minute))
		if err != nil || !until.Equal(t0.Add(4*time.Second+15*time.Minute)) {
			t.Errorf("LockedUntil: got %v, %v; want 15 minutes after the fifth failure", until, err)
		}
		until, err = r.LockedUntil(ctx, DefaultLockout, "bob@example.com", t0.Add(16*time.Minute))
		if err != nil || !until.IsZero() {
			t.Errorf("LockedUntil after the lockout: got %v, %v; want zero", until, err)
		}
		until, err = r.LockedUntil(ctx, DefaultLockout, "eve@example.com", t0.Add(time.Minute))
		if err != nil || !until.IsZero() {
			t.Errorf("LockedUntil of another account: got %v, %v; want zero", until, err)
		}
		rows, err := st.Query(ctx, "SELECT count() FROM dashboard_login_attempts WHERE account LIKE '%@%'")
		if err != nil {
			t.Fatal(err)
		}
		var n int
		rows.Next()
		rows.Scan(&n)
		if n != 0 {
			t.Errorf("rows holding an email: got %d, want 0", n)
		}
	})
}

func TestShares(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, st store.Store) {
		migrated(t, st)
		ctx := context.Background()
		r := Shares{Store: st}
		token, s, err := r.Create(ctx, "example.com", "admin@example.com", t0)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := r.Create(ctx, "other.com", "admin@example.com", t0); err != nil {
			t.Fatal(err)
		}
		got, err := r.Lookup(ctx, token)
		if err != nil || got.Site != "example.com" || got.ID != s.ID {
			t.Fatalf("Lookup: got %+v, %v; want the link to example.com", got, err)
		}
		list, err := r.List(ctx, "example.com")
		if err != nil || len(list) != 1 {
			t.Fatalf("List: got %d links, %v; want 1", len(list), err)
		}
		rows, err := st.Query(ctx, "SELECT count() FROM dashboard_shares WHERE token_hash = ? OR id = ?", token, token)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		rows.Next()
		rows.Scan(&n)
		if n != 0 {
			t.Errorf("rows holding the token itself: got %d, want 0", n)
		}
		if err := r.Revoke(ctx, "other.com", s.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("Revoke through another site: got %v, want ErrNotFound", err)
		}
		if err := r.Revoke(ctx, "example.com", s.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Lookup(ctx, token); !errors.Is(err, ErrNotFound) {
			t.Errorf("Lookup after revoke: got %v, want ErrNotFound", err)
		}
		if list, _ := r.List(ctx, "example.com"); len(list) != 0 {
			t.Errorf("List after revoke: got %d links, want 0", len(list))
		}
	})
}
