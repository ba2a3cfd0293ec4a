package consent

import (
	"crypto/sha256"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// maxVerified bounds the verified-token cache: a few MB at most.
const maxVerified = 16384

// Verifier checks consent tokens on the request path: signature and
// expiry (Keyring), then site, revocation and category. It remembers
// tokens whose signature it has checked, keyed by their SHA-256, so a
// visitor's beacons after the first skip the JWT parsing; expiry,
// revocation, site and category are still checked on every call. Safe for
// concurrent use.
type Verifier struct {
	revoked Revocations
	state   atomic.Pointer[verifierState]
}

// verifierState is a keyring with the cache of tokens it verified, so
// replacing the keyring drops the cache: a removed key's tokens stop
// verifying at once.
type verifierState struct {
	keys  *Keyring
	mu    sync.RWMutex
	cache map[[sha256.Size]byte]Claims
}

// NewVerifier returns a verifier using keys and asking revoked about every
// token. Both must be non-nil.
func NewVerifier(keys *Keyring, revoked Revocations) *Verifier {
	if keys == nil || revoked == nil {
		panic("consent: NewVerifier needs a keyring and revocations")
	}
	v := &Verifier{revoked: revoked}
	v.SetKeyring(keys)
	return v
}

// SetKeyring replaces the keys, for a rotation.
func (v *Verifier) SetKeyring(keys *Keyring) {
	if keys == nil {
		panic("consent: SetKeyring(nil)")
	}
	v.state.Store(&verifierState{keys: keys, cache: make(map[[sha256.Size]byte]Claims)})
}

// Keyring returns the keys in use.
func (v *Verifier) Keyring() *Keyring { return v.state.Load().keys }

// Sign signs claims with the current key.
func (v *Verifier) Sign(c Claims) (string, error) { return v.Keyring().Sign(c) }

// Allow is the event handler's one call: nil when token is a valid,
// unexpired, unrevoked consent for site that grants category at time now.
// Otherwise a *TokenError says why (ErrNoToken, ErrTokenMalformed,
// ErrTokenExpired, ErrTokenBadSignature, ErrTokenOtherSite,
// ErrTokenRevoked, ErrNotGranted).
func (v *Verifier) Allow(token, site, category string, now time.Time) error {
	c, err := v.state.Load().verify(token)
	if err != nil {
		return err
	}
	if err := checkTimes(c, now); err != nil {
		return err
	}
	switch {
	case c.Site != site:
		return ErrTokenOtherSite
	case v.revoked.Revoked(c.ConsentID, c.Version):
		return ErrTokenRevoked
	case !c.Grants(category):
		return ErrNotGranted
	}
	return nil
}

// Check returns the claims of a valid, unexpired, unrevoked token, for the
// receipt, erase and change flows; the caller compares the site or the
// consent ID it expects (or uses Owner).
func (v *Verifier) Check(token string, now time.Time) (Claims, error) {
	c, err := v.state.Load().verify(token)
	if err != nil {
		return Claims{}, err
	}
	if err := checkTimes(c, now); err != nil {
		return Claims{}, err
	}
	if v.revoked.Revoked(c.ConsentID, c.Version) {
		return Claims{}, ErrTokenRevoked
	}
	c.Categories = slices.Clone(c.Categories) // the cache's copy stays ours
	return c, nil
}

// Owner is Check for a request about one consent (GET or DELETE
// /api/consent/{id}, a changed choice): the token must be that consent's.
func (v *Verifier) Owner(token, consentID string, now time.Time) (Claims, error) {
	c, err := v.Check(token, now)
	if err != nil {
		return Claims{}, err
	}
	if c.ConsentID != consentID {
		return Claims{}, ErrTokenOtherConsent
	}
	return c, nil
}

// verify returns the claims of a token with a valid signature, from the
// cache when this keyring has verified it before.
func (s *verifierState) verify(token string) (Claims, error) {
	if token == "" {
		return Claims{}, ErrNoToken
	}
	if len(token) > maxTokenLen {
		return s.keys.verifySignature(token)
	}
	var buf [maxTokenLen]byte // on the stack: no allocation per beacon
	sum := sha256.Sum256(buf[:copy(buf[:], token)])
	s.mu.RLock()
	c, ok := s.cache[sum]
	s.mu.RUnlock()
	if ok {
		return c, nil
	}
	c, err := s.keys.verifySignature(token)
	if err != nil {
		return Claims{}, err
	}
	s.mu.Lock()
	if len(s.cache) >= maxVerified {
		for k := range s.cache { // evict one at random; map order is random
			delete(s.cache, k)
			break
		}
	}
	s.cache[sum] = c
	s.mu.Unlock()
	return c, nil
}
