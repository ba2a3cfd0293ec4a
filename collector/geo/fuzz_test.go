package geo

import (
	"net/netip"
	"strings"
	"testing"
)

// FuzzLookup sends arbitrary addresses, at every precision, through the
// test database: answers are empty or well-formed, never finer than asked.
func FuzzLookup(f *testing.F) {
	f.Add([]byte{84, 208, 10, 20}, uint8(3))
	f.Add([]byte{0x2a, 0x01, 0x07, 0x9c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, uint8(2))
	f.Add([]byte{10, 0, 0, 1}, uint8(1))
	f.Add([]byte{}, uint8(0))
	r, err := Open(cityDB(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte, p uint8) {
		var ip netip.Addr
		switch len(b) {
		case 4:
			ip = netip.AddrFrom4([4]byte(b))
		case 16:
			ip = netip.AddrFrom16([16]byte(b))
		}
		prec := Precision(p % 5)
		loc := r.Lookup(ip, prec)
		if loc.CountryCode != "" && countryCode(loc.CountryCode) == "" {
			t.Fatalf("Lookup(%s) country %q, want two capitals", ip, loc.CountryCode)
		}
		if loc.RegionCode != "" && !strings.HasPrefix(loc.RegionCode, loc.CountryCode+"-") {
			t.Fatalf("Lookup(%s) region %q, want it prefixed by %q", ip, loc.RegionCode, loc.CountryCode)
		}
		if prec < Region && (loc.RegionCode != "" || loc.RegionName != "") || prec < City && loc.City != "" {
			t.Fatalf("Lookup(%s, %s) = %+v, finer than asked", ip, prec, loc)
		}
		if loc.CountryCode == "" && !loc.IsZero() {
			t.Fatalf("Lookup(%s) = %+v: region or city without a country", ip, loc)
		}
	})
}
