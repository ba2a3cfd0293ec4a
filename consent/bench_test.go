package consent

import (
	"testing"
)

func BenchmarkSign(b *testing.B) {
	k := testKeyring(b, testKey("k1"))
	c := testClaims()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Sign(c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify is the full JWT path: what a beacon costs without the
// verified-token cache.
func BenchmarkVerify(b *testing.B) {
	k := testKeyring(b, testKey("k1"))
	tok := sign(b, k, testClaims())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Verify(tok, t0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAllow is the event handler's call for a visitor's beacons after
// the first: a cache hit, then expiry, site, revocation and category.
func BenchmarkAllow(b *testing.B) {
	k := testKeyring(b, testKey("k1"))
	revoked := &RevocationCache{}
	for i := range 10000 {
		revoked.Add(NewConsentID(), i, t0)
	}
	v := NewVerifier(k, revoked)
	tok := sign(b, k, testClaims())
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Allow(tok, "example.com", Statistics, t0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAllowParallel: many handlers sharing one verifier.
func BenchmarkAllowParallel(b *testing.B) {
	k := testKeyring(b, testKey("k1"))
	v := NewVerifier(k, &RevocationCache{})
	toks := make([]string, 64)
	c := testClaims()
	for i := range toks {
		c.Version = i + 1
		toks[i] = sign(b, k, c)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if err := v.Allow(toks[i%len(toks)], "example.com", Statistics, t0); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkAllowRejectForged: a flood of forged tokens never fills the
// cache and costs a full verification each.
func BenchmarkAllowRejectForged(b *testing.B) {
	k := testKeyring(b, testKey("k1"))
	v := NewVerifier(k, &RevocationCache{})
	tok := sign(b, testKeyring(b, testKey("k1"), testKey("zz")), testClaims())
	forged := tok[:len(tok)-2] + "AA"
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Allow(forged, "example.com", Statistics, t0); err == nil {
			b.Fatal("forged token allowed")
		}
	}
}

func BenchmarkParseChoice(b *testing.B) {
	body := []byte(`{"site":"example.com","categories":{"statistics":true,"marketing":false},"revision":3,"lang":"nb","url":"https://example.com/jobs"}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseChoice(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLocalizedEncode(b *testing.B) {
	cfg, err := ParseConfig(readFixture(b, "banner.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		cfg.Localized("nb").Encode()
	}
}
