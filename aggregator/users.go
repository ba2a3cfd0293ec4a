package aggregator

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/varde/varde/aggregator/store"
)

// Roles of dashboard users.
const (
	RoleAdmin  = "admin"
	RoleViewer = "viewer"
)

// User is a dashboard account.
type User struct {
	Email        string
	PasswordHash string // argon2id, PHC string form
	Role         string
	Sites        []string // the sites a viewer may see; admins see all
	CreatedAt    time.Time
}

// Validate reports what is wrong with the account.
func (u User) Validate() error {
	var problems []string
	if at := strings.IndexByte(u.Email, '@'); at < 1 || at == len(u.Email)-1 || strings.ContainsAny(u.Email, " \t\n") {
		problems = append(problems, fmt.Sprintf("email %q is not an address like name@example.com", u.Email))
	}
	if u.Role != RoleAdmin && u.Role != RoleViewer {
		problems = append(problems, fmt.Sprintf("role must be admin or viewer, not %q", u.Role))
	}
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
		problems = append(problems, "password hash is not an argon2id hash")
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// Users is the store of dashboard accounts.
type Users struct{ Store store.Store }

const userColumns = "email, password_hash, role, sites, created_at"

// Get returns the account, or ErrNotFound.
func (r Users) Get(ctx context.Context, email string) (User, error) {
	users, err := r.list(ctx, "AND email = ?", strings.ToLower(email))
	if err != nil {
		return User{}, err
	}
	if len(users) == 0 {
		return User{}, fmt.Errorf("user %s: %w", email, ErrNotFound)
	}
	return users[0], nil
}

// List returns every account, ordered by email.
func (r Users) List(ctx context.Context) ([]User, error) { return r.list(ctx, "") }

func (r Users) list(ctx context.Context, where string, args ...any) ([]User, error) {
	rows, err := r.Store.Query(ctx, "SELECT "+userColumns+" FROM users FINAL WHERE deleted = 0 "+where+" ORDER BY email", args...)
	if err != nil {
		return nil, fmt.Errorf("aggregator: users: %w", err)
	}
	var out []User
	for rows.Next() {
		var u User
		if err := rows.Scan(&u.Email, &u.PasswordHash, &u.Role, &u.Sites, &u.CreatedAt); err != nil {
			return nil, fmt.Errorf("aggregator: users: %w", err)
		}
		out = append(out, u)
	}
	return out, nil
}

// Put validates the account and stores it as its newest version.
func (r Users) Put(ctx context.Context, u User) error {
	u.Email = strings.ToLower(strings.TrimSpace(u.Email))
	if err := u.Validate(); err != nil {
		return err
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = time.Now().UTC()
	}
	if u.Sites == nil {
		u.Sites = []string{}
	}
	return r.write(ctx, u, 0)
}

// Delete removes the account.
func (r Users) Delete(ctx context.Context, email string) error {
	u, err := r.Get(ctx, email)
	if err != nil {
		return err
	}
	return r.write(ctx, u, 1)
}

func (r Users) write(ctx context.Context, u User, deleted int) error {
	err := r.Store.Insert(ctx, "users", strings.Split(userColumns+", version, deleted", ", "), [][]any{{
		u.Email, u.PasswordHash, u.Role, u.Sites, u.CreatedAt, NewVersion(), deleted,
	}})
	if err != nil {
		return fmt.Errorf("aggregator: user %s: %w", u.Email, err)
	}
	return nil
}

// APIKey is a stats API key of one site. Only a hash of its secret is kept.
type APIKey struct {
	ID         string
	Site       string
	Name       string
	SecretHash string
	CreatedAt  time.Time
	Revoked    bool
}

// APIKeys is the store of stats API keys.
type APIKeys struct{ Store store.Store }

const apiKeyColumns = "id, site, name, secret_hash, created_at, revoked"

// Get returns the key with this id, revoked or not, or ErrNotFound.
func (r APIKeys) Get(ctx context.Context, id string) (APIKey, error) {
	keys, err := r.list(ctx, "WHERE id = ?", id)
	if err != nil {
		return APIKey{}, err
	}
	if len(keys) == 0 {
		return APIKey{}, fmt.Errorf("api key %s: %w", id, ErrNotFound)
	}
	return keys[0], nil
}

// List returns the keys of a site.
func (r APIKeys) List(ctx context.Context, site string) ([]APIKey, error) {
	return r.list(ctx, "WHERE site = ?", site)
}

func (r APIKeys) list(ctx context.Context, where string, args ...any) ([]APIKey, error) {
	rows, err := r.Store.Query(ctx, "SELECT "+apiKeyColumns+" FROM api_keys FINAL "+where+" ORDER BY created_at, id", args...)
	if err != nil {
		return nil, fmt.Errorf("aggregator: api keys: %w", err)
	}
	var out []APIKey
	for rows.Next() {
		var k APIKey
		if err := rows.Scan(&k.ID, &k.Site, &k.Name, &k.SecretHash, &k.CreatedAt, &k.Revoked); err != nil {
			return nil, fmt.Errorf("aggregator: api keys: %w", err)
		}
		out = append(out, k)
	}
	return out, nil
}

// Put stores the key as its newest version (revoking is a Put with Revoked).
func (r APIKeys) Put(ctx context.Context, k APIKey) error {
	if k.ID == "" || k.Site == "" || k.SecretHash == "" {
		return fmt.Errorf("aggregator: api key needs an id, a site and a secret hash")
	}
	if k.CreatedAt.IsZero() {
		k.CreatedAt = time.Now().UTC()
	}
	err := r.Store.Insert(ctx, "api_keys", strings.Split(apiKeyColumns+", version", ", "), [][]any{{
		k.ID, k.Site, k.Name, k.SecretHash, k.CreatedAt, k.Revoked, NewVersion(),
	}})
	if err != nil {
		return fmt.Errorf("aggregator: api key %s: %w", k.ID, err)
	}
	return nil
}
