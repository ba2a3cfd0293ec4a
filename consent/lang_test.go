package consent

import (
	"slices"
	"testing"
)

func TestResolveLang(t *testing.T) {
	en := DefaultConfig()
	en.DefaultLang = "en"
	tests := []struct {
		requested []string
		cfg       Config
		want      string
	}{
		{nil, DefaultConfig(), "nb"},
		{nil, en, "en"},
		{[]string{"no"}, en, "nb"},
		{[]string{"nb-NO"}, en, "nb"},
		{[]string{"nb_NO"}, en, "nb"},
		{[]string{"no-NO"}, en, "nb"},
		{[]string{"NO"}, en, "nb"},
		{[]string{"nn-NO"}, en, "nn"},
		{[]string{"nn"}, en, "nn"},
		{[]string{"en-GB"}, DefaultConfig(), "en"},
		{[]string{"en_US"}, DefaultConfig(), "en"},
		{[]string{"sv-SE"}, DefaultConfig(), "sv"},
		{[]string{"sv-FI"}, DefaultConfig(), "sv"},
		{[]string{"da-DK"}, DefaultConfig(), "da"},
		{[]string{"de-AT"}, DefaultConfig(), "de"},
		{[]string{"fr-FR", "de-DE", "en"}, DefaultConfig(), "de"},
		{[]string{"fr", "pl"}, en, "en"},
		{[]string{"", " ", "-"}, DefaultConfig(), "nb"},
		{[]string{" sv "}, DefaultConfig(), "sv"},
		{[]string{"english"}, DefaultConfig(), "nb"},
	}
	for _, tt := range tests {
		if got := ResolveLang(tt.requested, tt.cfg); got != tt.want {
			t.Errorf("ResolveLang(%q, default %s): got %q, want %q", tt.requested, tt.cfg.DefaultLang, got, tt.want)
		}
	}
}

func TestParseAcceptLanguage(t *testing.T) {
	tests := []struct {
		header string
		want   []string
	}{
		{"", []string{}},
		{"nb-NO,nb;q=0.9,no;q=0.8,nn;q=0.7,en-US;q=0.6,en;q=0.5", []string{"nb-NO", "nb", "no", "nn", "en-US", "en"}},
		{"en;q=0.5, sv", []string{"sv", "en"}},
		{"de;q=0, fr, *;q=0.1", []string{"fr"}},
		{"da;q=abc, de", []string{"de"}},
		{"da;q=2, de", []string{"de"}},
		{"en;q=0.8,nb;q=0.8", []string{"en", "nb"}},
	}
	for _, tt := range tests {
		if got := ParseAcceptLanguage(tt.header); !slices.Equal(got, tt.want) {
			t.Errorf("ParseAcceptLanguage(%q): got %q, want %q", tt.header, got, tt.want)
		}
	}
}
