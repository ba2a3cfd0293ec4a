package consent

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"
)

// MinKeySize is the shortest HMAC secret a Keyring accepts: as long as the
// SHA-256 output, so the key is never the weak part.
const MinKeySize = 32

// Key is one HMAC-SHA256 signing key. ID goes into every token's kid
// header so that verification picks the right key after a rotation.
// Printing or logging a Key shows its ID only.
type Key struct {
	ID     string
	Secret []byte
}

// GenerateKey returns a new random key: a 32-byte secret and an 8-character
// random ID. It cannot fail: crypto/rand never returns an error.
func GenerateKey() Key {
	var id [6]byte
	secret := make([]byte, MinKeySize)
	rand.Read(id[:]) // never fails; crypto/rand crashes the program instead
	rand.Read(secret)
	return Key{ID: base64.RawURLEncoding.EncodeToString(id[:]), Secret: secret}
}

// String hides the secret.
func (k Key) String() string { return "consent key " + k.ID }

// GoString hides the secret from %#v too.
func (k Key) GoString() string { return `consent.Key{ID: "` + k.ID + `", Secret: <hidden>}` }

// LogValue hides the secret from slog.
func (k Key) LogValue() slog.Value { return slog.StringValue(k.ID) }

// Encode returns the key in the form ParseKeys reads: "ID:base64secret".
// The result is a secret.
func (k Key) Encode() string {
	return k.ID + ":" + base64.StdEncoding.EncodeToString(k.Secret)
}

func (k Key) check() error {
	if !validKeyID(k.ID) {
		return fmt.Errorf("key id %q must be 1 to 32 letters, digits, _ or -", clip(k.ID))
	}
	if len(k.Secret) < MinKeySize {
		return fmt.Errorf("key %s: secret is %d bytes, it must be at least %d", k.ID, len(k.Secret), MinKeySize)
	}
	return nil
}

// ParseKeys reads keys in the form of VARDE_CONSENT_KEYS:
// "kid1:base64secret,kid2:base64secret", the first being the current
// signing key. Secrets may be standard or URL-safe base64, padded or not;
// generate one with `head -c 32 /dev/urandom | base64`. Errors never
// contain a secret.
func ParseKeys(s string) ([]Key, error) {
	var keys []Key
	seen := map[string]bool{}
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, enc, ok := strings.Cut(part, ":")
		if !ok {
			return nil, fmt.Errorf("consent: key %d: want ID:base64secret, there is no colon", i+1)
		}
		secret, err := decodeSecret(strings.TrimSpace(enc))
		if err != nil {
			return nil, fmt.Errorf("consent: key %d (%s): secret is not base64", i+1, clip(id))
		}
		k := Key{ID: strings.TrimSpace(id), Secret: secret}
		if err := k.check(); err != nil {
			return nil, fmt.Errorf("consent: key %d: %w", i+1, err)
		}
		if seen[k.ID] {
			return nil, fmt.Errorf("consent: key %d: id %s is used twice", i+1, k.ID)
		}
		seen[k.ID] = true
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("consent: no keys; want ID:base64secret[,ID:base64secret...]")
	}
	return keys, nil
}

func decodeSecret(s string) ([]byte, error) {
	var err error
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		var b []byte
		if b, err = enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, err
}

func validKeyID(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
