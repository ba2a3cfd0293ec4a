package consent

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestParseChoice(t *testing.T) {
	body := `{"site":"Example.com","categories":{"statistics":true,"marketing":false},"revision":3,"lang":"nb","url":"https://example.com/jobs?q=x","gpc":true,"action":"custom"}`
	got, err := ParseChoice([]byte(body))
	if err != nil {
		t.Fatalf("ParseChoice: %v", err)
	}
	want := Choice{
		Site:       "example.com",
		Categories: map[string]bool{"statistics": true, "marketing": false},
		Revision:   3,
		Lang:       "nb",
		URL:        "https://example.com/jobs?q=x",
		GPC:        true,
		Action:     ActionCustom,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	change := `{"site":"example.com","categories":{},"revision":1,"consent_id":"0B7C6F0E-4D1A-4C8E-9F3A-2E5D6C7B8A90","token":"a.b.c"}`
	got, err = ParseChoice([]byte(change))
	if err != nil || !got.Changing() || got.ConsentID != testCID {
		t.Errorf("change: got %+v, %v; want consent_id %s", got, err, testCID)
	}
}

func TestParseChoiceErrors(t *testing.T) {
	const ok = `"site":"example.com","categories":{"statistics":true},"revision":3`
	tests := []struct {
		name   string
		body   string
		status int
		want   string
	}{
		{"empty", ``, 400, "empty"},
		{"not an object", `[]`, 400, "not valid"},
		{"truncated", `{"site":`, 400, "ends too early"},
		{"trailing", `{` + ok + `}{}`, 400, "after the JSON object"},
		{"unknown field", `{` + ok + `,"ip":"1.2.3.4"}`, 400, `unknown field "ip"`},
		{"revision string", `{"site":"example.com","categories":{},"revision":"3"}`, 400, "revision must be a whole number"},
		{"revision float", `{"site":"example.com","categories":{},"revision":3.5}`, 400, "revision must be a whole number"},
		{"category not bool", `{"site":"example.com","categories":{"statistics":"yes"},"revision":3}`, 400, "must be true or false"},
		{"gpc not bool", `{` + ok + `,"gpc":1}`, 400, "gpc must be true or false"},
		{"no site", `{"categories":{},"revision":3}`, 400, "site is missing"},
		{"bad site", `{"site":"exa mple.com","categories":{},"revision":3}`, 400, "not a domain name"},
		{"no categories", `{"site":"example.com","revision":3}`, 400, "categories is missing"},
		{"no revision", `{"site":"example.com","categories":{}}`, 400, "revision is missing"},
		{"bad category name", `{"site":"example.com","categories":{"Stats!":true},"revision":3}`, 400, `category "Stats!"`},
		{"unsupported lang", `{` + ok + `,"lang":"fr"}`, 400, `lang "fr"`},
		{"id without token", `{` + ok + `,"consent_id":"` + testCID + `"}`, 400, "go together"},
		{"token without id", `{` + ok + `,"token":"a.b.c"}`, 400, "go together"},
		{"bad consent id", `{` + ok + `,"consent_id":"123","token":"a.b.c"}`, 400, "not a UUID"},
		{"bad action", `{` + ok + `,"action":"withdraw"}`, 400, `action "withdraw"`},
		{"bad url", `{` + ok + `,"url":"http://[::1"}`, 400, "url is not a valid URL"},
		{"too many categories", `{"site":"example.com","revision":3,"categories":{` + manyCategories(17) + `}}`, 400, "at most 16"},
		{"too large", `{` + ok + `,"url":"https://example.com/` + strings.Repeat("a", MaxChoiceSize) + `"}`, 413, "at most 4096"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseChoice([]byte(tt.body))
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("got %v (%T), want an *InputError", err, err)
			}
			if ie.Status != tt.status || !strings.Contains(ie.Msg, tt.want) {
				t.Errorf("got %d %q, want %d and a message containing %q", ie.Status, ie.Msg, tt.status, tt.want)
			}
			if ie.Status != http.StatusBadRequest && ie.Status != http.StatusRequestEntityTooLarge {
				t.Errorf("got status %d, want 400 or 413", ie.Status)
			}
		})
	}
}

func manyCategories(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"c` + strings.Repeat("x", i) + `":true`)
	}
	return b.String()
}

func TestPagePath(t *testing.T) {
	long := "/" + strings.Repeat("a", 600)
	tests := []struct{ in, want string }{
		{"", ""},
		{"https://example.com/jobs/123?utm_source=x&email=a@b.no#top", "/jobs/123"},
		{"https://example.com", "/"},
		{"https://example.com/?q=1", "/"},
		{"/relative/path?x", "/relative/path"},
		{"https://example.com/stillinger/sjåfør", "/stillinger/sj%C3%A5f%C3%B8r"},
		{"https://example.com/a%2Fb", "/a%2Fb"},
		{"mailto:someone@example.com", "/"},
		{"http://[::1/broken?x=1#y", "/broken"},
		{long, long[:512]},
		{"https://example.com/" + strings.Repeat("a", 509) + "%C3%A5", "/" + strings.Repeat("a", 509)},
	}
	for _, tt := range tests {
		if got := PagePath(tt.in); got != tt.want {
			t.Errorf("PagePath(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}
