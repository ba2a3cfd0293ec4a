package consent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Defaults of a site's banner configuration.
const (
	DefaultLang         = "nb"
	DefaultLifetimeDays = 182 // about six months, then the banner asks again
	MaxLifetimeDays     = 395 // 13 months, the CNIL's maximum for a consent
	Necessary           = "necessary"
	Statistics          = "statistics"
	Marketing           = "marketing"

	// MaxConfigSize bounds a banner configuration file.
	MaxConfigSize = 256 << 10
)

// Config is what a site owner configures for the banner and the tracker,
// imported with `varde site set DOMAIN --banner FILE` and kept in the store.
// The zero value is not useful; start from DefaultConfig or ParseConfig.
type Config struct {
	// Revision starts at 1. Raising it makes every visitor's banner ask
	// again; raise it when categories or what they cover change.
	Revision int `json:"revision"`
	// PolicyURL links the site's privacy policy: an http(s) URL or a path
	// on the site ("/personvern"). Empty hides the link; set it.
	PolicyURL string `json:"policy_url"`
	// LifetimeDays is how long a choice (a refusal too) and its token
	// last before the banner asks again; 1..395, default 182.
	LifetimeDays int `json:"lifetime_days"`
	// FloatingButton shows a small button that reopens the settings;
	// default true.
	FloatingButton bool `json:"floating_button"`
	// ReloadOnWithdraw reloads the page after a category is withdrawn, for
	// scripts that cannot be stopped once running.
	ReloadOnWithdraw bool `json:"reload_on_withdraw"`
	// HashRouting counts a change of location.hash as a pageview.
	HashRouting bool `json:"hash_routing"`
	// TrackOutbound and TrackDownloads send events for clicks on links to
	// other sites and to files.
	TrackOutbound  bool `json:"track_outbound"`
	TrackDownloads bool `json:"track_downloads"`
	// DefaultLang is used when none of the visitor's languages is
	// supported; default "nb".
	DefaultLang string `json:"default_lang"`
	// Categories in the order the settings layer lists them. necessary
	// must be one of them. Default: necessary, statistics, marketing.
	Categories []Category `json:"categories"`
	// Texts overrides UI texts by language, then by text key (TextKeys).
	Texts map[string]map[string]string `json:"texts,omitempty"`
}

// Category is a purpose the visitor can grant or refuse as a whole.
type Category struct {
	// Name is a lowercase slug, [a-z][a-z0-9_-]{0,31}, sent in choices and
	// carried in tokens.
	Name string `json:"name"`
	// Required is true for necessary only, which is always granted.
	Required bool `json:"required,omitempty"`
	// Label and Description override the built-in texts of necessary,
	// statistics and marketing; other categories must give a label in the
	// default language (or as a plain string).
	Label       Text      `json:"label,omitempty"`
	Description Text      `json:"description,omitempty"`
	Services    []Service `json:"services,omitempty"`
}

// Service is a tool a category covers, e.g. "Varde" or "LinkedIn Insight".
type Service struct {
	Name        string   `json:"name"`
	Description Text     `json:"description,omitempty"`
	Cookies     []Cookie `json:"cookies,omitempty"`
}

// Cookie is a cookie or other storage a service sets. Domain is empty for
// the site's own domain; the banner deletes listed cookies on withdrawal.
type Cookie struct {
	Name     string `json:"name"`
	Domain   string `json:"domain,omitempty"`
	Duration Text   `json:"duration,omitempty"`
	Purpose  Text   `json:"purpose,omitempty"`
}

// DefaultConfig returns the configuration a new site starts with: revision
// 1, the three built-in categories and the built-in texts.
func DefaultConfig() Config {
	return Config{
		Revision:       1,
		LifetimeDays:   DefaultLifetimeDays,
		FloatingButton: true,
		DefaultLang:    DefaultLang,
		Categories: []Category{
			{Name: Necessary, Required: true},
			{Name: Statistics},
			{Name: Marketing},
		},
	}
}

// ParseConfig reads a banner configuration from JSON. Fields left out keep
// their defaults (DefaultConfig); unknown fields, trailing data and invalid
// values are errors that name the field.
func ParseConfig(b []byte) (Config, error) {
	if len(b) > MaxConfigSize {
		return Config{}, fmt.Errorf("consent: banner config is %d bytes, at most %d are allowed", len(b), MaxConfigSize)
	}
	// Decode onto the defaults, except categories: encoding/json reuses a
	// slice's elements, so a file's first category would inherit fields of
	// the default necessary.
	cfg := DefaultConfig()
	cfg.Categories = nil
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return Config{}, fmt.Errorf("consent: banner config: %s", JSONProblem(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Config{}, errors.New("consent: banner config: unexpected data after the JSON object")
	}
	if cfg.Categories == nil {
		cfg.Categories = DefaultConfig().Categories
	}
	// necessary is required whether or not the file says so.
	for i := range cfg.Categories {
		if cfg.Categories[i].Name == Necessary {
			cfg.Categories[i].Required = true
		}
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// Lifetime is how long a choice and its token are valid.
func (c Config) Lifetime() time.Duration {
	return time.Duration(c.LifetimeDays) * 24 * time.Hour
}

// Category returns the named category and whether the site has it.
func (c Config) Category(name string) (Category, bool) {
	for _, cat := range c.Categories {
		if cat.Name == name {
			return cat, true
		}
	}
	return Category{}, false
}

// JSONProblem turns an encoding/json error into a sentence for a person
// (the collector's beacons and the consent API say the same).
func JSONProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d: %v", syn.Offset, syn)
	case errors.As(err, &typ):
		if typ.Field != "" {
			return fmt.Sprintf("%s must be %s, not %s", typ.Field, jsonKind(typ.Type.String()), typ.Value)
		}
		return fmt.Sprintf("expected %s, not %s", jsonKind(typ.Type.String()), typ.Value)
	case errors.Is(err, io.EOF):
		return "the body is empty"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the JSON ends too early"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// jsonKind names a Go type the way a JSON author thinks of it.
func jsonKind(goType string) string {
	switch goType {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int64":
		return "a whole number"
	case "consent.Text":
		return "a string or an object of strings by language"
	}
	if len(goType) > 2 && goType[:2] == "[]" {
		return "a list"
	}
	return "an object"
}
