package geo

// The records below name only the fields Varde keeps, so the decoder skips
// everything else in a City record (coordinates, postal code, time zone,
// dozens of translated names) without allocating for it. One struct per
// precision: a country lookup never touches subdivision or city data.

type englishName struct {
	EN string `maxminddb:"en"`
}

type countryRecord struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
}

type subdivision struct {
	ISOCode string      `maxminddb:"iso_code"`
	Names   englishName `maxminddb:"names"`
}

type regionRecord struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	Subdivisions []subdivision `maxminddb:"subdivisions"`
}

type cityRecord struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	Subdivisions []subdivision `maxminddb:"subdivisions"`
	City         struct {
		Names englishName `maxminddb:"names"`
	} `maxminddb:"city"`
}
