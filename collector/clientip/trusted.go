package clientip

import (
	"fmt"
	"net/netip"
	"strings"
)

// Trusted is a set of proxy networks whose X-Forwarded-For we believe. The
// zero value and a nil *Trusted trust nobody. It is safe for concurrent use
// once built.
type Trusted struct {
	prefixes []netip.Prefix
}

// ParseTrusted reads a comma-separated list of CIDRs or bare addresses, as
// given to --trusted-proxies (e.g. "10.0.0.0/8,127.0.0.1,::1"). Blank
// entries are skipped so that a trailing comma is harmless. A bad entry is an
// error that names it.
func ParseTrusted(list string) (*Trusted, error) {
	t := &Trusted{}
	for entry := range strings.SplitSeq(list, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		p, err := parseEntry(entry)
		if err != nil {
			return nil, fmt.Errorf("clientip: trusted proxy %q: %w", entry, err)
		}
		t.prefixes = append(t.prefixes, p)
	}
	return t, nil
}

func parseEntry(entry string) (netip.Prefix, error) {
	if strings.Contains(entry, "/") {
		p, err := netip.ParsePrefix(entry)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("not a CIDR: %w", err)
		}
		addr, bits := p.Addr(), p.Bits()
		// Addresses are unmapped before matching, so a mapped prefix
		// (::ffff:10.0.0.0/104) must become its IPv4 form or it would
		// never match anything.
		if addr.Is4In6() {
			if bits < 96 {
				return netip.Prefix{}, fmt.Errorf("IPv4-mapped prefix shorter than /96")
			}
			addr, bits = addr.Unmap(), bits-96
		}
		return netip.PrefixFrom(addr, bits).Masked(), nil
	}
	addr, err := netip.ParseAddr(entry)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("not an IP address or CIDR: %w", err)
	}
	addr = normalize(addr)
	return netip.PrefixFrom(addr, addr.BitLen()), nil
}

// Contains reports whether addr is a trusted proxy.
func (t *Trusted) Contains(addr netip.Addr) bool {
	if t == nil {
		return false
	}
	addr = normalize(addr)
	for _, p := range t.prefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// Len is the number of trusted networks; zero means no proxy is trusted.
func (t *Trusted) Len() int {
	if t == nil {
		return 0
	}
	return len(t.prefixes)
}

// String lists the trusted networks in the form ParseTrusted reads, for a
// start-up line that says what the operator configured.
func (t *Trusted) String() string {
	if t == nil {
		return ""
	}
	parts := make([]string, len(t.prefixes))
	for i, p := range t.prefixes {
		parts[i] = p.String()
	}
	return strings.Join(parts, ",")
}

// normalize drops the zone and the IPv4-in-IPv6 mapping so that
// "::ffff:127.0.0.1" from a dual-stack listener compares equal to
// "127.0.0.1" from the operator's list.
func normalize(addr netip.Addr) netip.Addr {
	return addr.WithZone("").Unmap()
}
