// Package worldmap holds the dashboard map's country shapes and the ISO
// 3166-1 country names in English and Norwegian bokmål. The data are
// committed files (see gen/ and LICENSE.world-atlas.txt); this package
// only reads them.
package worldmap

//go:generate go run ./gen

import (
	_ "embed"
	"sort"
	"strings"
)

// Width and Height are the map's viewBox.
const (
	Width  = 1000
	Height = 501
)

// Shape is one country's outline as an SVG path in the map's viewBox.
type Shape struct {
	Code string // ISO 3166-1 alpha-2
	Path string
}

var (
	//go:embed countries.tsv
	countriesTSV string
	//go:embed iso3166.tsv
	isoTSV string

	shapes = parseShapes(countriesTSV)
	names  = parseNames(isoTSV)
)

// Shapes returns every country on the map, ordered by code.
func Shapes() []Shape { return shapes }

// Name returns the country's name in lang ("nb" or "en"), or the code
// itself when it is not a known country.
func Name(code, lang string) string {
	n, ok := names[strings.ToUpper(code)]
	if !ok {
		return code
	}
	if lang == "nb" {
		return n[1]
	}
	return n[0]
}

// Known reports whether code is an ISO 3166-1 alpha-2 country code.
func Known(code string) bool {
	_, ok := names[strings.ToUpper(code)]
	return ok
}

func parseShapes(tsv string) []Shape {
	var out []Shape
	for _, line := range strings.Split(tsv, "\n") {
		code, path, ok := strings.Cut(line, "\t")
		if !ok || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, Shape{Code: code, Path: path})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

func parseNames(tsv string) map[string][2]string {
	out := map[string][2]string{}
	for _, line := range strings.Split(tsv, "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 4 || strings.HasPrefix(line, "#") {
			continue
		}
		out[f[0]] = [2]string{f[2], f[3]}
	}
	return out
}
