package geo

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter/mmdbtype"
)

func TestLookupPrecisions(t *testing.T) {
	r, err := Open(cityDB(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer r.Close()

	oslo := Location{CountryCode: "NO", RegionCode: "NO-03", RegionName: "Oslo County", City: "Oslo"}
	tests := []struct {
		name string
		ip   string
		want Location // at City precision; lower precisions are derived
	}{
		{"ipv4 norway", "84.208.10.20", oslo},
		{"ipv4-mapped", "::ffff:84.208.10.20", oslo},
		{"ipv6 norway", "2a01:79c:1::1", Location{"NO", "NO-46", "Vestland", "Bergen"}},
		{"ipv6 ireland", "2a00:1450:4010::1", Location{"IE", "IE-L", "Leinster", "Dublin"}},
		{"non-ascii city", "81.166.1.1", Location{"NO", "NO-18", "Nordland", "Bodø"}},
		{"us", "8.8.8.8", Location{"US", "US-CA", "California", "Mountain View"}},
		{"country only record", "5.5.5.5", Location{CountryCode: "DE"}},
		{"region without city", "193.69.1.1", Location{"NO", "NO-03", "Oslo County", ""}},
		{"lower-case country refused", "6.6.6.6", Location{}},
		{"bad subdivision code dropped", "7.7.7.7", Location{CountryCode: "SE", City: "Stockholm"}},
		{"no country: nothing", "185.107.1.1", Location{}},
		{"only registered country", "2a02:2121::1", Location{}},
		{"empty record", "212.123.1.1", Location{}},
		{"malformed record", "100.100.1.1", Location{}},
		{"not in database", "9.9.9.9", Location{}},
		{"private ipv4", "10.1.2.3", Location{}},
		{"loopback", "127.0.0.1", Location{}},
		{"ipv6 loopback", "::1", Location{}},
		{"link-local", "169.254.1.1", Location{}},
		{"ula", "fd00::1", Location{}},
		{"unspecified", "0.0.0.0", Location{}},
		{"multicast", "224.0.0.1", Location{}},
	}
	for _, tt := range tests {
		ip := netip.MustParseAddr(tt.ip)
		wants := map[Precision]Location{
			City:    tt.want,
			Region:  {CountryCode: tt.want.CountryCode, RegionCode: tt.want.RegionCode, RegionName: tt.want.RegionName},
			Country: {CountryCode: tt.want.CountryCode},
		}
		for p, want := range wants {
			t.Run(tt.name+"/"+p.String(), func(t *testing.T) {
				if got := r.Lookup(ip, p); got != want {
					t.Errorf("Lookup(%s, %s) = %+v, want %+v", tt.ip, p, got, want)
				}
			})
		}
	}
}

func TestLookupInvalidInputs(t *testing.T) {
	r, err := Open(cityDB(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer r.Close()
	if got := r.Lookup(netip.Addr{}, City); !got.IsZero() {
		t.Errorf("Lookup(zero Addr) = %+v, want empty", got)
	}
	if got := r.Lookup(netip.MustParseAddr("84.208.1.1"), Precision(0)); !got.IsZero() {
		t.Errorf("Lookup(precision 0) = %+v, want empty", got)
	}
	if got := r.Lookup(netip.MustParseAddr("fe80::1%eth0"), City); !got.IsZero() {
		t.Errorf("Lookup(link-local with zone) = %+v, want empty", got)
	}
}

func TestCountryDatabase(t *testing.T) {
	path := writeDB(t, "GeoLite2-Country", map[string]mmdbtype.Map{
		"84.208.0.0/16": {"country": mmdbtype.Map{"iso_code": mmdbtype.String("NO")}},
	})
	r, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer r.Close()
	ip := netip.MustParseAddr("84.208.1.1")
	for _, p := range []Precision{Country, Region, City} {
		if got, want := r.Lookup(ip, p), (Location{CountryCode: "NO"}); got != want {
			t.Errorf("Country database Lookup(%s) = %+v, want %+v", p, got, want)
		}
	}
}

func TestOpenUnusable(t *testing.T) {
	garbage := filepath.Join(t.TempDir(), "garbage.mmdb")
	if err := os.WriteFile(garbage, []byte("not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	asn := writeDB(t, "GeoLite2-ASN", map[string]mmdbtype.Map{
		"84.208.0.0/16": {"autonomous_system_number": mmdbtype.Uint32(2119)},
	})
	tests := []struct {
		name string
		path string
	}{
		{"empty path", ""},
		{"missing file", filepath.Join(t.TempDir(), "nope.mmdb")},
		{"not a database", garbage},
		{"wrong database type", asn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Open(tt.path)
			if err == nil {
				t.Fatalf("Open(%q) error = nil, want one", tt.path)
			}
			if r == nil {
				t.Fatalf("Open(%q) resolver = nil, want a usable one", tt.path)
			}
			if r.Available() {
				t.Errorf("Available() = true, want false")
			}
			if got := r.Lookup(netip.MustParseAddr("84.208.1.1"), City); !got.IsZero() {
				t.Errorf("Lookup = %+v, want empty", got)
			}
			if err := r.Close(); err != nil {
				t.Errorf("Close = %v, want nil", err)
			}
		})
	}
	if _, err := Open(""); !errors.Is(err, ErrNoDatabase) {
		t.Errorf("Open(\"\") error = %v, want ErrNoDatabase", err)
	}
}

func TestLookupAfterClose(t *testing.T) {
	r, err := Open(cityDB(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := r.Lookup(netip.MustParseAddr("84.208.1.1"), City); !got.IsZero() {
		t.Errorf("Lookup after Close = %+v, want empty", got)
	}
}

func TestParsePrecision(t *testing.T) {
	tests := []struct {
		in      string
		want    Precision
		wantErr bool
	}{
		{"country", Country, false},
		{"region", Region, false},
		{"city", City, false},
		{"City", 0, true},
		{"", 0, true},
		{"street", 0, true},
	}
	for _, tt := range tests {
		got, err := ParsePrecision(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParsePrecision(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err == nil && got.String() != tt.in {
			t.Errorf("String() = %q, want %q", got.String(), tt.in)
		}
	}
}
