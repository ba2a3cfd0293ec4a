package referrer

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestPage(t *testing.T) {
	allow := []string{"q", "id", "page"}
	tests := []struct {
		name      string
		url       string
		allow     []string
		hash      bool
		wantHost  string
		wantPath  string
		wantQuery string
		wantErr   error
	}{
		{name: "plain", url: "https://example.com/jobs/123", wantHost: "example.com", wantPath: "/jobs/123"},
		{name: "www kept, case folded, port dropped", url: "HTTPS://WWW.Example.COM:8443/Jobs", wantHost: "www.example.com", wantPath: "/Jobs"},
		{name: "no path", url: "https://example.com", wantHost: "example.com", wantPath: "/"},
		{name: "query only", url: "https://example.com?q=x", allow: allow, wantHost: "example.com", wantPath: "/", wantQuery: "q=x"},
		{name: "query dropped by default", url: "https://example.com/s?q=nurse&utm_source=x", wantHost: "example.com", wantPath: "/s"},
		{name: "allow-listed kept sorted", url: "https://example.com/s?page=2&email=a%40b.no&q=sykepleier+oslo&id=7", allow: allow, wantHost: "example.com", wantPath: "/s", wantQuery: "id=7&page=2&q=sykepleier+oslo"},
		{name: "repeated values kept in order", url: "https://example.com/?q=b&q=a", allow: allow, wantHost: "example.com", wantPath: "/", wantQuery: "q=b&q=a"},
		{name: "names are case-sensitive", url: "https://example.com/?Q=x", allow: allow, wantHost: "example.com", wantPath: "/"},
		{name: "bad escape in one param", url: "https://example.com/?q=%zz&id=1", allow: allow, wantHost: "example.com", wantPath: "/", wantQuery: "id=1"},
		{name: "fragment dropped", url: "https://example.com/a#section-2", wantHost: "example.com", wantPath: "/a"},
		{name: "fragment dropped despite hash routing", url: "https://example.com/a#section-2", hash: true, wantHost: "example.com", wantPath: "/a"},
		{name: "hash route kept", url: "https://example.com/#/jobs/42", hash: true, wantHost: "example.com", wantPath: "/#/jobs/42"},
		{name: "hashbang route kept", url: "https://example.com/app#!/jobs", hash: true, wantHost: "example.com", wantPath: "/app#!/jobs"},
		{name: "hash route query dropped", url: "https://example.com/#/search?email=a@b.no", hash: true, wantHost: "example.com", wantPath: "/#/search"},
		{name: "hash route off", url: "https://example.com/#/jobs/42", wantHost: "example.com", wantPath: "/"},
		{name: "path decoded", url: "https://example.com/jobb/s%C3%B8rlandet", wantHost: "example.com", wantPath: "/jobb/sørlandet"},
		{name: "bad path escape kept", url: "https://example.com/a%zz", wantHost: "example.com", wantPath: "/a%zz"},
		{name: "control characters removed", url: "https://example.com/a%00b%0A", wantHost: "example.com", wantPath: "/ab"},
		{name: "invalid utf-8 replaced", url: "https://example.com/%FF", wantHost: "example.com", wantPath: "/\uFFFD"},
		{name: "user info dropped", url: "https://me:pw@example.com/", wantHost: "example.com", wantPath: "/"},
		{name: "localhost", url: "http://localhost:8080/demo", wantHost: "localhost", wantPath: "/demo"},
		{name: "ipv6 host", url: "http://[::1]:8080/", wantHost: "::1", wantPath: "/"},
		{name: "long path capped", url: "https://example.com/" + strings.Repeat("a", 3000), wantHost: "example.com", wantPath: "/" + strings.Repeat("a", MaxPathLen-1)},
		{name: "long path capped on a rune boundary", url: "https://example.com/" + strings.Repeat("ø", 1500), wantHost: "example.com", wantPath: "/" + strings.Repeat("ø", (MaxPathLen-1)/2)},

		{name: "ftp", url: "ftp://example.com/", wantErr: ErrNotHTTP},
		{name: "javascript", url: "javascript:alert(1)", wantErr: ErrNotHTTP},
		{name: "relative", url: "/jobs", wantErr: ErrNotHTTP},
		{name: "empty", url: "", wantErr: ErrNotHTTP},
		{name: "no host", url: "https:///jobs", wantErr: ErrBadHost},
		{name: "bad host", url: "https://exa<mple.com/", wantErr: ErrBadHost},
		{name: "too long", url: "https://example.com/" + strings.Repeat("a", MaxURLLen), wantErr: ErrURLTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host, path, query, _, err := Page(tt.url, tt.allow, tt.hash)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Page(%q) error = %v, want %v", tt.url, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Page(%q) error = %v, want nil", tt.url, err)
			}
			if host != tt.wantHost || path != tt.wantPath || query != tt.wantQuery {
				t.Errorf("Page(%q) = %q, %q, %q; want %q, %q, %q", tt.url, host, path, query, tt.wantHost, tt.wantPath, tt.wantQuery)
			}
		})
	}
}

// TestPageUTM: campaign tags come from the query, whatever the allow-list
// keeps, and never from the fragment.
func TestPageUTM(t *testing.T) {
	for _, c := range []struct {
		url  string
		want UTM
	}{
		{"https://example.com/jobs?utm_source=news&utm_campaign=spring#top", UTM{Source: "news", Campaign: "spring"}},
		{"https://example.com/#/jobs?utm_source=fragment", UTM{}},
		{"https://example.com/?utm_medium=%zz&utm_term=nurse", UTM{Term: "nurse"}},
	} {
		_, _, _, got, err := Page(c.url, nil, true)
		if err != nil || got != c.want {
			t.Errorf("Page(%q) utm = %+v, %v; want %+v", c.url, got, err, c.want)
		}
	}
}

func TestPageQueryCap(t *testing.T) {
	long := strings.Repeat("x", MaxQueryLen-5)
	_, _, query, _, err := Page("https://example.com/?a="+long+"&b=short", []string{"a", "b"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(query) > MaxQueryLen {
		t.Errorf("len(query) = %d, want at most %d", len(query), MaxQueryLen)
	}
	if want := "a=" + long; query != want {
		t.Errorf("query = %q, want the first parameter only", query)
	}
}

func TestParseUTM(t *testing.T) {
	q := url.Values{
		"utm_source":   {"  newsletter "},
		"utm_medium":   {"email\x00"},
		"utm_campaign": {strings.Repeat("å", 200)},
		"utm_content":  {"\xffbanner"},
		"utm_term":     {"sykepleier", "ignored"},
	}
	got := ParseUTM(q)
	want := UTM{
		Source:   "newsletter",
		Medium:   "email",
		Campaign: strings.Repeat("å", maxUTMLen/2),
		Content:  "\uFFFDbanner",
		Term:     "sykepleier",
	}
	if got != want {
		t.Errorf("ParseUTM = %+v, want %+v", got, want)
	}
	if got := ParseUTM(nil); got != (UTM{}) {
		t.Errorf("ParseUTM(nil) = %+v, want empty", got)
	}
}

func BenchmarkPage(b *testing.B) {
	allow := []string{"id", "q"}
	b.ReportAllocs()
	for b.Loop() {
		_, _, _, _, _ = Page("https://www.example.com/jobb/s%C3%B8rlandet?q=nurse&utm_source=x&id=3#top", allow, false)
	}
}
