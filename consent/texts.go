package consent

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
)

// textKeys are documented on TextKeys; TestTextKeysDocumented keeps the
// two in step.
var textKeys = []string{
	"title", "body", "policy_link", "accept_all", "reject_all", "settings",
	"save", "close", "settings_title", "settings_body", "always_on",
	"services", "cookies", "consent_id", "your_choices", "withdraw",
	"withdrawn", "gpc_notice", "reopen",
}

// TextKeys returns the UI text keys the banner script reads. They are part of
// the contract with consent/web and with site owners' overrides: rename
// none of them.
//
//	title           heading of the first layer
//	body            first layer's short text
//	policy_link     label of the link to the site's privacy policy
//	accept_all      button: grant every category
//	reject_all      button: grant only necessary
//	settings        button: open the settings layer
//	save            button: save the switches in the settings layer
//	close           button: close the settings layer without deciding
//	settings_title  heading of the settings layer
//	settings_body   short text at the top of the settings layer
//	always_on       shown instead of a switch for necessary
//	services        heading of a category's list of services
//	cookies         heading of a service's list of cookies
//	consent_id      label of the visitor's consent ID
//	your_choices    heading of the visitor's current choices
//	withdraw        button: withdraw the consent and erase its records
//	withdrawn       confirmation shown after withdrawal
//	gpc_notice      shown in settings when Global Privacy Control denied
//	                everything non-essential
//	reopen          aria-label of the floating button that reopens settings
//
// Category labels and descriptions are not text keys: they belong to each
// category (Category.Label, Category.Description), with built-in defaults
// for necessary, statistics and marketing.
func TextKeys() []string { return slices.Clone(textKeys) }

func knownTextKey(key string) bool { return slices.Contains(textKeys, key) }

// builtinLang is one language's built-in texts, from texts/LANG.json.
type builtinLang struct {
	Texts      map[string]string `json:"texts"`
	Categories map[string]struct {
		Label       string `json:"label"`
		Description string `json:"description"`
	} `json:"categories"`
}

//go:embed texts/*.json
var textFiles embed.FS

// builtin holds the shipped texts by language. The files are data in JSON
// so translators need not read Go, and the script's bundle can embed the
// same nb and en texts. TestBuiltinTextsComplete holds them complete.
var builtin = loadBuiltin()

func loadBuiltin() map[string]builtinLang {
	out := make(map[string]builtinLang, len(languages))
	for _, lang := range languages {
		b, err := textFiles.ReadFile("texts/" + lang + ".json")
		if err != nil {
			panic(fmt.Sprintf("consent: built-in texts for %s: %v", lang, err))
		}
		var bl builtinLang
		if err := json.Unmarshal(b, &bl); err != nil {
			panic(fmt.Sprintf("consent: built-in texts for %s: %v", lang, err))
		}
		out[lang] = bl
	}
	return out
}

// Text is a text in several languages, keyed by language. In JSON it is
// either an object ({"nb": "...", "en": "..."}) or a plain string, which is
// used for every language (stored under the key "").
type Text map[string]string

// In returns the text in lang, else in fallback, else the text for every
// language, else "".
func (t Text) In(lang, fallback string) string {
	if s, ok := t[lang]; ok {
		return s
	}
	if s, ok := t[fallback]; ok {
		return s
	}
	return t[""]
}

// UnmarshalJSON accepts a plain string or an object of strings by language.
func (t *Text) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*t = Text{"": s}
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) {
			// Name the whole Text; the decoder adds the field path.
			return &json.UnmarshalTypeError{Value: typ.Value, Type: reflect.TypeFor[Text](), Offset: typ.Offset}
		}
		return err
	}
	*t = m
	return nil
}

// MarshalJSON writes a text for every language back as a plain string.
func (t Text) MarshalJSON() ([]byte, error) {
	if s, ok := t[""]; ok && len(t) == 1 {
		return json.Marshal(s)
	}
	return json.Marshal(map[string]string(t))
}
