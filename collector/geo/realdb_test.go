package geo

import (
	"math/rand/v2"
	"net/netip"
	"os"
	"testing"

	"github.com/oschwald/geoip2-golang/v2"
)

// realDBPath is where `make` puts the GeoLite2 City database (git-ignored).
// VARDE_TEST_GEOIP points elsewhere, e.g. at a copy outside the checkout.
func realDBPath(t testing.TB) string {
	t.Helper()
	path := os.Getenv("VARDE_TEST_GEOIP")
	if path == "" {
		path = "../../.cache/GeoLite2-City.mmdb"
	}
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no GeoLite2 City database at %s (set VARDE_TEST_GEOIP): %v", path, err)
	}
	return path
}

func TestRealDatabase(t *testing.T) {
	r, err := Open(realDBPath(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer r.Close()
	t.Logf("database %s built %s", r.db.Metadata.DatabaseType, r.db.Metadata.BuildTime())

	// Answers read from the 2019 GeoLite2 City snapshot `make` fetches,
	// and the same in the 2026-09 build: NTNU's long-standing networks in
	// Trondheim, whose location does not move between builds.
	tests := []struct {
		ip   string
		want Location
	}{
		{"129.241.1.1", Location{"NO", "NO-50", "Trøndelag", "Trondheim"}},
		{"2001:700:100::1", Location{"NO", "NO-50", "Trøndelag", "Trondheim"}},
		{"10.0.0.1", Location{}},
	}
	for _, tt := range tests {
		if got := r.Lookup(netip.MustParseAddr(tt.ip), City); got != tt.want {
			t.Errorf("Lookup(%s, city) = %+v, want %+v", tt.ip, got, tt.want)
		}
	}
	if got := r.Lookup(netip.MustParseAddr("8.8.8.8"), City); got.CountryCode != "US" {
		t.Errorf("Lookup(8.8.8.8).CountryCode = %q, want US", got.CountryCode)
	}
}

// TestRealDatabaseAgreesWithGeoIP2 checks the small decoder against
// geoip2-golang's full City record on a fixed sample of addresses, so a
// field-name mistake in record.go cannot hide behind the tiny test database.
func TestRealDatabaseAgreesWithGeoIP2(t *testing.T) {
	path := realDBPath(t)
	r, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer r.Close()
	full, err := geoip2.Open(path)
	if err != nil {
		t.Fatalf("geoip2.Open: %v", err)
	}
	defer full.Close()

	rng := rand.New(rand.NewPCG(1, 2))
	found := 0
	for range 5000 {
		var b [4]byte
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		ip := netip.AddrFrom4(b)
		if !isPublic(ip) {
			continue
		}
		rec, err := full.City(ip)
		if err != nil {
			t.Fatalf("geoip2 City(%s): %v", ip, err)
		}
		want := Location{CountryCode: rec.Country.ISOCode, City: rec.City.Names.English}
		if want.CountryCode == "" {
			want.City = ""
		}
		if len(rec.Subdivisions) > 0 && want.CountryCode != "" {
			want.RegionCode = want.CountryCode + "-" + rec.Subdivisions[0].ISOCode
			want.RegionName = rec.Subdivisions[0].Names.English
		}
		if got := r.Lookup(ip, City); got != want {
			t.Errorf("Lookup(%s) = %+v, want %+v", ip, got, want)
		}
		if want.CountryCode != "" {
			found++
		}
	}
	if found < 1000 {
		t.Errorf("only %d of 5000 addresses had a country, want most", found)
	}
}
