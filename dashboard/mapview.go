package dashboard

import (
	"math"

	"github.com/varde/varde/dashboard/i18n"
	"github.com/varde/varde/dashboard/worldmap"
)

// worldMap is the map of visitors by country: every country's shape,
// shaded in one of five steps by its visitors relative to the top country
// (on a square-root scale, so that small countries still show), and a link
// that filters the page by it.
type worldMap struct {
	W, H      int
	Countries []mapCountry
	Legend    []string // the visitors each shade starts at
}

type mapCountry struct {
	Code     string
	Path     string
	Shade    int // 0 (no visitors) to 5
	Link     string
	Title    string
	Selected bool
}

const mapShades = 5

func newWorldMap(b breakdown, v view, l i18n.Lang, base string) worldMap {
	visitors := map[string]float64{}
	top := 0.0
	for _, r := range b.Rows {
		visitors[r.value] = r.first
		top = math.Max(top, r.first)
	}
	selected := v.Value("visit:country")
	m := worldMap{W: worldmap.Width, H: worldmap.Height}
	for _, s := range worldmap.Shapes() {
		c := mapCountry{Code: s.Code, Path: s.Path, Selected: s.Code == selected}
		if n := visitors[s.Code]; n > 0 && top > 0 {
			c.Shade = max(1, int(math.Ceil(math.Sqrt(n/top)*mapShades)))
			c.Link = base + v.WithFilter("visit:country", s.Code)
			c.Title = l.T("map.title", worldmap.Name(s.Code, l.Code), l.Int(int64(n)))
		}
		m.Countries = append(m.Countries, c)
	}
	if top > 0 {
		for i := range mapShades {
			from := top * math.Pow(float64(i)/mapShades, 2)
			m.Legend = append(m.Legend, l.Int(int64(math.Ceil(from))))
		}
	}
	return m
}
