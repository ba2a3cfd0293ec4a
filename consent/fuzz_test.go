package consent

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"
)

// Seed corpora live in testdata/fuzz/<FuzzName>/; run a target with
// go test -run '^$' -fuzz '^FuzzParseChoice$' -fuzztime 30s ./consent/

func FuzzParseChoice(f *testing.F) {
	f.Add([]byte(`{"site":"example.com","categories":{"statistics":true,"marketing":false},"revision":3,"lang":"nb","url":"https://example.com/jobs"}`))
	cfg := DefaultConfig()
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := ParseChoice(body)
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) || (ie.Status != 400 && ie.Status != 413) || ie.Msg == "" {
				t.Fatalf("got %v (%T), want an *InputError with 400 or 413", err, err)
			}
			return
		}
		// A parsed choice survives a round trip unchanged.
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) <= MaxChoiceSize {
			again, err := ParseChoice(b)
			if err != nil {
				t.Fatalf("ParseChoice(Marshal(%+v)): %v", c, err)
			}
			if !reflect.DeepEqual(again, c) {
				t.Fatalf("round trip: got %+v, want %+v", again, c)
			}
		}
		d, err := cfg.Decide(c, t0)
		if err != nil {
			return
		}
		if !slices.Contains(d.Granted, Necessary) {
			t.Fatalf("got granted %v, want necessary in it", d.Granted)
		}
		if len(d.Granted)+len(d.Refused) != len(cfg.Categories) {
			t.Fatalf("got %v + %v, want every category once", d.Granted, d.Refused)
		}
		if len(d.PagePath) > maxPagePath {
			t.Fatalf("got a page path of %d bytes", len(d.PagePath))
		}
	})
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"categories":[{"name":"necessary"},{"name":"video","label":"Video"}],"texts":{"en":{"title":"Hi"}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := ParseConfig(b)
		if err != nil {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("parsed config does not validate: %v", err)
		}
		for _, lang := range languages {
			v := cfg.Localized(lang)
			for _, key := range textKeys {
				if v.Texts[key] == "" {
					t.Fatalf("Localized(%s): text %s is empty", lang, key)
				}
			}
			for _, c := range v.Categories {
				if c.Label == "" {
					t.Fatalf("Localized(%s): category %s has no label", lang, c.Name)
				}
			}
			if body, etag := v.Encode(); len(body) == 0 || etag == "" {
				t.Fatal("Encode: empty")
			}
		}
		// What the store keeps parses back to the same thing.
		out, err := json.Marshal(cfg)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseConfig(out)
		if err != nil {
			t.Fatalf("ParseConfig(Marshal(cfg)): %v\n%s", err, out)
		}
		if out2, _ := json.Marshal(again); string(out2) != string(out) {
			t.Fatalf("round trip:\ngot  %s\nwant %s", out2, out)
		}
	})
}

func FuzzVerify(f *testing.F) {
	k := testKeyring(f, testKey("k1"), testKey("k0"))
	f.Add(sign(f, k, testClaims()))
	f.Add("")
	v := NewVerifier(k, &RevocationCache{})
	f.Fuzz(func(t *testing.T, token string) {
		c, err := k.Verify(token, t0.Add(time.Hour))
		aerr := v.Allow(token, "example.com", Statistics, t0.Add(time.Hour))
		if err != nil {
			var te *TokenError
			if !errors.As(err, &te) {
				t.Fatalf("got %v (%T), want a *TokenError", err, err)
			}
			if !errors.Is(aerr, te) {
				t.Fatalf("Allow: got %v, want %v as Verify said", aerr, err)
			}
			return
		}
		// Only a token we signed verifies, and it carries sane claims.
		if msg := c.check(); msg != "" {
			t.Fatalf("verified claims are not sane: %s", msg)
		}
		again := sign(t, k, c)
		if c2, err := k.Verify(again, t0.Add(time.Hour)); err != nil || !reflect.DeepEqual(c2, c) {
			t.Fatalf("re-signed: got %+v, %v, want %+v", c2, err, c)
		}
	})
}
