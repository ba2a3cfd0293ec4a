package geo

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// cityRec builds a City-shaped record the way MaxMind lays it out, with the
// extra fields Varde must ignore (coordinates, postal code, other languages).
func cityRec(country, subCode, subName, city string) mmdbtype.Map {
	m := mmdbtype.Map{
		"country": mmdbtype.Map{
			"iso_code":   mmdbtype.String(country),
			"geoname_id": mmdbtype.Uint32(3144096),
			"names":      mmdbtype.Map{"en": mmdbtype.String("Norway"), "nb": mmdbtype.String("Norge")},
		},
		"location": mmdbtype.Map{
			"latitude":  mmdbtype.Float64(59.9127),
			"longitude": mmdbtype.Float64(10.7461),
			"time_zone": mmdbtype.String("Europe/Oslo"),
		},
		"postal": mmdbtype.Map{"code": mmdbtype.String("0150")},
	}
	if subCode != "" {
		m["subdivisions"] = mmdbtype.Slice{
			mmdbtype.Map{
				"iso_code": mmdbtype.String(subCode),
				"names":    mmdbtype.Map{"en": mmdbtype.String(subName), "de": mmdbtype.String("x")},
			},
			mmdbtype.Map{
				"iso_code": mmdbtype.String("ZZ"),
				"names":    mmdbtype.Map{"en": mmdbtype.String("Second level")},
			},
		}
	}
	if city != "" {
		m["city"] = mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(city), "ja": mmdbtype.String("オスロ")}}
	}
	return m
}

// writeDB writes a database of the given type with the given records and
// returns its path.
func writeDB(t testing.TB, dbType string, records map[string]mmdbtype.Map) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType: dbType,
		RecordSize:   24,
		// So that a private network can carry data and the test can prove
		// Lookup refuses it before asking the database.
		IncludeReservedNetworks: true,
	})
	if err != nil {
		t.Fatalf("mmdbwriter.New: %v", err)
	}
	for cidr, rec := range records {
		_, network, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatalf("ParseCIDR(%s): %v", cidr, err)
		}
		if err := tree.Insert(network, rec); err != nil {
			t.Fatalf("Insert(%s): %v", cidr, err)
		}
	}
	path := filepath.Join(t.TempDir(), dbType+".mmdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatalf("WriteTo: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func cityDB(t testing.TB) string {
	return writeDB(t, "GeoLite2-City", map[string]mmdbtype.Map{
		"84.208.0.0/16":  cityRec("NO", "03", "Oslo County", "Oslo"),
		"2a01:79c::/32":  cityRec("NO", "46", "Vestland", "Bergen"),
		"8.8.8.0/24":     cityRec("US", "CA", "California", "Mountain View"),
		"5.5.5.0/24":     cityRec("DE", "", "", ""),
		"6.6.6.0/24":     cityRec("no", "03", "Oslo County", "Oslo"),
		"7.7.7.0/24":     cityRec("SE", "bad-code", "Nowhere", "Stockholm"),
		"10.0.0.0/8":     cityRec("NO", "03", "Oslo County", "Oslo"),
		"100.100.0.0/16": {"country": mmdbtype.String("not a map")},
		"2a02:2121::/32": {"registered_country": mmdbtype.Map{"iso_code": mmdbtype.String("GB")}},
		"193.69.0.0/16":  cityRec("NO", "03", "Oslo County", ""),
		"2a00:1450::/32": cityRec("IE", "L", "Leinster", "Dublin"),
		"81.166.0.0/16":  cityRec("NO", "18", "Nordland", "Bodø"),
		"185.107.0.0/16": cityRec("", "03", "Oslo County", "Oslo"),
		"212.123.0.0/16": {},
	})
}
