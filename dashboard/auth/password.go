// Package auth owns the dashboard's credentials: argon2id password hashes
// and the format of stats API keys. It keeps no state and does no I/O.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: OWASP's recommended minimum is m=19 MiB, t=2, p=1;
// 64 MiB and 3 passes cost about 60 ms on this machine's cores, which slows
// a stolen-hash attack without slowing a login noticeably.
const (
	argonMemory  = 64 * 1024
	argonTime    = 3
	argonThreads = 2
	argonKeyLen  = 32
	saltLen      = 16
)

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 10

// HashPassword returns the argon2id hash of password in PHC string form.
func HashPassword(password string) (string, error) {
	if len(password) < MinPasswordLength {
		return "", fmt.Errorf("the password must be at least %d characters long", MinPasswordLength)
	}
	salt := make([]byte, saltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// ErrBadHash is returned for a stored hash that cannot be read.
var ErrBadHash = errors.New("auth: not an argon2id hash")

// CheckPassword reports whether password matches the PHC hash, in constant
// time, using the parameters stored in the hash.
func CheckPassword(hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, ErrBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, ErrBadHash
	}
	var mem, iters uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &iters, &threads); err != nil || threads == 0 || iters == 0 {
		return false, ErrBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, ErrBadHash
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, ErrBadHash
	}
	got := argon2.IDKey([]byte(password), salt, iters, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// APIKeyPrefix starts every stats API key, so a leaked one is easy to spot.
const APIKeyPrefix = "varde_"

// NewAPIKey makes a key: a public id, and the full key to hand out once.
// The key reads varde_<id>_<secret>; only HashSecret(secret) is stored.
func NewAPIKey() (id, key, secretHash string) {
	idBytes := make([]byte, 6)
	secret := make([]byte, 24)
	rand.Read(idBytes)
	rand.Read(secret)
	id = hex.EncodeToString(idBytes)
	s := base64.RawURLEncoding.EncodeToString(secret)
	return id, APIKeyPrefix + id + "_" + s, HashSecret(s)
}

// ParseAPIKey splits a key into its id and secret.
func ParseAPIKey(key string) (id, secret string, ok bool) {
	rest, found := strings.CutPrefix(key, APIKeyPrefix)
	if !found {
		return "", "", false
	}
	id, secret, found = strings.Cut(rest, "_")
	if !found || len(id) != 12 || len(secret) < 16 {
		return "", "", false
	}
	return id, secret, true
}

// NewSecret is 256 random bits, URL-safe: for session cookies, CSRF tokens
// and share links.
func NewSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashSecret is what is stored of a secret (an API key's, a session's, a
// share link's). The secrets are at least 192 random bits, so a fast hash
// is enough: there is nothing to guess.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CheckSecret compares a presented secret with the stored hash in constant
// time.
func CheckSecret(secretHash, secret string) bool {
	return subtle.ConstantTimeCompare([]byte(HashSecret(secret)), []byte(secretHash)) == 1
}
