package consent

import (
	"encoding/json"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// TestBuiltinTextsComplete walks the built-in texts: every language has
// every key and a label and description for every built-in category, and
// nothing else.
func TestBuiltinTextsComplete(t *testing.T) {
	for _, lang := range languages {
		bl, ok := builtin[lang]
		if !ok {
			t.Errorf("%s: no built-in texts", lang)
			continue
		}
		for _, key := range textKeys {
			if strings.TrimSpace(bl.Texts[key]) == "" {
				t.Errorf("%s: text %q is missing", lang, key)
			}
		}
		for key := range bl.Texts {
			if !knownTextKey(key) {
				t.Errorf("%s: text %q is not a text key", lang, key)
			}
		}
		for _, cat := range DefaultConfig().Categories {
			d := bl.Categories[cat.Name]
			if d.Label == "" || d.Description == "" {
				t.Errorf("%s: category %s lacks a label or description", lang, cat.Name)
			}
		}
		if len(bl.Categories) != len(DefaultConfig().Categories) {
			t.Errorf("%s: got %d categories, want %d", lang, len(bl.Categories), len(DefaultConfig().Categories))
		}
	}
	files, _ := textFiles.ReadDir("texts")
	if len(files) != len(languages) {
		t.Errorf("got %d text files, want one per language (%d)", len(files), len(languages))
	}
}

// TestTextKeysDocumented holds the doc comment of textKeys in step with
// the list, since the banner script relies on it.
func TestTextKeysDocumented(t *testing.T) {
	src, err := os.ReadFile("texts.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range textKeys {
		if !strings.Contains(string(src), "//\t"+key+" ") {
			t.Errorf("text key %q is not documented in the comment on textKeys", key)
		}
	}
}

// TestAcceptAndRejectEqualWeight: the two first-layer choices must read
// as equals; a reject label much longer than accept hints at a dark
// pattern (or a translation slip).
func TestAcceptAndRejectEqualWeight(t *testing.T) {
	for _, lang := range languages {
		a, r := builtin[lang].Texts["accept_all"], builtin[lang].Texts["reject_all"]
		if d := len([]rune(a)) - len([]rune(r)); d > 6 || d < -6 {
			t.Errorf("%s: accept_all %q and reject_all %q differ much in length", lang, a, r)
		}
	}
}

func TestTextJSON(t *testing.T) {
	tests := []struct {
		in   string
		want Text
		out  string
	}{
		{`"Hei"`, Text{"": "Hei"}, `"Hei"`},
		{`{"nb":"Hei","en":"Hi"}`, Text{"nb": "Hei", "en": "Hi"}, `{"en":"Hi","nb":"Hei"}`},
		{`null`, nil, `null`},
	}
	for _, tt := range tests {
		var got Text
		if err := json.Unmarshal([]byte(tt.in), &got); err != nil {
			t.Errorf("Unmarshal(%s): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Unmarshal(%s): got %v, want %v", tt.in, got, tt.want)
		}
		b, _ := json.Marshal(got)
		if string(b) != tt.out {
			t.Errorf("Marshal(%v): got %s, want %s", got, b, tt.out)
		}
	}
	var bad Text
	if err := json.Unmarshal([]byte(`3`), &bad); err == nil {
		t.Error("Unmarshal(3): got no error, want one")
	}
}

func TestTextIn(t *testing.T) {
	tx := Text{"nb": "Hei", "": "Hello"}
	for _, tt := range []struct{ lang, fallback, want string }{
		{"nb", "en", "Hei"},
		{"sv", "nb", "Hei"},
		{"sv", "en", "Hello"},
	} {
		if got := tx.In(tt.lang, tt.fallback); got != tt.want {
			t.Errorf("In(%s, %s): got %q, want %q", tt.lang, tt.fallback, got, tt.want)
		}
	}
	keys := TextKeys()
	sort.Strings(keys)
	keys[0] = "changed"
	if TextKeys()[0] == "changed" {
		t.Error("TextKeys returned the package's own slice")
	}
}
