package geo

import (
	"net/netip"
	"os"
	"testing"

	"github.com/oschwald/geoip2-golang/v2"
)

// benchDB prefers the real database, whose records and tree depth are what
// production sees; the tiny one keeps the benchmark runnable anywhere.
func benchDB(b *testing.B) (string, netip.Addr) {
	path := os.Getenv("VARDE_TEST_GEOIP")
	if path == "" {
		path = "../../.cache/GeoLite2-City.mmdb"
	}
	if _, err := os.Stat(path); err == nil {
		return path, netip.MustParseAddr("129.240.8.1")
	}
	return cityDB(b), netip.MustParseAddr("84.208.10.20")
}

func BenchmarkLookup(b *testing.B) {
	path, ip := benchDB(b)
	r, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	for _, p := range []Precision{Country, Region, City} {
		b.Run(p.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = r.Lookup(ip, p)
			}
		})
	}
}

// BenchmarkGeoIP2City is the full-record decode this package avoids; it is
// here to show what the small records save.
func BenchmarkGeoIP2City(b *testing.B) {
	path, ip := benchDB(b)
	db, err := geoip2.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.ReportAllocs()
	for b.Loop() {
		_, _ = db.City(ip)
	}
}
