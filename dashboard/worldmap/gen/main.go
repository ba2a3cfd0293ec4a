// Command gen makes countries.tsv, the country shapes of the dashboard's
// map, from the npm package world-atlas (ISC licence; the shapes are Natural
// Earth's, in the public domain):
//
//	go generate ./dashboard/worldmap   (runs: go run ./gen)
//
// It fetches the package with `npm pack`, checks the tarball's SHA-1,
// decodes countries-110m.json (TopoJSON), projects every ring with the
// Miller projection onto a 1000-unit-wide plane, and writes one line
// per country: ISO alpha-2 code, a tab, an SVG path in relative commands.
// world-atlas names countries by ISO 3166-1 numeric code; iso3166.tsv maps
// them to alpha-2. The output is committed; the dashboard never runs this.
package main

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

const (
	pkg     = "world-atlas@2.0.2"
	tarball = "world-atlas-2.0.2.tgz"
	sha     = "4bca4a578f3a413bd409c3f07f2054fe7375824f"
	member  = "package/countries-110m.json"
	width   = 1000.0
)

// unnamed are the shapes world-atlas gives no ISO number, by name.
var unnamed = map[string]string{"Kosovo": "XK", "N. Cyprus": "CY", "Somaliland": "SO"}

// dropped are left off the map: Antarctica takes a third of its height and
// has no visitors.
var dropped = map[string]bool{"AQ": true}

type topology struct {
	Transform struct {
		Scale     [2]float64 `json:"scale"`
		Translate [2]float64 `json:"translate"`
	} `json:"transform"`
	Arcs    [][][2]float64 `json:"arcs"`
	Objects struct {
		Countries struct {
			Geometries []struct {
				Type       string            `json:"type"`
				ID         string            `json:"id"`
				Arcs       json.RawMessage   `json:"arcs"`
				Properties map[string]string `json:"properties"`
			} `json:"geometries"`
		} `json:"countries"`
	} `json:"objects"`
}

func main() {
	log.SetFlags(0)
	tmp, err := os.MkdirTemp("", "worldmap-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command("npm", "pack", "--silent", pkg, "--pack-destination", tmp)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		log.Fatalf("npm pack %s: %v", pkg, err)
	}
	raw, err := readMember(filepath.Join(tmp, tarball))
	if err != nil {
		log.Fatal(err)
	}
	var topo topology
	if err := json.Unmarshal(raw, &topo); err != nil {
		log.Fatalf("%s: %v", member, err)
	}
	codes, err := numericCodes("iso3166.tsv")
	if err != nil {
		log.Fatal(err)
	}
	arcs := decodeArcs(topo)
	paths := map[string]*strings.Builder{}
	for _, g := range topo.Objects.Countries.Geometries {
		code := codes[g.ID]
		if g.ID == "" {
			code = unnamed[g.Properties["name"]]
		}
		if code == "" {
			log.Fatalf("no ISO code for %q (%s)", g.ID, g.Properties["name"])
		}
		if dropped[code] {
			continue
		}
		var polygons [][][]int
		switch g.Type {
		case "Polygon":
			var p [][]int
			must(json.Unmarshal(g.Arcs, &p))
			polygons = [][][]int{p}
		case "MultiPolygon":
			must(json.Unmarshal(g.Arcs, &polygons))
		default:
			log.Fatalf("%s: unexpected geometry %s", code, g.Type)
		}
		b := paths[code]
		if b == nil {
			b = &strings.Builder{}
			paths[code] = b
		}
		for _, poly := range polygons {
			for _, ring := range poly {
				for _, r := range unwrap(ringPoints(arcs, ring)) {
					writeRing(b, r)
				}
			}
		}
	}
	out, err := os.Create("countries.tsv")
	if err != nil {
		log.Fatal(err)
	}
	w := bufio.NewWriter(out)
	fmt.Fprintf(w, "# Country shapes for the dashboard map, made by gen/main.go from %s\n", pkg)
	fmt.Fprintf(w, "# (Natural Earth 1:110m, public domain). Miller projection, viewBox 0 0 %d %d.\n", int(width), int(math.Round(height())))
	keys := make([]string, 0, len(paths))
	for k := range paths {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "%s\t%s\n", k, paths[k].String())
	}
	must(w.Flush())
	must(out.Close())
	log.Printf("wrote countries.tsv: %d countries", len(keys))
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

func readMember(tgz string) ([]byte, error) {
	b, err := os.ReadFile(tgz)
	if err != nil {
		return nil, err
	}
	sum := sha1.Sum(b)
	if got := hex.EncodeToString(sum[:]); got != sha {
		return nil, fmt.Errorf("%s: SHA-1 %s, want %s", tgz, got, sha)
	}
	f, _ := os.Open(tgz)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", tgz, member, err)
		}
		if h.Name == member {
			return io.ReadAll(tr)
		}
	}
}

