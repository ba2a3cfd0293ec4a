package consent

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDefaultConfigValid(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Errorf("got %v, want the default config to be valid", err)
	}
}

func TestParseConfigFixture(t *testing.T) {
	cfg, err := ParseConfig(readFixture(t, "banner.json"))
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	if cfg.Revision != 2 || len(cfg.Categories) != 4 || !cfg.Categories[0].Required || cfg.Categories[3].Name != "video" {
		t.Errorf("got %+v, want the fixture's revision 2 and four categories", cfg)
	}
	// Round trip through JSON, as the store keeps it.
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ParseConfig(b)
	if err != nil {
		t.Fatalf("ParseConfig(Marshal(cfg)): %v", err)
	}
	b2, _ := json.Marshal(again)
	if string(b) != string(b2) {
		t.Errorf("round trip: got %s, want %s", b2, b)
	}
}

func TestParseConfigDefaults(t *testing.T) {
	cfg, err := ParseConfig([]byte(`{"policy_url":"/personvern"}`))
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	want := DefaultConfig()
	if cfg.Revision != want.Revision || cfg.LifetimeDays != 182 || !cfg.FloatingButton || cfg.DefaultLang != "nb" || len(cfg.Categories) != 3 {
		t.Errorf("got %+v, want the defaults", cfg)
	}
	cfg, err = ParseConfig([]byte(`{"floating_button":false,"categories":[{"name":"necessary"}]}`))
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	if cfg.FloatingButton || !cfg.Categories[0].Required {
		t.Errorf("got floating_button %v, necessary required %v; want false and true", cfg.FloatingButton, cfg.Categories[0].Required)
	}
	// The first category must not inherit the default necessary's fields.
	cfg, err = ParseConfig([]byte(`{"categories":[{"name":"statistics"},{"name":"necessary"}]}`))
	if err != nil || cfg.Categories[0].Required || !cfg.Categories[1].Required {
		t.Errorf("got %+v, %v; want statistics not required, necessary required", cfg.Categories, err)
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", ``, "the body is empty"},
		{"not JSON", `{`, "ends too early"},
		{"trailing data", `{} {}`, "after the JSON object"},
		{"unknown field", `{"colour":"red"}`, `unknown field "colour"`},
		{"wrong type", `{"revision":"3"}`, "revision must be a whole number"},
		{"text wrong type", `{"categories":[{"name":"necessary","label":3}]}`, "label must be a string or an object of strings by language, not number"},
		{"text map wrong type", `{"categories":[{"name":"necessary","label":{"nb":3}}]}`, "label must be a string or an object of strings by language, not number"},
		{"revision zero", `{"revision":0}`, "revision is 0"},
		{"lifetime zero", `{"lifetime_days":0}`, "lifetime_days is 0"},
		{"lifetime over 13 months", `{"lifetime_days":396}`, "between 1 and 395"},
		{"policy ftp", `{"policy_url":"ftp://x.example/p"}`, "policy_url"},
		{"policy javascript", `{"policy_url":"javascript:alert(1)"}`, "policy_url"},
		{"policy protocol-relative", `{"policy_url":"//evil.example/p"}`, "policy_url"},
		{"default lang", `{"default_lang":"fr"}`, `default_lang "fr"`},
		{"no categories", `{"categories":[]}`, "categories is empty"},
		{"no necessary", `{"categories":[{"name":"statistics"}]}`, "must include necessary"},
		{"duplicate", `{"categories":[{"name":"necessary"},{"name":"statistics"},{"name":"statistics"}]}`, "listed twice"},
		{"uppercase name", `{"categories":[{"name":"necessary"},{"name":"Stats","label":"S"}]}`, `categories[1].name "Stats"`},
		{"long name", `{"categories":[{"name":"necessary"},{"name":"` + strings.Repeat("a", 33) + `","label":"x"}]}`, "lowercase slug"},
		{"required other", `{"categories":[{"name":"necessary"},{"name":"statistics","required":true}]}`, "only necessary can be required"},
		{"custom without label", `{"categories":[{"name":"necessary"},{"name":"video"}]}`, "label needs a text in the default language nb"},
		{"label unknown lang", `{"categories":[{"name":"necessary","label":{"fr":"x"}}]}`, `language "fr"`},
		{"unknown text lang", `{"texts":{"fr":{"title":"x"}}}`, `texts has language "fr"`},
		{"unknown text key", `{"texts":{"nb":{"titel":"x"}}}`, "texts.nb.titel is not a text key"},
		{"empty text", `{"texts":{"nb":{"title":""}}}`, "texts.nb.title is empty"},
		{"control char", `{"texts":{"nb":{"title":"a\u0007"}}}`, "control character"},
		{"service without name", `{"categories":[{"name":"necessary","services":[{"name":""}]}]}`, "services[0].name is missing"},
		{"bad cookie domain", `{"categories":[{"name":"necessary","services":[{"name":"x","cookies":[{"name":"c","domain":"a b"}]}]}]}`, "is not a domain name"},
		{"too big", `{"policy_url":"` + strings.Repeat("a", MaxConfigSize) + `"}`, "at most"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tt.in))
			t.Log(err)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestValidateListsEveryProblem(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Revision = 0
	cfg.LifetimeDays = 1000
	cfg.DefaultLang = "xx"
	err := cfg.Validate()
	var ce *ConfigError
	if !errors.As(err, &ce) || len(ce.Problems) != 3 {
		t.Errorf("got %v, want a *ConfigError with 3 problems", err)
	}
}

func TestLocalized(t *testing.T) {
	cfg, err := ParseConfig(readFixture(t, "banner.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		lang, key, want string
	}{
		{"nb", "title", "Vi bruker informasjonskapsler på jobb.example.no"},
		{"nb", "accept_all", "Godta alle"},
		{"en", "title", "Cookies on jobb.example.no"},
		{"de", "title", "Wir verwenden Cookies"},
		{"nn", "reject_all", "Avvis alle"},
		{"fr", "title", "Vi bruker informasjonskapsler på jobb.example.no"}, // default language
	}
	for _, tt := range tests {
		v := cfg.Localized(tt.lang)
		if got := v.Texts[tt.key]; got != tt.want {
			t.Errorf("Localized(%s).Texts[%s]: got %q, want %q", tt.lang, tt.key, got, tt.want)
		}
		if len(v.Texts) != len(textKeys) {
			t.Errorf("Localized(%s): got %d texts, want %d", tt.lang, len(v.Texts), len(textKeys))
		}
	}

	en := cfg.Localized("en")
	cats := en.Categories
	if len(cats) != 4 || cats[0].Name != Necessary || !cats[0].Required || cats[1].Required {
		t.Fatalf("got categories %+v, want necessary (required) first of four", cats)
	}
	checks := []struct{ what, got, want string }{
		{"necessary label", cats[0].Label, "Necessary"},
		{"cookie duration", cats[0].Services[0].Cookies[0].Duration, "6 months"},
		{"statistics description falls back to nb", cats[1].Description, "Varde teller besøk og sidevisninger. Vi ser bare samlede tall, aldri hvem du er."},
		{"service plain string", cats[1].Services[0].Description, "Besøksstatistikk uten informasjonskapsler fra tredjepart."},
		{"marketing built-in", cats[2].Label, "Marketing"},
		{"custom label", cats[3].Label, "Video"},
		{"cookie domain", cats[2].Services[0].Cookies[0].Domain, ".linkedin.com"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.what, c.got, c.want)
		}
	}
	if sv := cfg.Localized("sv"); sv.Categories[3].Label != "Video" || sv.Lang != "sv" {
		t.Errorf("custom label in sv: got %q (lang %s), want the nb label", sv.Categories[3].Label, sv.Lang)
	}
}

func TestLocalizedJSONShape(t *testing.T) {
	body, _ := DefaultConfig().Localized("en").Encode()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"revision", "lang", "policy_url", "lifetime_days", "floating_button", "reload_on_withdraw", "hash_routing", "track_outbound", "track_downloads", "categories", "texts"} {
		if _, ok := m[f]; !ok {
			t.Errorf("banner view JSON lacks %q: %s", f, body)
		}
	}
	// Lists are [] rather than null, so the script need not check.
	if !strings.Contains(string(body), `"services":[]`) {
		t.Errorf("got %s, want empty service lists as []", body)
	}
}

func TestETag(t *testing.T) {
	cfg := DefaultConfig()
	a, b := cfg.Localized("nb").ETag(), cfg.Localized("nb").ETag()
	if a != b {
		t.Errorf("same view: got ETags %s and %s, want equal", a, b)
	}
	if !strings.HasPrefix(a, `"`) || !strings.HasSuffix(a, `"`) {
		t.Errorf("got ETag %s, want a quoted strong ETag", a)
	}
	if en := cfg.Localized("en").ETag(); en == a {
		t.Errorf("nb and en: got equal ETags %s, want different", a)
	}
	cfg.Revision++
	if next := cfg.Localized("nb").ETag(); next == a {
		t.Errorf("new revision: got the same ETag %s, want a new one", a)
	}
}
