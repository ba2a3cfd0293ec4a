package node

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/collector/demo"
	"github.com/varde/varde/dashboard/auth"
)

// ensureDemoAdmin creates an admin account when there is none, so that a
// newcomer can open the dashboard, and says how to sign in: the generated
// password is shown this once.
func ensureDemoAdmin(ctx context.Context, users aggregator.Users, log *slog.Logger) (string, error) {
	all, err := users.List(ctx)
	if err != nil || len(all) > 0 {
		return "", err
	}
	secret := make([]byte, 9)
	rand.Read(secret)
	password := base64.RawURLEncoding.EncodeToString(secret)
	hash, err := auth.HashPassword(password)
	if err != nil {
		return "", err
	}
	const email = "admin@demo.localhost"
	if err := users.Put(ctx, aggregator.User{Email: email, PasswordHash: hash, Role: aggregator.RoleAdmin}); err != nil {
		return "", err
	}
	log.Info("created a demo admin account", "email", email)
	return fmt.Sprintf("sign in as %s with password %s (shown only now)", email, password), nil
}

// ensureDemoSite creates the demo page's site when it is missing.
func ensureDemoSite(ctx context.Context, sites aggregator.Sites, log *slog.Logger) error {
	if _, err := sites.Get(ctx, demo.Site); err == nil {
		return nil
	} else if !errors.Is(err, aggregator.ErrNotFound) {
		return err
	}
	site := aggregator.NewSite(demo.Site)
	site.Name = "Fjordbemanning (demo)"
	site.Timezone = "Europe/Oslo"
	site.K = 1
	if err := sites.Put(ctx, site); err != nil {
		return err
	}
	log.Info("created the demo site", "site", demo.Site)
	return nil
}
