package consent

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"hash"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSignVerifyRoundTrip(t *testing.T) {
	k := testKeyring(t, testKey("k1"))
	want := testClaims()
	tok := sign(t, k, want)
	got, err := k.Verify(tok, t0.Add(time.Hour))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	// The token rides in a cookie and every beacon: keep it small.
	if len(tok) > 400 {
		t.Errorf("got a token of %d bytes, want at most 400", len(tok))
	}
	t.Logf("token is %d bytes", len(tok))
	header, _, _ := strings.Cut(tok, ".")
	if h, _ := base64.RawURLEncoding.DecodeString(header); string(h) != `{"alg":"HS256","kid":"k1"}` {
		t.Errorf("got header %s, want {\"alg\":\"HS256\",\"kid\":\"k1\"}", h)
	}
}

func TestSignRejectsBadClaims(t *testing.T) {
	k := testKeyring(t, testKey("k1"))
	for name, mutate := range map[string]func(*Claims){
		"no consent id":  func(c *Claims) { c.ConsentID = "" },
		"no site":        func(c *Claims) { c.Site = "" },
		"no revision":    func(c *Claims) { c.Revision = 0 },
		"no version":     func(c *Claims) { c.Version = 0 },
		"exp before iat": func(c *Claims) { c.ExpiresAt = c.IssuedAt },
		"no necessary":   func(c *Claims) { c.Categories = []string{Statistics} },
	} {
		c := testClaims()
		mutate(&c)
		if _, err := k.Sign(c); err == nil {
			t.Errorf("%s: got no error, want one", name)
		}
	}
}

func TestKeyRotation(t *testing.T) {
	old, cur := testKey("old"), testKey("new")
	before := testKeyring(t, old)
	tok := sign(t, before, testClaims())

	rotated := testKeyring(t, cur, old)
	if _, err := rotated.Verify(tok, t0); err != nil {
		t.Errorf("old token after rotation: got %v, want it to verify", err)
	}
	if got := rotated.CurrentID(); got != "new" {
		t.Errorf("got current key %q, want %q", got, "new")
	}
	fresh := sign(t, rotated, testClaims())
	if _, err := rotated.Verify(fresh, t0); err != nil {
		t.Errorf("new token: got %v, want it to verify", err)
	}

	dropped := testKeyring(t, cur)
	if _, err := dropped.Verify(tok, t0); !errors.Is(err, ErrTokenBadSignature) {
		t.Errorf("old token after the old key is dropped: got %v, want %v", err, ErrTokenBadSignature)
	}
}

// forge builds a token from raw header and payload JSON, signed with
// HMAC(h, secret), or unsigned when h is nil.
func forge(header, payload string, h func() hash.Hash, secret []byte) string {
	enc := base64.RawURLEncoding
	s := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	if h == nil {
		return s + "."
	}
	m := hmac.New(h, secret)
	m.Write([]byte(s))
	return s + "." + enc.EncodeToString(m.Sum(nil))
}

func TestVerifyRejectsForgeries(t *testing.T) {
	key := testKey("k1")
	k := testKeyring(t, key)
	good := sign(t, k, testClaims())
	parts := strings.Split(good, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])

	otherSite := strings.Replace(string(payload), `"example.com"`, `"evil.example"`, 1)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(otherSite)) + "." + parts[2]

	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"empty", "", ErrNoToken},
		{"garbage", "not a token", ErrTokenMalformed},
		{"two parts", parts[0] + "." + parts[1], ErrTokenMalformed},
		{"too long", good + strings.Repeat("A", maxTokenLen), ErrTokenMalformed},
		{"alg none", forge(`{"alg":"none","kid":"k1"}`, string(payload), nil, nil), ErrTokenBadSignature},
		{"alg none with signature", forge(`{"alg":"none","kid":"k1"}`, string(payload), sha256.New, key.Secret), ErrTokenBadSignature},
		{"alg RS256 signed with HMAC", forge(`{"alg":"RS256","kid":"k1"}`, string(payload), sha256.New, key.Secret), ErrTokenBadSignature},
		{"alg ES256", forge(`{"alg":"ES256","kid":"k1"}`, string(payload), sha256.New, key.Secret), ErrTokenBadSignature},
		{"alg HS512 right key", forge(`{"alg":"HS512","kid":"k1"}`, string(payload), sha512.New, key.Secret), ErrTokenBadSignature},
		{"unknown alg", forge(`{"alg":"XX1","kid":"k1"}`, string(payload), sha256.New, key.Secret), ErrTokenBadSignature},
		{"wrong key", forge(`{"alg":"HS256","kid":"k1"}`, string(payload), sha256.New, testKey("k2").Secret), ErrTokenBadSignature},
		{"unknown kid", forge(`{"alg":"HS256","kid":"k9"}`, string(payload), sha256.New, key.Secret), ErrTokenBadSignature},
		{"no kid", forge(`{"alg":"HS256"}`, string(payload), sha256.New, key.Secret), ErrTokenBadSignature},
		{"kid not a string", forge(`{"alg":"HS256","kid":1}`, string(payload), sha256.New, key.Secret), ErrTokenBadSignature},
		{"tampered payload", tampered, ErrTokenBadSignature},
		{"signature of another token", parts[0] + "." + parts[1] + "." + strings.Split(sign(t, k, Claims{
			ConsentID: testCID, Site: "x.example", Categories: []string{Necessary}, Revision: 1, Version: 1,
			IssuedAt: t0, ExpiresAt: t0.Add(time.Hour),
		}), ".")[2], ErrTokenBadSignature},
		{"wrong claim type", forge(`{"alg":"HS256","kid":"k1"}`, `{"cid":1}`, sha256.New, key.Secret), ErrTokenMalformed},
		{"signed but incomplete", forge(`{"alg":"HS256","kid":"k1"}`, `{"cid":"`+testCID+`"}`, sha256.New, key.Secret), ErrTokenMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := k.Verify(tt.token, t0)
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
			var te *TokenError
			if !errors.As(err, &te) {
				t.Errorf("got %T, want *TokenError", err)
			}
		})
	}
}

func TestVerifyTimes(t *testing.T) {
	k := testKeyring(t, testKey("k1"))
	c := testClaims()
	tok := sign(t, k, c)
	tests := []struct {
		name string
		now  time.Time
		want error
	}{
		{"just issued", c.IssuedAt, nil},
		{"clock slightly behind", c.IssuedAt.Add(-30 * time.Second), nil},
		{"issued in the future", c.IssuedAt.Add(-2 * time.Minute), ErrTokenExpired},
		{"last second", c.ExpiresAt.Add(-time.Second), nil},
		{"at expiry", c.ExpiresAt, ErrTokenExpired},
		{"long after", c.ExpiresAt.Add(400 * 24 * time.Hour), ErrTokenExpired},
	}
	for _, tt := range tests {
		_, err := k.Verify(tok, tt.now)
		if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestNewKeyringRejects(t *testing.T) {
	short := Key{ID: "s", Secret: make([]byte, 16)}
	if _, err := NewKeyring(short); err == nil {
		t.Error("short secret: got no error, want one")
	}
	if _, err := NewKeyring(testKey("a"), testKey("a")); err == nil {
		t.Error("duplicate id: got no error, want one")
	}
	if _, err := NewKeyring(Key{ID: "a b", Secret: make([]byte, 32)}); err == nil {
		t.Error("bad id: got no error, want one")
	}
}
