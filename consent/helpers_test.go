package consent

import (
	"bytes"
	"testing"
	"time"
)

// t0 is the tests' clock: a fixed instant, so expiry is deterministic.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const testCID = "0b7c6f0e-4d1a-4c8e-9f3a-2e5d6c7b8a90"

// testKey returns a key with a deterministic secret made from its ID.
func testKey(id string) Key {
	return Key{ID: id, Secret: bytes.Repeat([]byte(id+"#"), 32)[:32]}
}

func testKeyring(t testing.TB, keys ...Key) *Keyring {
	t.Helper()
	k, err := NewKeyring(keys[0], keys[1:]...)
	if err != nil {
		t.Fatalf("NewKeyring: %v", err)
	}
	return k
}

func testClaims() Claims {
	return Claims{
		ConsentID:  testCID,
		Site:       "example.com",
		Categories: []string{Necessary, Statistics},
		Revision:   3,
		Version:    1,
		IssuedAt:   t0,
		ExpiresAt:  t0.Add(182 * 24 * time.Hour),
	}
}

func sign(t testing.TB, k *Keyring, c Claims) string {
	t.Helper()
	tok, err := k.Sign(c)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return tok
}
