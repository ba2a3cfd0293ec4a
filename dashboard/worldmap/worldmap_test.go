package worldmap

import (
	"regexp"
	"testing"
)

func TestShapes(t *testing.T) {
	s := Shapes()
	if len(s) < 170 {
		t.Fatalf("got %d shapes, want the ~174 countries of world-atlas 110m", len(s))
	}
	path := regexp.MustCompile(`^(M-?\d+ -?\d+l[-\d ]+z)+$`)
	seen := map[string]bool{}
	for _, sh := range s {
		if !Known(sh.Code) {
			t.Errorf("shape %s: not an ISO 3166-1 code", sh.Code)
		}
		if seen[sh.Code] {
			t.Errorf("shape %s: twice", sh.Code)
		}
		seen[sh.Code] = true
		if !path.MatchString(sh.Path) {
			t.Errorf("shape %s: path %.40q… is not M…l…z", sh.Code, sh.Path)
		}
	}
	for _, c := range []string{"NO", "SE", "US", "BR", "XK", "CY", "SO"} {
		if !seen[c] {
			t.Errorf("no shape for %s", c)
		}
	}
	if seen["AQ"] {
		t.Errorf("Antarctica is on the map, want it left off")
	}
}

func TestName(t *testing.T) {
	tests := []struct{ code, lang, want string }{
		{"NO", "nb", "Norge"}, {"NO", "en", "Norway"}, {"de", "nb", "Tyskland"},
		{"GB", "en", "United Kingdom"}, {"ZZ", "en", "ZZ"}, {"", "nb", ""},
	}
	for _, tt := range tests {
		if got := Name(tt.code, tt.lang); got != tt.want {
			t.Errorf("Name(%q, %q): got %q, want %q", tt.code, tt.lang, got, tt.want)
		}
	}
}
