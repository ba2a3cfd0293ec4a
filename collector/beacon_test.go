package collector

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseBeacon(t *testing.T) {
	good := `{"site":"Example.no","name":"pageview","url":"https://example.no/a","referrer":"","width":1280.7,"props":{"b":true,"a":"x","n":3},"token":"t","later":"ignored"}`
	b, err := parseBeacon([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if b.Site != "example.no" || b.Width != 1280 || strings.Join(b.PropKeys, ",") != "a,b,n" || strings.Join(b.PropValues, ",") != "x,true,3" {
		t.Errorf("parsed: got %+v", b)
	}
	for _, c := range []struct{ body, says string }{
		{``, "empty"},
		{`[]`, "JSON object"},
		{`{"site":"a"} {}`, "more than one"},
		{`{"name":"x","url":"https://a/"}`, "no site"},
		{`{"site":"a","url":"https://a/"}`, "no name"},
		{`{"site":"a","name":"x"}`, "no url"},
		{`{"site":"a","name":"x","url":"u","width":-1}`, "width"},
		{`{"site":"a","name":"x","url":"u","width":"wide"}`, "width"},
		{`{"site":"a","name":"` + strings.Repeat("n", 200) + `","url":"u"}`, "name"},
		{`{"site":"a","name":"x","url":"u","props":{"a":[1]}}`, "prop"},
		{`{"site":"a","name":"x","url":"u","props":"flat"}`, "props"},
	} {
		if _, err := parseBeacon([]byte(c.body)); err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("parseBeacon(%.60q): got %v, want an error saying %q", c.body, err, c.says)
		}
	}
}

// FuzzParseBeacon: no input panics, and what is accepted is within the
// limits the event keeps.
func FuzzParseBeacon(f *testing.F) {
	for _, s := range []string{
		`{"site":"example.no","name":"pageview","url":"https://example.no/","token":"t"}`,
		`{"site":"example.no","name":"Apply","url":"https://example.no/j?a=1#x","referrer":"https://www.google.no/","width":390,"props":{"job":"1041","fast":true,"n":1.5}}`,
		`{"site":"a","name":"x","url":"u","props":null,"width":null}`,
		`{"site":"a","name":"x","url":"u","width":1e400}`,
		`{"site":"\u0000","name":"\ud800","url":""}`,
		`{`, `null`, `"x"`, `{"props":{"":""}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		b, err := parseBeacon(body)
		if err != nil {
			return
		}
		if b.Site == "" || b.Name == "" || b.URL == "" || len(b.Name) > maxNameLen || !utf8.ValidString(b.Name) {
			t.Fatalf("accepted a beacon without a site, name or url, or with a bad name: %+v", b)
		}
		if len(b.PropKeys) != len(b.PropValues) || len(b.PropKeys) > maxProps {
			t.Fatalf("props out of bounds: %d keys, %d values", len(b.PropKeys), len(b.PropValues))
		}
		for i, k := range b.PropKeys {
			if k == "" || len(k) > maxPropKey || len(b.PropValues[i]) > maxPropValue {
				t.Fatalf("prop %q=%q out of bounds", k, b.PropValues[i])
			}
		}
	})
}
