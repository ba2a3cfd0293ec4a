package consent

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	// maxTokenLen bounds what Verify parses; real tokens are ~300 bytes.
	maxTokenLen = 2048
	// clockSkew tolerates nodes whose clocks disagree a little, for the
	// issued-at check only; expiry is exact.
	clockSkew = time.Minute
)

// Keyring holds the HMAC keys that sign and verify consent tokens. The
// first key signs; every key verifies, so a key can be rotated without
// logging anyone out: add a new current key, keep the old one until the
// longest token lifetime has passed, then drop it. A Keyring is immutable
// and safe for concurrent use; rotate by building a new one.
type Keyring struct {
	current Key
	keys    map[string]any // key ID → secret as []byte, boxed once
	parser  *jwt.Parser
	keyfunc jwt.Keyfunc
}

// NewKeyring returns a keyring that signs with current and verifies with
// current and older.
func NewKeyring(current Key, older ...Key) (*Keyring, error) {
	k := &Keyring{current: current, keys: make(map[string]any, 1+len(older))}
	for _, key := range append([]Key{current}, older...) {
		if err := key.check(); err != nil {
			return nil, fmt.Errorf("consent: keyring: %w", err)
		}
		if _, dup := k.keys[key.ID]; dup {
			return nil, fmt.Errorf("consent: keyring: key id %s is used twice", key.ID)
		}
		k.keys[key.ID] = append([]byte(nil), key.Secret...)
	}
	// Pin the algorithm: HS256 only, so "none" and public-key algorithms
	// (the classic RS256-with-HMAC-secret confusion) never verify. Time
	// checks are ours, with the caller's clock.
	k.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithoutClaimsValidation(),
		jwt.WithStrictDecoding(),
	)
	k.keyfunc = k.secretFor
	return k, nil
}

// CurrentID returns the ID of the signing key.
func (k *Keyring) CurrentID() string { return k.current.ID }

// Has reports whether the ring verifies tokens signed with key id.
func (k *Keyring) Has(id string) bool {
	_, ok := k.keys[id]
	return ok
}

var errUnknownKey = errors.New("unknown key id")

func (k *Keyring) secretFor(t *jwt.Token) (any, error) {
	if t.Method != jwt.SigningMethodHS256 {
		return nil, fmt.Errorf("algorithm %s is not allowed", t.Method.Alg())
	}
	kid, _ := t.Header["kid"].(string)
	secret, ok := k.keys[kid]
	if !ok {
		return nil, errUnknownKey
	}
	return secret, nil
}

// Sign returns a token for the claims, signed with the current key.
func (k *Keyring) Sign(c Claims) (string, error) {
	if msg := c.check(); msg != "" {
		return "", fmt.Errorf("consent: sign token: %s", msg)
	}
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, c.wire())
	// The header is fixed and small: no "typ", which nothing reads.
	t.Header = map[string]any{"alg": jwt.SigningMethodHS256.Alg(), "kid": k.current.ID}
	s, err := t.SignedString(k.keys[k.current.ID])
	if err != nil {
		return "", fmt.Errorf("consent: sign token: %w", err)
	}
	return s, nil
}

// Verify checks a token's signature with the key its kid names, then its
// claims and its times against now. It does not check the site, the
// category or revocation: Verifier does. Errors are *TokenError.
func (k *Keyring) Verify(token string, now time.Time) (Claims, error) {
	c, err := k.verifySignature(token)
	if err != nil {
		return Claims{}, err
	}
	if err := checkTimes(c, now); err != nil {
		return Claims{}, err
	}
	return c, nil
}

// verifySignature parses and authenticates a token, without time checks.
func (k *Keyring) verifySignature(token string) (Claims, error) {
	switch {
	case token == "":
		return Claims{}, ErrNoToken
	case len(token) > maxTokenLen:
		return Claims{}, &TokenError{Reason: ReasonMalformed, Detail: "longer than any token we issue"}
	}
	var w wireClaims
	if _, err := k.parser.ParseWithClaims(token, &w, k.keyfunc); err != nil {
		return Claims{}, tokenError(err)
	}
	c := w.claims()
	if msg := c.check(); msg != "" {
		// Signed by us but not what we sign: a bug, or a stolen key.
		return Claims{}, &TokenError{Reason: ReasonMalformed, Detail: msg}
	}
	return c, nil
}

func checkTimes(c Claims, now time.Time) error {
	switch {
	case !now.Before(c.ExpiresAt):
		return ErrTokenExpired
	case c.IssuedAt.After(now.Add(clockSkew)):
		return &TokenError{Reason: ReasonExpired, Detail: "issued in the future"}
	}
	return nil
}

// tokenError maps the library's errors to ours.
func tokenError(err error) *TokenError {
	switch {
	case errors.Is(err, errUnknownKey):
		return &TokenError{Reason: ReasonBadSignature, Detail: "unknown key id"}
	case errors.Is(err, jwt.ErrTokenMalformed):
		return &TokenError{Reason: ReasonMalformed, Detail: err.Error()}
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return &TokenError{Reason: ReasonBadSignature, Detail: err.Error()}
	}
	return &TokenError{Reason: ReasonMalformed, Detail: err.Error()}
}
