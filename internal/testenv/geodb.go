package testenv

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// Place is what a test GeoIP database says of a network.
type Place struct {
	Country, RegionCode, RegionName, City string
}

// GeoDB writes a small City-type MaxMind database mapping each CIDR to a
// place, and returns its path. Tests use documentation and public ranges
// with it, since private addresses are never looked up.
func GeoDB(tb testing.TB, places map[string]Place) string {
	tb.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoLite2-City", RecordSize: 24})
	if err != nil {
		tb.Fatal(err)
	}
	for cidr, p := range places {
		_, network, err := net.ParseCIDR(cidr)
		if err != nil {
			tb.Fatal(err)
		}
		rec := mmdbtype.Map{"country": mmdbtype.Map{"iso_code": mmdbtype.String(p.Country)}}
		if p.RegionCode != "" {
			rec["subdivisions"] = mmdbtype.Slice{mmdbtype.Map{
				"iso_code": mmdbtype.String(p.RegionCode),
				"names":    mmdbtype.Map{"en": mmdbtype.String(p.RegionName)},
			}}
		}
		if p.City != "" {
			rec["city"] = mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(p.City)}}
		}
		if err := tree.Insert(network, rec); err != nil {
			tb.Fatal(err)
		}
	}
	path := filepath.Join(tb.TempDir(), "city.mmdb")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	if _, err := tree.WriteTo(f); err != nil {
		tb.Fatal(err)
	}
	return path
}
