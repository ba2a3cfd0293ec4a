package geo

// Location is what Varde stores about where a visitor was. Empty fields mean
// unknown or not allowed by the precision.
type Location struct {
	// CountryCode is the ISO 3166-1 alpha-2 code, e.g. "NO".
	CountryCode string
	// RegionCode is the ISO 3166-2 code of the largest subdivision, built
	// as country + "-" + subdivision, e.g. "NO-03" for Oslo. The country
	// prefix makes the code unique on its own, so a region breakdown never
	// mixes two countries' "03".
	RegionCode string
	// RegionName is the subdivision's English name, e.g. "Oslo County".
	RegionName string
	// City is the city's English name, e.g. "Oslo".
	City string
}

// IsZero reports whether nothing is known.
func (l Location) IsZero() bool { return l == Location{} }
