package i18n

import (
	"strings"
	"testing"
	"time"
)

func TestNumbers(t *testing.T) {
	nb, en := Get("nb"), Get("en")
	tests := []struct{ got, want string }{
		{nb.Number(1234.5, 1), "1\u00a0234,5"},
		{en.Number(1234.5, 1), "1,234.5"},
		{nb.Int(1234567), "1\u00a0234\u00a0567"},
		{en.Int(1234567), "1,234,567"},
		{en.Int(999), "999"},
		{en.Int(-1234), "\u22121,234"},
		{en.Number(1.98, 2), "1.98"},
		{en.Number(2.0, 2), "2"},
		{nb.Number(0.5, 1), "0,5"},
		{en.Percent(42), "42%"},
		{nb.Percent(42), "42\u00a0%"},
		{en.Percent(4.25), "4.3%"},
		{en.Change(12.4, true), "+12%"},
		{nb.Change(-5, true), "\u22125\u00a0%"},
		{en.Change(0.2, true), "±0%"},
		{en.Change(1, false), ""},
		{en.Compact(950), "950"},
		{en.Compact(1200), "1.2k"},
		{nb.Compact(1200), "1,2k"},
		{en.Compact(25000), "25k"},
		{en.Compact(3400000), "3.4M"},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("case %d: got %q, want %q", i, tt.got, tt.want)
		}
	}
}

func TestDatesAndDurations(t *testing.T) {
	nb, en := Get("nb"), Get("en")
	d := time.Date(2026, 11, 27, 14, 5, 0, 0, time.UTC)
	may := time.Date(2026, 5, 3, 0, 0, 0, 0, time.UTC)
	tests := []struct{ got, want string }{
		{nb.Date(d), "27. nov. 2026"},
		{en.Date(d), "Nov 27, 2026"},
		{nb.Date(may), "3. mai 2026"},
		{nb.DayMonth(d), "27. nov."},
		{en.DayMonth(d), "Nov 27"},
		{nb.Month(d), "november 2026"},
		{en.Time(d), "14:05"},
		{nb.Range(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), d), "1.–27. nov. 2026"},
		{en.Range(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), d), "Nov 1 – 27, 2026"},
		{en.Range(may, d), "May 3 – Nov 27, 2026"},
		{en.Range(time.Date(2025, 12, 30, 0, 0, 0, 0, time.UTC), d), "Dec 30, 2025 – Nov 27, 2026"},
		{en.Range(d, d), "Nov 27, 2026"},
		{en.Duration(65), "1\u00a0min 05\u00a0s"},
		{nb.Duration(65), "1\u00a0min 05\u00a0s"},
		{en.Duration(42.4), "42\u00a0s"},
		{en.Duration(0), "0\u00a0s"},
		{en.Duration(3720), "1\u00a0h 02\u00a0min"},
		{nb.Duration(3720), "1\u00a0t 02\u00a0min"},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("case %d: got %q, want %q", i, tt.got, tt.want)
		}
	}
}

func TestPick(t *testing.T) {
	tests := []struct{ cookie, header, want string }{
		{"", "nb-NO,nb;q=0.9,en;q=0.8", "nb"},
		{"", "no", "nb"},
		{"", "nn-NO", "nb"},
		{"", "en-GB,en;q=0.9", "en"},
		{"", "de-DE,en;q=0.5", "en"},
		{"", "fr-FR", "en"},
		{"", "", "nb"},
		{"en", "nb-NO", "en"},
		{"nb", "en-US", "nb"},
		{"xx", "en-US", "en"},
		{"", "nb;q=0, en", "en"},
	}
	for _, tt := range tests {
		if got := Pick(tt.cookie, tt.header).Code; got != tt.want {
			t.Errorf("Pick(%q, %q): got %s, want %s", tt.cookie, tt.header, got, tt.want)
		}
	}
}

func TestCatalogsMatch(t *testing.T) {
	for k, v := range english {
		if _, ok := bokmal[k]; !ok {
			t.Errorf("%s: in English only", k)
		}
		if strings.Count(v, "%") != strings.Count(bokmal[k], "%") {
			t.Errorf("%s: the languages have different placeholders: %q, %q", k, v, bokmal[k])
		}
	}
	for k := range bokmal {
		if _, ok := english[k]; !ok {
			t.Errorf("%s: in bokmål only", k)
		}
	}
}

func FuzzPick(f *testing.F) {
	f.Add("", "nb-NO,nb;q=0.9")
	f.Add("en", "*")
	f.Fuzz(func(t *testing.T, cookie, header string) {
		if c := Pick(cookie, header).Code; c != "nb" && c != "en" {
			t.Fatalf("Pick(%q, %q) = %q", cookie, header, c)
		}
	})
}
