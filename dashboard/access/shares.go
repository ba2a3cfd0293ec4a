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

// Share is a read-only link to one site's overview.
type Share struct {
	ID        string // short public name, to list and revoke by
	Site      string
	CreatedBy string // the admin's email
	CreatedAt time.Time
	Revoked   bool
	tokenHash string
}

// Shares is the store of shared links. The link's token is shown once,
// when it is made; only its hash is kept.
type Shares struct{ Store store.Store }

const shareColumns = "id, token_hash, site, created_by, created_at, revoked"

// Create makes a link to site and returns its token.
func (r Shares) Create(ctx context.Context, site, by string, now time.Time) (string, Share, error) {
	token := auth.NewSecret()
	s := Share{
		ID:        auth.HashSecret(token + ":id")[:12],
		Site:      site,
		CreatedBy: by,
		CreatedAt: now.UTC().Truncate(time.Second),
		tokenHash: auth.HashSecret(token),
	}
	if err := r.write(ctx, s); err != nil {
		return "", Share{}, err
	}
	return token, s, nil
}

// Lookup returns the live link with this token, or ErrNotFound.
func (r Shares) Lookup(ctx context.Context, token string) (Share, error) {
	if token == "" {
		return Share{}, ErrNotFound
	}
	shares, err := r.list(ctx, "WHERE token_hash = ?", auth.HashSecret(token))
	if err != nil {
		return Share{}, err
	}
	if len(shares) == 0 || shares[0].Revoked {
		return Share{}, ErrNotFound
	}
	return shares[0], nil
}

// List returns the live links of site, oldest first.
func (r Shares) List(ctx context.Context, site string) ([]Share, error) {
	all, err := r.list(ctx, "WHERE site = ?", site)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, s := range all {
		if !s.Revoked {
			out = append(out, s)
		}
	}
	return out, nil
}

// Revoke ends the link with this id on site; ErrNotFound when site has no
// such link.
func (r Shares) Revoke(ctx context.Context, site, id string) error {
	shares, err := r.list(ctx, "WHERE id = ? AND site = ?", id, site)
	if err != nil {
		return err
	}
	if len(shares) == 0 || shares[0].Revoked {
		return ErrNotFound
	}
	s := shares[0]
	s.Revoked = true
	return r.write(ctx, s)
}

func (r Shares) list(ctx context.Context, where string, args ...any) ([]Share, error) {
	rows, err := r.Store.Query(ctx, "SELECT "+shareColumns+" FROM dashboard_shares FINAL "+where+" ORDER BY created_at, id", args...)
	if err != nil {
		return nil, fmt.Errorf("access: shared links: %w", err)
	}
	var out []Share
	for rows.Next() {
		var s Share
		if err := rows.Scan(&s.ID, &s.tokenHash, &s.Site, &s.CreatedBy, &s.CreatedAt, &s.Revoked); err != nil {
			return nil, fmt.Errorf("access: shared links: %w", err)
		}
		out = append(out, s)
	}
	return out, nil
}

func (r Shares) write(ctx context.Context, s Share) error {
	err := r.Store.Insert(ctx, "dashboard_shares", strings.Split(shareColumns+", version", ", "),
		[][]any{{s.ID, s.tokenHash, s.Site, s.CreatedBy, s.CreatedAt, s.Revoked, aggregator.NewVersion()}})
	if err != nil {
		return fmt.Errorf("access: shared link %s: %w", s.ID, err)
	}
	return nil
}
