package consent

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// Limits that keep a banner readable and its payload small.
const (
	maxCategories = 16
	maxServices   = 32
	maxCookies    = 32
	maxTextLen    = 2000
	maxNameLen    = 100
)

// ConfigError lists every problem found in a banner configuration, each a
// sentence naming the field, so an operator can fix them in one go.
type ConfigError struct {
	Problems []string
}

func (e *ConfigError) Error() string {
	return "consent: banner config: " + strings.Join(e.Problems, "; ")
}

// Validate reports every problem with the configuration, or nil.
func (c Config) Validate() error {
	var p problems
	if c.Revision < 1 {
		p.add("revision is %d, it must be 1 or more", c.Revision)
	}
	if c.LifetimeDays < 1 || c.LifetimeDays > MaxLifetimeDays {
		p.add("lifetime_days is %d, it must be between 1 and %d (13 months)", c.LifetimeDays, MaxLifetimeDays)
	}
	if msg := checkPolicyURL(c.PolicyURL); msg != "" {
		p.add("policy_url %s", msg)
	}
	if !supportedLang(c.DefaultLang) {
		p.add("default_lang %q is not supported; use one of %s", c.DefaultLang, strings.Join(languages, ", "))
	}
	c.validateCategories(&p)
	for _, lang := range sortedKeys(c.Texts) {
		if !supportedLang(lang) {
			p.add("texts has language %q, which is not supported; use one of %s", lang, strings.Join(languages, ", "))
			continue
		}
		for _, key := range sortedKeys(c.Texts[lang]) {
			field := "texts." + lang + "." + key
			switch v := c.Texts[lang][key]; {
			case !knownTextKey(key):
				p.add("%s is not a text key; the keys are %s", field, strings.Join(textKeys, ", "))
			default:
				p.text(field, v, false)
			}
		}
	}
	if len(p) > 0 {
		return &ConfigError{Problems: p}
	}
	return nil
}

func (c Config) validateCategories(p *problems) {
	if len(c.Categories) > maxCategories {
		p.add("categories has %d entries, at most %d are allowed", len(c.Categories), maxCategories)
	}
	seen := make(map[string]bool, len(c.Categories))
	for i, cat := range c.Categories {
		field := fmt.Sprintf("categories[%d]", i)
		if !validSlug(cat.Name) {
			p.add("%s.name %q must be a lowercase slug: a letter, then up to 31 letters, digits, _ or -", field, cat.Name)
		} else {
			field = fmt.Sprintf("categories[%d] (%s)", i, cat.Name)
		}
		if seen[cat.Name] {
			p.add("%s is listed twice", field)
		}
		seen[cat.Name] = true
		if cat.Required && cat.Name != Necessary {
			p.add("%s is required, but only %s can be required", field, Necessary)
		}
		_, builtinCat := builtin[DefaultLang].Categories[cat.Name]
		if !builtinCat && cat.Label.In(c.DefaultLang, c.DefaultLang) == "" {
			p.add("%s.label needs a text in the default language %s", field, c.DefaultLang)
		}
		p.localized(field+".label", cat.Label)
		p.localized(field+".description", cat.Description)
		if len(cat.Services) > maxServices {
			p.add("%s.services has %d entries, at most %d are allowed", field, len(cat.Services), maxServices)
		}
		for j, svc := range cat.Services {
			sf := fmt.Sprintf("%s.services[%d]", field, j)
			p.name(sf+".name", svc.Name)
			p.localized(sf+".description", svc.Description)
			if len(svc.Cookies) > maxCookies {
				p.add("%s.cookies has %d entries, at most %d are allowed", sf, len(svc.Cookies), maxCookies)
			}
			for k, ck := range svc.Cookies {
				cf := fmt.Sprintf("%s.cookies[%d]", sf, k)
				p.name(cf+".name", ck.Name)
				if ck.Domain != "" && !validDomain(strings.TrimPrefix(ck.Domain, ".")) {
					p.add("%s.domain %q is not a domain name", cf, ck.Domain)
				}
				p.localized(cf+".duration", ck.Duration)
				p.localized(cf+".purpose", ck.Purpose)
			}
		}
	}
	if len(c.Categories) > 0 && !seen[Necessary] {
		p.add("categories must include %s, the category that is always granted", Necessary)
	}
	if len(c.Categories) == 0 {
		p.add("categories is empty; it must include at least %s", Necessary)
	}
}

func checkPolicyURL(s string) string {
	if s == "" {
		return ""
	}
	if len(s) > 2048 {
		return "is longer than 2048 characters"
	}
	if strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//") {
		if _, err := url.Parse(s); err != nil || strings.ContainsAny(s, " \t\r\n\\") {
			return fmt.Sprintf("%q is not a valid path", s)
		}
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("%q must be an http(s) URL or a path starting with /", s)
	}
	return ""
}

// problems collects validation sentences.
type problems []string

func (p *problems) add(format string, args ...any) {
	*p = append(*p, fmt.Sprintf(format, args...))
}

// text checks one human text: valid UTF-8, no control characters, not too
// long, and (unless it may be empty) not empty.
func (p *problems) text(field, s string, mayBeEmpty bool) {
	switch {
	case s == "" && !mayBeEmpty:
		p.add("%s is empty; leave it out to use the default", field)
	case !utf8.ValidString(s):
		p.add("%s is not valid UTF-8", field)
	case utf8.RuneCountInString(s) > maxTextLen:
		p.add("%s is longer than %d characters", field, maxTextLen)
	case strings.ContainsFunc(s, isControl):
		p.add("%s contains a control character", field)
	}
}

func (p *problems) localized(field string, t Text) {
	for _, lang := range sortedKeys(t) {
		if lang != "" && !supportedLang(lang) {
			p.add("%s has language %q, which is not supported; use one of %s", field, lang, strings.Join(languages, ", "))
			continue
		}
		f := field
		if lang != "" {
			f += "." + lang
		}
		p.text(f, t[lang], false)
	}
}

// name checks a service or cookie name: required, short, printable.
func (p *problems) name(field, s string) {
	if s == "" {
		p.add("%s is missing", field)
		return
	}
	if utf8.RuneCountInString(s) > maxNameLen {
		p.add("%s is longer than %d characters", field, maxNameLen)
		return
	}
	p.text(field, s, false)
}

func isControl(r rune) bool { return r < 0x20 || (r >= 0x7f && r < 0xa0) }

// validSlug reports whether s matches [a-z][a-z0-9_-]{0,31}.
func validSlug(s string) bool {
	if len(s) == 0 || len(s) > 32 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// validDomain reports whether s looks like a host name: dot-separated
// labels of letters, digits, - and _, at most 253 characters.
func validDomain(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
