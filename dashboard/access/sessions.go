package access

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/store"
	"github.com/varde/varde/dashboard/auth"
)

// Session is a signed-in browser.
type Session struct {
	ID        string // SHA-256 of the cookie's secret
	Email     string
	CSRF      string // the synchronizer token every form of the session carries
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Sessions is the store of login sessions. They live in the store, not in
// a node's memory, so any node accepts a session another node created and
// a logout anywhere ends it everywhere.
type Sessions struct{ Store store.Store }

const sessionColumns = "id, email, csrf, created_at, expires_at"

// Create starts a session for email that lasts lifetime from now, and
// returns the secret for the cookie; only its hash is stored.
func (r Sessions) Create(ctx context.Context, email string, now time.Time, lifetime time.Duration) (string, Session, error) {
	secret := auth.NewSecret()
	s := Session{
		ID:        auth.HashSecret(secret),
		Email:     strings.ToLower(email),
		CSRF:      auth.NewSecret(),
		CreatedAt: now.UTC().Truncate(time.Second),
	}
	s.ExpiresAt = s.CreatedAt.Add(lifetime)
	if err := r.write(ctx, s, false); err != nil {
		return "", Session{}, err
	}
	return secret, s, nil
}

// Get returns the live session whose cookie secret this is, or ErrNotFound.
func (r Sessions) Get(ctx context.Context, secret string, now time.Time) (Session, error) {
	if secret == "" {
		return Session{}, ErrNotFound
	}
	rows, err := r.Store.Query(ctx, "SELECT "+sessionColumns+" FROM dashboard_sessions FINAL WHERE id = ? AND revoked = 0",
		auth.HashSecret(secret))
	if err != nil {
		return Session{}, fmt.Errorf("access: session: %w", err)
	}
	if !rows.Next() {
		return Session{}, ErrNotFound
	}
	var s Session
	if err := rows.Scan(&s.ID, &s.Email, &s.CSRF, &s.CreatedAt, &s.ExpiresAt); err != nil {
		return Session{}, fmt.Errorf("access: session: %w", err)
	}
	if !now.Before(s.ExpiresAt) {
		return Session{}, ErrNotFound
	}
	return s, nil
}

// Revoke ends the session.
func (r Sessions) Revoke(ctx context.Context, s Session) error {
	return r.write(ctx, s, true)
}

// RevokeUser ends every live session of email, as when the account is
// deleted or its password changed.
func (r Sessions) RevokeUser(ctx context.Context, email string, now time.Time) error {
	rows, err := r.Store.Query(ctx, "SELECT "+sessionColumns+" FROM dashboard_sessions FINAL WHERE email = ? AND revoked = 0 AND expires_at > ?",
		strings.ToLower(email), now.UTC())
	if err != nil {
		return fmt.Errorf("access: sessions of %s: %w", email, err)
	}
	for rows.Next() {
		var s Session
		if err := rows.Scan(&s.ID, &s.Email, &s.CSRF, &s.CreatedAt, &s.ExpiresAt); err != nil {
			return fmt.Errorf("access: sessions of %s: %w", email, err)
		}
		if err := r.write(ctx, s, true); err != nil {
			return err
		}
	}
	return nil
}

func (r Sessions) write(ctx context.Context, s Session, revoked bool) error {
	err := r.Store.Insert(ctx, "dashboard_sessions",
		strings.Split(sessionColumns+", version, revoked", ", "),
		[][]any{{s.ID, s.Email, s.CSRF, s.CreatedAt, s.ExpiresAt, aggregator.NewVersion(), revoked}})
	if err != nil {
		return fmt.Errorf("access: session: %w", err)
	}
	return nil
}
