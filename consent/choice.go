package consent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// MaxChoiceSize bounds the body of POST /api/consent. The caller limits
// the body it reads too; this is the package's own defence.
const MaxChoiceSize = 4 << 10

// Choice is the body of POST /api/consent:
//
//	{"site":"example.com","categories":{"statistics":true,"marketing":false},
//	 "revision":3,"lang":"nb","url":"https://example.com/jobs","gpc":false,
//	 "consent_id":"<only when changing>","token":"<only when changing>",
//	 "action":"custom"}
//
// Categories the visitor did not mention are refused; nothing is
// pre-ticked. ConsentID and Token come together, when a visitor changes an
// earlier choice. Action is the button the visitor pressed, a hint only:
// the server decides the action from the categories (Config.Decide).
type Choice struct {
	Site       string          `json:"site"`
	Categories map[string]bool `json:"categories"`
	Revision   int             `json:"revision"`
	Lang       string          `json:"lang"`
	URL        string          `json:"url"`
	ConsentID  string          `json:"consent_id"`
	Token      string          `json:"token"`
	GPC        bool            `json:"gpc"`
	Action     Action          `json:"action"`
}

// Changing reports whether the choice changes an earlier consent.
func (c Choice) Changing() bool { return c.ConsentID != "" }

// ParseChoice reads and checks the shape of a choice: strict JSON, one
// object, no unknown fields, every field of the right type. It does not
// know the site's categories or revision; Config.Decide checks those.
// Errors are *InputError.
func ParseChoice(body []byte) (Choice, error) {
	if len(body) > MaxChoiceSize {
		return Choice{}, &InputError{
			Status: http.StatusRequestEntityTooLarge,
			Msg:    fmt.Sprintf("the consent body is %d bytes, at most %d are allowed", len(body), MaxChoiceSize),
		}
	}
	var c Choice
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Choice{}, badInput("the consent body is not valid: %s", JSONProblem(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Choice{}, badInput("the consent body has data after the JSON object")
	}
	if err := c.check(); err != nil {
		return Choice{}, err
	}
	return c, nil
}

func (c *Choice) check() error {
	c.Site = strings.ToLower(c.Site)
	switch {
	case c.Site == "":
		return badInput("site is missing")
	case !validSite(c.Site):
		return badInput("site %q is not a domain name", clip(c.Site))
	case c.Categories == nil:
		return badInput("categories is missing; send an object such as {\"statistics\":true}")
	case len(c.Categories) > maxCategories:
		return badInput("categories has %d entries, a site has at most %d", len(c.Categories), maxCategories)
	case c.Revision < 1:
		return badInput("revision is missing; send the revision of the banner that was shown")
	case c.Lang != "" && !supportedLang(c.Lang):
		return badInput("lang %q is not supported; use one of %s", clip(c.Lang), strings.Join(languages, ", "))
	case len(c.URL) > 2048:
		return badInput("url is longer than 2048 characters")
	case (c.ConsentID == "") != (c.Token == ""):
		return badInput("consent_id and token go together: send both to change a choice, or neither for a new one")
	case c.Action != "" && c.Action != ActionAcceptAll && c.Action != ActionRejectAll && c.Action != ActionCustom:
		return badInput("action %q is not one of accept-all, reject-all, custom", clip(string(c.Action)))
	}
	for name := range c.Categories {
		if !validSlug(name) {
			return badInput("category %q is not a category name", clip(name))
		}
	}
	if c.URL != "" {
		if _, err := url.Parse(c.URL); err != nil {
			return badInput("url is not a valid URL")
		}
	}
	if c.ConsentID != "" {
		c.ConsentID = strings.ToLower(c.ConsentID)
		if !validConsentID(c.ConsentID) {
			return badInput("consent_id %q is not a UUID", clip(c.ConsentID))
		}
	}
	return nil
}

// validSite accepts a host name with an optional port (localhost:8080),
// which is what sites are registered as.
func validSite(s string) bool {
	host, port, hasPort := strings.Cut(s, ":")
	if hasPort {
		if port == "" || len(port) > 5 {
			return false
		}
		for i := 0; i < len(port); i++ {
			if port[i] < '0' || port[i] > '9' {
				return false
			}
		}
	}
	return validDomain(host)
}

// clip shortens outside input before it goes into an error message.
func clip(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= 64 {
		return s
	}
	return string([]rune(s)[:64]) + "…"
}

// maxPagePath bounds the page path kept in a consent record.
const maxPagePath = 512

// PagePath returns the path of a page URL for the consent record: no
// scheme, host, query string or fragment (they can carry personal data,
// such as an e-mail address in a newsletter link), at most 512 bytes, cut
// never inside a character or a %XX escape. An empty URL gives "".
func PagePath(rawURL string) string {
	if rawURL == "" {
		return ""
	}
	var p string
	if u, err := url.Parse(rawURL); err == nil {
		p = u.EscapedPath()
		if u.Opaque != "" {
			p = ""
		}
	} else {
		// Keep what is clearly the path of a URL we could not parse.
		p, _, _ = strings.Cut(rawURL, "?")
		p, _, _ = strings.Cut(p, "#")
		if i := strings.Index(p, "://"); i >= 0 {
			p = p[i+3:]
			if j := strings.IndexByte(p, '/'); j >= 0 {
				p = p[j:]
			} else {
				p = ""
			}
		}
		p = strings.Map(func(r rune) rune {
			if isControl(r) || r == ' ' {
				return -1
			}
			return r
		}, strings.ToValidUTF8(p, ""))
	}
	if p == "" {
		return "/"
	}
	if len(p) > maxPagePath {
		p = p[:maxPagePath]
		for len(p) > 0 && !utf8.ValidString(p) {
			p = p[:len(p)-1]
		}
		if i := strings.LastIndexByte(p, '%'); i >= 0 && i >= len(p)-2 {
			p = p[:i]
		}
	}
	return p
}
