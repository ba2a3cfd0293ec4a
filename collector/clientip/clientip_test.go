package clientip

import (
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	tr := mustTrusted(t, "10.0.0.0/8,127.0.0.1,::1,fd00::/8")
	tests := []struct {
		name string
		peer string
		xff  []string
		want string
	}{
		{name: "untrusted peer, no header", peer: "203.0.113.7", want: "203.0.113.7"},
		{name: "untrusted peer header ignored", peer: "203.0.113.7", xff: []string{"198.51.100.1"}, want: "203.0.113.7"},
		{name: "trusted peer, no header", peer: "127.0.0.1", want: "127.0.0.1"},
		{name: "trusted peer, one hop", peer: "127.0.0.1", xff: []string{"198.51.100.1"}, want: "198.51.100.1"},
		{name: "right-most untrusted wins", peer: "10.0.0.2", xff: []string{"1.1.1.1, 198.51.100.1, 10.0.0.3"}, want: "198.51.100.1"},
		{name: "spoofed left part ignored", peer: "10.0.0.2", xff: []string{"6.6.6.6", "198.51.100.1"}, want: "198.51.100.1"},
		{name: "values read right to left across headers", peer: "10.0.0.2", xff: []string{"198.51.100.1", "10.0.0.9"}, want: "198.51.100.1"},
		{name: "all trusted: left-most", peer: "10.0.0.2", xff: []string{"10.0.0.5, 10.0.0.4"}, want: "10.0.0.5"},
		{name: "malformed right-most: peer", peer: "10.0.0.2", xff: []string{"198.51.100.1, unknown"}, want: "10.0.0.2"},
		{name: "malformed after trusted hop: that hop", peer: "10.0.0.2", xff: []string{"198.51.100.1, bogus, 10.0.0.7"}, want: "10.0.0.7"},
		{name: "malformed left of client irrelevant", peer: "10.0.0.2", xff: []string{"bogus, 198.51.100.1"}, want: "198.51.100.1"},
		{name: "blank entries skipped", peer: "10.0.0.2", xff: []string{"", "198.51.100.1, ,", " "}, want: "198.51.100.1"},
		{name: "ipv4 with port", peer: "10.0.0.2", xff: []string{"198.51.100.1:5123"}, want: "198.51.100.1"},
		{name: "ipv6 bracketed with port", peer: "10.0.0.2", xff: []string{"[2001:db8::1]:443"}, want: "2001:db8::1"},
		{name: "ipv6 bracketed", peer: "10.0.0.2", xff: []string{"[2001:db8::1]"}, want: "2001:db8::1"},
		{name: "ipv6 bare", peer: "::1", xff: []string{"2001:db8::1"}, want: "2001:db8::1"},
		{name: "mapped peer is trusted", peer: "::ffff:127.0.0.1", xff: []string{"198.51.100.1"}, want: "198.51.100.1"},
		{name: "mapped entry unmapped", peer: "127.0.0.1", xff: []string{"::ffff:198.51.100.1"}, want: "198.51.100.1"},
		{name: "mapped peer returned unmapped", peer: "::ffff:203.0.113.7", want: "203.0.113.7"},
		{name: "mapped trusted hop skipped", peer: "127.0.0.1", xff: []string{"198.51.100.1, ::ffff:10.0.0.1"}, want: "198.51.100.1"},
		{name: "zone dropped", peer: "fd00::1", xff: []string{"fe80::1%eth0"}, want: "fe80::1"},
		{name: "ipv6 unbracketed with port is malformed", peer: "10.0.0.2", xff: []string{"2001:db8::1:443:x"}, want: "10.0.0.2"},
		{name: "hostname is malformed", peer: "10.0.0.2", xff: []string{"example.com"}, want: "10.0.0.2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tr.ClientIP(netip.MustParseAddr(tt.peer), tt.xff)
			if want := netip.MustParseAddr(tt.want); got != want {
				t.Errorf("ClientIP(%s, %q) = %s, want %s", tt.peer, tt.xff, got, want)
			}
		})
	}
}

func TestClientIPNoTrust(t *testing.T) {
	peer := netip.MustParseAddr("127.0.0.1")
	for _, tr := range []*Trusted{nil, {}} {
		if got := tr.ClientIP(peer, []string{"198.51.100.1"}); got != peer {
			t.Errorf("ClientIP with no trusted proxies = %s, want peer %s", got, peer)
		}
	}
}

func TestClientIPInvalidPeer(t *testing.T) {
	tr := mustTrusted(t, "0.0.0.0/0")
	if got := tr.ClientIP(netip.Addr{}, []string{"198.51.100.1"}); got.IsValid() {
		t.Errorf("ClientIP(invalid peer) = %s, want the zero Addr", got)
	}
}

func TestClientIPHopLimit(t *testing.T) {
	tr := mustTrusted(t, "10.0.0.0/8")
	xff := []string{"198.51.100.1"}
	for range maxHops + 5 {
		xff = append(xff, "10.0.0.1")
	}
	got := tr.ClientIP(netip.MustParseAddr("10.0.0.2"), xff)
	if want := netip.MustParseAddr("10.0.0.1"); got != want {
		t.Errorf("ClientIP past the hop limit = %s, want the last trusted hop %s", got, want)
	}
}

func BenchmarkClientIP(b *testing.B) {
	tr := mustTrusted(b, "10.0.0.0/8,127.0.0.1,::1")
	peer := netip.MustParseAddr("10.0.0.2")
	xff := []string{"203.0.113.9, 198.51.100.1, 10.0.0.3"}
	b.ReportAllocs()
	for b.Loop() {
		_ = tr.ClientIP(peer, xff)
	}
}
