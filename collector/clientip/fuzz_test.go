package clientip

import (
	"net/netip"
	"strings"
	"testing"
)

// FuzzClientIP feeds arbitrary X-Forwarded-For values through a trusted
// peer. Whatever the header says, the answer is a valid address that is
// either the peer or one of the header's own entries, and a header from an
// untrusted peer changes nothing.
func FuzzClientIP(f *testing.F) {
	for _, s := range []string{
		"198.51.100.1",
		"1.1.1.1, 198.51.100.1, 10.0.0.3",
		"[2001:db8::1]:443, 10.0.0.1",
		"unknown, 10.0.0.1",
		"::ffff:198.51.100.1",
		" , ,",
		"fe80::1%eth0",
	} {
		f.Add(s, "")
	}
	tr := mustTrusted(f, "10.0.0.0/8,127.0.0.1,::1")
	peer := netip.MustParseAddr("10.0.0.2")
	untrusted := netip.MustParseAddr("203.0.113.7")
	f.Fuzz(func(t *testing.T, v1, v2 string) {
		xff := []string{v1, v2}
		got := tr.ClientIP(peer, xff)
		if !got.IsValid() || got.Is4In6() || got.Zone() != "" {
			t.Fatalf("ClientIP(%q) = %v, want a valid unmapped address", xff, got)
		}
		if got != peer && !fromHeader(got, xff) {
			t.Fatalf("ClientIP(%q) = %v, want the peer or a header entry", xff, got)
		}
		if got := tr.ClientIP(untrusted, xff); got != untrusted {
			t.Fatalf("ClientIP(untrusted, %q) = %v, want the peer", xff, got)
		}
	})
}

func fromHeader(addr netip.Addr, xff []string) bool {
	for _, v := range xff {
		for e := range strings.SplitSeq(v, ",") {
			if a, ok := ParseForwardedFor(e); ok && a == addr {
				return true
			}
		}
	}
	return false
}

// FuzzParseForwardedFor checks that an accepted entry always yields a
// valid, unmapped, zone-free address.
func FuzzParseForwardedFor(f *testing.F) {
	for _, s := range []string{"1.2.3.4", "1.2.3.4:80", "[::1]:80", "[::1]", "::1", "::ffff:1.2.3.4", "x", "[", "]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, entry string) {
		a, ok := ParseForwardedFor(entry)
		if !ok {
			if a.IsValid() {
				t.Fatalf("ParseForwardedFor(%q) = %v, false; want the zero Addr", entry, a)
			}
			return
		}
		if !a.IsValid() || a.Is4In6() || a.Zone() != "" {
			t.Fatalf("ParseForwardedFor(%q) = %v, want a valid unmapped address", entry, a)
		}
	})
}
