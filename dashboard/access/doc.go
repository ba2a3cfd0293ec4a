// Package access keeps the dashboard's records of who may look: login
// sessions, sign-in attempts (for the lockout) and shared links, in the
// tables of schemas/0004_dashboard.sql.
//
// Secrets handed to a browser (a session cookie, a shared link's token) are
// never stored: only their SHA-256 is, so a copy of the tables grants
// nothing. Nothing here knows about HTTP; nothing here reads event data.
package access

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"
)

// ErrNotFound is returned for a session or link that does not exist, has
// expired or was revoked: the caller cannot and need not tell which.
var ErrNotFound = errors.New("access: not found")

// newSecret is 256 random bits, URL-safe.
func newSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashSecret is what is stored of a secret. The secrets are 256 random
// bits, so a fast hash is enough: there is nothing to guess.
func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// newVersion orders writes of one record across nodes: the newest wins.
func newVersion() uint64 { return uint64(time.Now().UnixNano()) }
