package geo

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/oschwald/maxminddb-golang/v2"
)

// ErrNoDatabase is returned by Open when no database path is configured.
var ErrNoDatabase = errors.New("geo: no database configured, locations will be unknown")

// Resolver answers location lookups. It is safe for concurrent use.
type Resolver struct {
	db *maxminddb.Reader
}

// Open opens the MaxMind-format City or Country database at path (GeoLite2,
// GeoIP2, DB-IP's compatible files).
//
// Open always returns a usable Resolver. When path is "", the file is missing
// or unreadable, or it is not a City or Country database, the Resolver
// answers every lookup with an empty Location and err says why (ErrNoDatabase
// for an empty path): the caller logs err once as a warning and carries on,
// since analytics without location beats no analytics.
func Open(path string) (*Resolver, error) {
	if path == "" {
		return &Resolver{}, ErrNoDatabase
	}
	db, err := maxminddb.Open(path)
	if err != nil {
		return &Resolver{}, fmt.Errorf("geo: open %s: %w, locations will be unknown", path, err)
	}
	if !isLocationDB(db.Metadata.DatabaseType) {
		db.Close()
		return &Resolver{}, fmt.Errorf("geo: open %s: database type %q has no locations, locations will be unknown", path, db.Metadata.DatabaseType)
	}
	return &Resolver{db: db}, nil
}

// isLocationDB accepts the database types that carry a "country" record.
// The list follows geoip2-golang's City/Country readers.
func isLocationDB(t string) bool {
	switch t {
	case "GeoLite2-City", "GeoLite2-Country",
		"GeoIP2-City", "GeoIP2-Country", "GeoIP2-Precision-City",
		"GeoIP2-City-Africa", "GeoIP2-City-Asia-Pacific", "GeoIP2-City-Europe",
		"GeoIP2-City-North-America", "GeoIP2-City-South-America",
		"GeoIP-City-Redacted-US", "GeoIP2-Enterprise", "GeoIP-Enterprise-Redacted-US",
		"DBIP-City-Lite", "DBIP-Country-Lite", "DBIP-Country",
		"DBIP-Location (compat=City)", "DBIP-ISP (compat=Enterprise)",
		"DBIP-Location-ISP (compat=Enterprise)":
		return true
	}
	return false
}

// Available reports whether lookups can find anything.
func (r *Resolver) Available() bool { return r != nil && r.db != nil }

// Close releases the database. Lookups after Close answer unknown; Close
// must not run concurrently with Lookup, since the file is unmapped.
func (r *Resolver) Close() error {
	if r == nil || r.db == nil {
		return nil
	}
	db := r.db
	r.db = nil
	return db.Close()
}

// Lookup returns ip's location at precision p. Private, loopback, link-local
// and other non-public addresses, addresses the database does not know, and
// a Resolver without a database all answer the empty Location. A damaged
// record also answers empty: a lookup is best effort and never fails the
// request.
func (r *Resolver) Lookup(ip netip.Addr, p Precision) Location {
	if !r.Available() {
		return Location{}
	}
	ip = ip.WithZone("").Unmap()
	if !isPublic(ip) {
		return Location{}
	}
	res := r.db.Lookup(ip)
	if !res.Found() {
		return Location{}
	}
	switch p {
	case Country:
		var rec countryRecord
		if res.Decode(&rec) != nil {
			return Location{}
		}
		return Location{CountryCode: countryCode(rec.Country.ISOCode)}
	case Region:
		var rec regionRecord
		if res.Decode(&rec) != nil {
			return Location{}
		}
		loc := Location{CountryCode: countryCode(rec.Country.ISOCode)}
		loc.RegionCode, loc.RegionName = region(loc.CountryCode, rec.Subdivisions)
		return loc
	case City:
		var rec cityRecord
		if res.Decode(&rec) != nil {
			return Location{}
		}
		loc := Location{CountryCode: countryCode(rec.Country.ISOCode)}
		loc.RegionCode, loc.RegionName = region(loc.CountryCode, rec.Subdivisions)
		if loc.CountryCode != "" {
			loc.City = rec.City.Names.EN
		}
		return loc
	}
	return Location{}
}

func isPublic(ip netip.Addr) bool {
	return ip.IsValid() && ip.IsGlobalUnicast() && !ip.IsPrivate()
}

// countryCode accepts only two ASCII capitals, so a malformed database
// cannot smuggle arbitrary text into a column meant for codes.
func countryCode(s string) string {
	if len(s) != 2 || !isUpper(s[0]) || !isUpper(s[1]) {
		return ""
	}
	return s
}

// region takes the first (largest) subdivision. Without a valid country the
// code could not be qualified, so region is left unknown too.
func region(country string, subs []subdivision) (code, name string) {
	if country == "" || len(subs) == 0 {
		return "", ""
	}
	s := subs[0]
	if !isSubdivisionCode(s.ISOCode) {
		return "", ""
	}
	return country + "-" + s.ISOCode, s.Names.EN
}

// isSubdivisionCode follows ISO 3166-2: one to three letters or digits
// after the country prefix.
func isSubdivisionCode(s string) bool {
	if len(s) < 1 || len(s) > 3 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isUpper(c) && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
