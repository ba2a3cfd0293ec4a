package clientip

import (
	"net/netip"
	"strings"
)

// maxHops bounds how far left ClientIP walks, so that a huge header costs no
// more than a normal one. Real proxy chains are a handful of hops long.
const maxHops = 32

// ClientIP returns the address of the client: the TCP peer, or, when the peer
// is a trusted proxy, the right-most X-Forwarded-For entry that is not itself
// a trusted proxy. xForwardedFor holds every X-Forwarded-For header value in
// the order received; entries are read right to left across all of them.
//
// A header from an untrusted peer is never read. When an entry is malformed
// the walk stops and the last good hop is returned: that is a trusted proxy,
// whose view of the client is the last one we can believe. Blank entries are
// skipped. The answer is unmapped (IPv4 for ::ffff:a.b.c.d) and has no zone;
// it is the zero Addr only when peer is.
func (t *Trusted) ClientIP(peer netip.Addr, xForwardedFor []string) netip.Addr {
	client := normalize(peer)
	if !client.IsValid() || !t.Contains(client) {
		return client
	}
	hops := 0
	for i := len(xForwardedFor) - 1; i >= 0; i-- {
		rest := xForwardedFor[i]
		for rest != "" {
			var entry string
			if j := strings.LastIndexByte(rest, ','); j >= 0 {
				entry, rest = rest[j+1:], rest[:j]
			} else {
				entry, rest = rest, ""
			}
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			hops++
			if hops > maxHops {
				return client
			}
			addr, ok := ParseForwardedFor(entry)
			if !ok {
				return client
			}
			client = addr
			if !t.Contains(addr) {
				return addr
			}
		}
	}
	// Every hop was a trusted proxy: the left-most one is as far as we can see.
	return client
}

// ParseForwardedFor reads one X-Forwarded-For entry: an IPv4 or IPv6
// address, optionally with a port ("1.2.3.4:5678", "[2001:db8::1]:443"), as
// some proxies write. The result is unmapped and has no zone. Anything else
// ("unknown", obfuscated identifiers, garbage) is not ok.
func ParseForwardedFor(entry string) (netip.Addr, bool) {
	entry = strings.TrimSpace(entry)
	if entry == "" {
		return netip.Addr{}, false
	}
	if entry[0] == '[' {
		if ap, err := netip.ParseAddrPort(entry); err == nil {
			return normalize(ap.Addr()), true
		}
		// "[2001:db8::1]" without a port.
		if entry[len(entry)-1] == ']' {
			if a, err := netip.ParseAddr(entry[1 : len(entry)-1]); err == nil && a.Is6() {
				return normalize(a), true
			}
		}
		return netip.Addr{}, false
	}
	if a, err := netip.ParseAddr(entry); err == nil {
		return normalize(a), true
	}
	// "1.2.3.4:5678": only IPv4 may carry a port without brackets, since an
	// IPv6 address is itself full of colons.
	if ap, err := netip.ParseAddrPort(entry); err == nil && ap.Addr().Is4() {
		return normalize(ap.Addr()), true
	}
	return netip.Addr{}, false
}
