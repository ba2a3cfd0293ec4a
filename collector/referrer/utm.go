package referrer

import (
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxUTMLen caps each tag. Real tags are short; the cap keeps a crafted
// link from filling a column.
const maxUTMLen = 256

// UTM holds a page URL's campaign tags.
type UTM struct {
	Source   string // utm_source
	Medium   string // utm_medium
	Campaign string // utm_campaign
	Content  string // utm_content
	Term     string // utm_term
}

// ParseUTM reads the utm_* parameters of a page URL's query. Values are
// trimmed, made valid UTF-8 without control characters, and capped at
// maxUTMLen bytes.
func ParseUTM(q url.Values) UTM {
	return UTM{
		Source:   cleanText(q.Get("utm_source"), maxUTMLen),
		Medium:   cleanText(q.Get("utm_medium"), maxUTMLen),
		Campaign: cleanText(q.Get("utm_campaign"), maxUTMLen),
		Content:  cleanText(q.Get("utm_content"), maxUTMLen),
		Term:     cleanText(q.Get("utm_term"), maxUTMLen),
	}
}

// cleanText makes outside text safe to store: valid UTF-8, no control
// characters, no surrounding space, at most max bytes cut at a rune
// boundary.
func cleanText(s string, max int) string {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		s = strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return -1
			}
			return r
		}, s)
	}
	return truncate(s, max)
}

// truncate cuts s to at most max bytes without splitting a rune.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max]
}
