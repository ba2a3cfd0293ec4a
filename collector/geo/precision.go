package geo

import "fmt"

// Precision is how much of a location a site may store.
type Precision uint8

const (
	// Country keeps only the country code.
	Country Precision = iota + 1
	// Region adds the first-level subdivision (county, state).
	Region
	// City adds the city name.
	City
)

// ParsePrecision reads "country", "region" or "city", as given to
// `varde site add --geo`.
func ParsePrecision(s string) (Precision, error) {
	switch s {
	case "country":
		return Country, nil
	case "region":
		return Region, nil
	case "city":
		return City, nil
	}
	return 0, fmt.Errorf("geo: precision %q: want one of country, region, city", s)
}

func (p Precision) String() string {
	switch p {
	case Country:
		return "country"
	case Region:
		return "region"
	case City:
		return "city"
	}
	return fmt.Sprintf("Precision(%d)", uint8(p))
}
