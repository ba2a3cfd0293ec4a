package identity

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"net/netip"
	"sync"
	"testing"
)

var (
	ipA   = netip.MustParseAddr("198.51.100.1")
	saltA = bytes.Repeat([]byte{1}, SaltSize)
	saltB = bytes.Repeat([]byte{2}, SaltSize)
)

const chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

func TestVisitorIDStable(t *testing.T) {
	a := VisitorID(saltA, "example.com", ipA, chrome)
	b := VisitorID(bytes.Clone(saltA), "example.com", ipA, chrome)
	if a != b {
		t.Errorf("same inputs: got %x and %x, want equal", a, b)
	}
}

func TestVisitorIDKnownAnswer(t *testing.T) {
	// The encoding is part of the contract between releases: ids from
	// before and after an upgrade on the same day must agree.
	var msg []byte
	msg = append(msg, 11)
	msg = append(msg, "example.com"...)
	ip := ipA.As16()
	msg = append(msg, ip[:]...)
	msg = append(msg, 2)
	msg = append(msg, "ua"...)
	h := hmac.New(sha256.New, saltA)
	h.Write(msg)
	want := binary.BigEndian.Uint64(h.Sum(nil))
	if got := VisitorID(saltA, "example.com", ipA, "ua"); got != want {
		t.Errorf("VisitorID = %x, want %x", got, want)
	}
}

func TestVisitorIDDiffers(t *testing.T) {
	base := VisitorID(saltA, "example.com", ipA, chrome)
	tests := []struct {
		name string
		got  uint64
	}{
		{"other salt", VisitorID(saltB, "example.com", ipA, chrome)},
		{"other site", VisitorID(saltA, "example.org", ipA, chrome)},
		{"other ip", VisitorID(saltA, "example.com", netip.MustParseAddr("198.51.100.2"), chrome)},
		{"other ua", VisitorID(saltA, "example.com", ipA, chrome+" ")},
		{"ipv6", VisitorID(saltA, "example.com", netip.MustParseAddr("2001:db8::1"), chrome)},
	}
	for _, tt := range tests {
		if tt.got == base {
			t.Errorf("%s: got %x, want an id different from %x", tt.name, tt.got, base)
		}
	}
}

func TestVisitorIDFieldBoundaries(t *testing.T) {
	tests := []struct {
		name       string
		site1, ua1 string
		site2, ua2 string
	}{
		{"site ab+c vs a+bc", "ab", "c", "a", "bc"},
		{"empty site", "", "abc", "abc", ""},
		{"length byte lookalike", "a\x01", "b", "a", "\x01b"},
	}
	for _, tt := range tests {
		a := VisitorID(saltA, tt.site1, ipA, tt.ua1)
		b := VisitorID(saltA, tt.site2, ipA, tt.ua2)
		if a == b {
			t.Errorf("%s: got equal ids %x, want different", tt.name, a)
		}
	}
}

func TestVisitorIDMappedIsSameVisitor(t *testing.T) {
	a := VisitorID(saltA, "example.com", ipA, chrome)
	b := VisitorID(saltA, "example.com", netip.MustParseAddr("::ffff:198.51.100.1"), chrome)
	if a != b {
		t.Errorf("mapped address: got %x, want %x", b, a)
	}
}

func TestVisitorIDInvalidIP(t *testing.T) {
	// Must not panic, and must equal the all-zero IPv6 address.
	a := VisitorID(saltA, "example.com", netip.Addr{}, chrome)
	b := VisitorID(saltA, "example.com", netip.IPv6Unspecified(), chrome)
	if a != b {
		t.Errorf("invalid ip: got %x, want %x", a, b)
	}
}

func TestVisitorIDConcurrentSalts(t *testing.T) {
	wantA := VisitorID(saltA, "example.com", ipA, chrome)
	wantB := VisitorID(saltB, "example.com", ipA, chrome)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 1000 {
				salt, want := saltA, wantA
				if i%2 == 1 {
					salt, want = saltB, wantB
				}
				if got := VisitorID(salt, "example.com", ipA, chrome); got != want {
					t.Errorf("concurrent: got %x, want %x", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestNewSalt(t *testing.T) {
	a, err := NewSalt()
	if err != nil {
		t.Fatalf("NewSalt: %v", err)
	}
	b, err := NewSalt()
	if err != nil {
		t.Fatalf("NewSalt: %v", err)
	}
	if len(a) < 16 {
		t.Errorf("len(salt) = %d, want at least 16", len(a))
	}
	if bytes.Equal(a, b) {
		t.Errorf("two salts are equal: %x", a)
	}
}

func BenchmarkVisitorID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = VisitorID(saltA, "example.com", ipA, chrome)
	}
}
