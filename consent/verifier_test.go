package consent

import (
	"errors"
	"sync"
	"testing"
	"time"
)

func TestAllow(t *testing.T) {
	k := testKeyring(t, testKey("k1"))
	revoked := &RevocationCache{}
	v := NewVerifier(k, revoked)

	c := testClaims()
	tok := sign(t, k, c)
	noStats := c
	noStats.Categories = []string{Necessary}
	noStatsTok := sign(t, k, noStats)
	changed := c
	changed.ConsentID = "11111111-2222-4333-8444-555555555555"
	changedTok := sign(t, k, changed)
	withdrawn := c
	withdrawn.ConsentID = "66666666-7777-4888-9999-aaaaaaaaaaaa"
	withdrawnTok := sign(t, k, withdrawn)
	newer := changed
	newer.Version = 2
	newerTok := sign(t, k, newer)

	revoked.Add(changed.ConsentID, 2, t0)           // a change to version 2
	revoked.Add(withdrawn.ConsentID, RevokeAll, t0) // an erase

	tests := []struct {
		name     string
		token    string
		site     string
		category string
		now      time.Time
		want     error
	}{
		{"granted", tok, "example.com", Statistics, t0, nil},
		{"necessary always", noStatsTok, "example.com", Necessary, t0, nil},
		{"granted again from the cache", tok, "example.com", Statistics, t0.Add(time.Hour), nil},
		{"no token", "", "example.com", Statistics, t0, ErrNoToken},
		{"malformed", "a.b.c", "example.com", Statistics, t0, ErrTokenMalformed},
		{"expired", tok, "example.com", Statistics, c.ExpiresAt, ErrTokenExpired},
		{"other site", tok, "other.example", Statistics, t0, ErrTokenOtherSite},
		{"not granted", noStatsTok, "example.com", Statistics, t0, ErrNotGranted},
		{"unknown category", tok, "example.com", Marketing, t0, ErrNotGranted},
		{"old version after a change", changedTok, "example.com", Statistics, t0, ErrTokenRevoked},
		{"new version after a change", newerTok, "example.com", Statistics, t0, nil},
		{"withdrawn", withdrawnTok, "example.com", Statistics, t0, ErrTokenRevoked},
	}
	for _, tt := range tests {
		err := v.Allow(tt.token, tt.site, tt.category, tt.now)
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestVerifierRevocationAfterCaching(t *testing.T) {
	k := testKeyring(t, testKey("k1"))
	revoked := &RevocationCache{}
	v := NewVerifier(k, revoked)
	tok := sign(t, k, testClaims())
	if err := v.Allow(tok, "example.com", Statistics, t0); err != nil {
		t.Fatalf("before withdrawal: got %v, want nil", err)
	}
	revoked.Add(testCID, RevokeAll, t0.Add(time.Second))
	if err := v.Allow(tok, "example.com", Statistics, t0.Add(2*time.Second)); !errors.Is(err, ErrTokenRevoked) {
		t.Errorf("after withdrawal: got %v, want %v", err, ErrTokenRevoked)
	}
}

func TestVerifierKeyRemovalDropsCache(t *testing.T) {
	old, cur := testKey("old"), testKey("new")
	v := NewVerifier(testKeyring(t, old), &RevocationCache{})
	tok := sign(t, v.Keyring(), testClaims())
	if err := v.Allow(tok, "example.com", Statistics, t0); err != nil {
		t.Fatalf("before rotation: got %v, want nil", err)
	}
	v.SetKeyring(testKeyring(t, cur, old))
	if err := v.Allow(tok, "example.com", Statistics, t0); err != nil {
		t.Errorf("old key still in the ring: got %v, want nil", err)
	}
	v.SetKeyring(testKeyring(t, cur))
	if err := v.Allow(tok, "example.com", Statistics, t0); !errors.Is(err, ErrTokenBadSignature) {
		t.Errorf("old key removed: got %v, want %v", err, ErrTokenBadSignature)
	}
}

func TestCheckAndOwner(t *testing.T) {
	k := testKeyring(t, testKey("k1"))
	v := NewVerifier(k, &RevocationCache{})
	want := testClaims()
	tok := sign(t, k, want)
	got, err := v.Check(tok, t0)
	if err != nil || got.ConsentID != want.ConsentID || got.Site != want.Site {
		t.Fatalf("Check: got %+v, %v, want %+v", got, err, want)
	}
	got.Categories[0] = "mutated" // the caller's copy, not the cache's
	if err := v.Allow(tok, "example.com", Necessary, t0); err != nil {
		t.Errorf("after mutating Check's claims: got %v, want nil", err)
	}
	if again, _ := v.Check(tok, t0); again.Categories[0] != Necessary {
		t.Errorf("cache was mutated through Check: got %v", again.Categories)
	}
	if _, err := v.Owner(tok, testCID, t0); err != nil {
		t.Errorf("Owner of its own consent: got %v, want nil", err)
	}
	if _, err := v.Owner(tok, "11111111-2222-4333-8444-555555555555", t0); !errors.Is(err, ErrTokenOtherConsent) {
		t.Errorf("Owner of another consent: got %v, want %v", err, ErrTokenOtherConsent)
	}
}

func TestVerifierCacheIsBounded(t *testing.T) {
	k := testKeyring(t, testKey("k1"))
	v := NewVerifier(k, &RevocationCache{})
	c := testClaims()
	for i := range maxVerified + 10 {
		c.Version = i + 1
		if err := v.Allow(sign(t, k, c), "example.com", Statistics, t0); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(v.state.Load().cache); n > maxVerified {
		t.Errorf("got %d cached tokens, want at most %d", n, maxVerified)
	}
}

func TestVerifierConcurrent(t *testing.T) {
	k := testKeyring(t, testKey("k1"))
	revoked := &RevocationCache{}
	v := NewVerifier(k, revoked)
	c := testClaims()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			cl := c
			for i := range 200 {
				cl.Version = g*1000 + i + 1
				tok := sign(t, k, cl)
				_ = v.Allow(tok, "example.com", Statistics, t0)
				revoked.Add(cl.ConsentID, cl.Version, t0)
				if g == 0 && i%50 == 0 {
					v.SetKeyring(k)
				}
			}
		})
	}
	wg.Wait()
}

func TestRevocationCache(t *testing.T) {
	var c RevocationCache
	if c.Revoked("a", 1) {
		t.Error("empty cache: got revoked, want not")
	}
	c.Add("a", 3, t0)
	c.Add("a", 2, t0.Add(time.Hour)) // weaker, ignored
	tests := []struct {
		id      string
		version int
		want    bool
	}{
		{"a", 1, true}, {"a", 2, true}, {"a", 3, false}, {"a", 4, false}, {"b", 1, false},
	}
	for _, tt := range tests {
		if got := c.Revoked(tt.id, tt.version); got != tt.want {
			t.Errorf("Revoked(%s, %d): got %v, want %v", tt.id, tt.version, got, tt.want)
		}
	}
	c.Add("a", RevokeAll, t0.Add(2*time.Hour))
	if !c.Revoked("a", 1000) {
		t.Error("after RevokeAll: got not revoked, want revoked")
	}
	c.Add("b", 2, t0)
	if n := c.Forget(t0.Add(time.Hour)); n != 1 || c.Len() != 1 || !c.Revoked("a", 5) {
		t.Errorf("Forget: got %d forgotten, %d left, want 1 and 1 (a)", n, c.Len())
	}
}