// numericCodes maps ISO 3166-1 numeric codes to alpha-2 from iso3166.tsv
// (alpha-2, numeric, English name, Norwegian name).
func numericCodes(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		out[f[1]] = f[0]
	}
	return out, nil
}

// decodeArcs undoes TopoJSON's quantization and delta encoding, giving
// longitude and latitude.
func decodeArcs(t topology) [][][2]float64 {
	out := make([][][2]float64, len(t.Arcs))
	s, tr := t.Transform.Scale, t.Transform.Translate
	for i, arc := range t.Arcs {
		var x, y float64
		pts := make([][2]float64, len(arc))
		for j, d := range arc {
			x += d[0]
			y += d[1]
			pts[j] = [2]float64{x*s[0] + tr[0], y*s[1] + tr[1]}
		}
		out[i] = pts
	}
	return out
}

// ringPoints joins a ring's arcs; ~i means arc i reversed, and each arc
// after the first repeats the previous one's last point.
func ringPoints(arcs [][][2]float64, ring []int) [][2]float64 {
	var pts [][2]float64
	for k, idx := range ring {
		var a [][2]float64
		if idx >= 0 {
			a = arcs[idx]
		} else {
			src := arcs[^idx]
			a = make([][2]float64, len(src))
			for i := range src {
				a[i] = src[len(src)-1-i]
			}
		}
		if k > 0 {
			a = a[1:]
		}
		pts = append(pts, a...)
	}
	return pts
}

// The Miller cylindrical projection: a rectangle, like the Mercator maps
// people know, without Mercator's runaway poles, so Scandinavia stays
// readable. Latitudes from 84°N down to 58°S (below is Antarctica, left off).
func miller(lon, lat float64) (float64, float64) {
	p := lat * math.Pi / 180
	return lon * math.Pi / 180, 1.25 * math.Log(math.Tan(math.Pi/4+0.4*p))
}

var (
	_, yTop = miller(0, 84)
	_, yBot = miller(0, -58)
)

func scale() float64  { return width / (2 * math.Pi) }
func height() float64 { return (yTop - yBot) * scale() }
func toPlane(lon, lat float64) (int, int) {
	x, y := miller(lon, lat)
	return int(math.Round((x + math.Pi) * scale())), int(math.Round((yTop - y) * scale()))
}

// unwrap makes a ring that crosses the antimeridian continuous (longitudes
// past ±180), and returns it with the copy shifted by a full turn that
// covers the other side; the map's viewBox cuts both at the edge.
func unwrap(pts [][2]float64) [][][2]float64 {
	out := make([][2]float64, len(pts))
	shift := 0.0
	for i, p := range pts {
		if i > 0 {
			switch d := p[0] + shift - out[i-1][0]; {
			case d > 180:
				shift -= 360
			case d < -180:
				shift += 360
			}
		}
		out[i] = [2]float64{p[0] + shift, p[1]}
	}
	lo, hi := 0.0, 0.0
	for _, p := range out {
		lo, hi = math.Min(lo, p[0]), math.Max(hi, p[0])
	}
	switch {
	case hi > 180:
		return [][][2]float64{out, shifted(out, -360)}
	case lo < -180:
		return [][][2]float64{out, shifted(out, 360)}
	}
	return [][][2]float64{out}
}

func shifted(pts [][2]float64, by float64) [][2]float64 {
	out := make([][2]float64, len(pts))
	for i, p := range pts {
		out[i] = [2]float64{p[0] + by, p[1]}
	}
	return out
}

// writeRing appends the ring as "M x y l dx dy ... z", dropping points that
// round onto the previous one; a ring that collapses to a dot is left out.
func writeRing(b *strings.Builder, pts [][2]float64) {
	var xs, ys []int
	for _, p := range pts {
		x, y := toPlane(p[0], p[1])
		if n := len(xs); n > 0 && xs[n-1] == x && ys[n-1] == y {
			continue
		}
		xs, ys = append(xs, x), append(ys, y)
	}
	if len(xs) > 1 && xs[0] == xs[len(xs)-1] && ys[0] == ys[len(ys)-1] {
		xs, ys = xs[:len(xs)-1], ys[:len(ys)-1]
	}
	if len(xs) < 3 {
		return
	}
	b.WriteString("M" + strconv.Itoa(xs[0]) + " " + strconv.Itoa(ys[0]) + "l")
	for i := 1; i < len(xs); i++ {
		dx, dy := xs[i]-xs[i-1], ys[i]-ys[i-1]
		if i > 1 && dx >= 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(dx))
		if dy >= 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(dy))
	}
	b.WriteByte('z')
}
