package consent

import (
	"slices"
	"strconv"
	"strings"
)

// languages are the languages Varde ships texts for, in the order a
// language picker would list them.
var languages = []string{"nb", "nn", "en", "sv", "da", "de"}

// Languages returns the languages the banner has built-in texts for.
func Languages() []string { return slices.Clone(languages) }

func supportedLang(lang string) bool { return slices.Contains(languages, lang) }

// NormalizeLang maps a language tag such as "nb-NO", "no_NO" or "en-GB" to
// a supported language, or returns "" when there is none. "no" (Norwegian
// without a written standard) means bokmål, as browsers and most
// Norwegians use it.
func NormalizeLang(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	primary, _, _ := strings.Cut(strings.ReplaceAll(tag, "_", "-"), "-")
	switch primary {
	case "no", "nb", "nob":
		return "nb"
	case "nn", "nno":
		return "nn"
	}
	if supportedLang(primary) {
		return primary
	}
	return ""
}

// ResolveLang returns the first of the requested language tags that the
// banner supports, in the order given, else the site's default language.
// Callers pass the tags in priority order: the script's data-lang or
// ?lang=, then ParseAcceptLanguage of the request.
func ResolveLang(requested []string, cfg Config) string {
	for _, tag := range requested {
		if lang := NormalizeLang(tag); lang != "" {
			return lang
		}
	}
	if supportedLang(cfg.DefaultLang) {
		return cfg.DefaultLang
	}
	return DefaultLang
}

// ParseAcceptLanguage returns the language tags of an Accept-Language
// header, most preferred first. Tags with q=0 and the wildcard are
// dropped; malformed parts are skipped rather than failing the request.
func ParseAcceptLanguage(header string) []string {
	type weighted struct {
		tag string
		q   float64
	}
	var tags []weighted
	for part := range strings.SplitSeq(header, ",") {
		if len(tags) == 32 {
			break // a browser sends a handful; more is noise
		}
		tag, params, _ := strings.Cut(part, ";")
		tag = strings.TrimSpace(tag)
		if tag == "" || tag == "*" || len(tag) > 35 {
			continue
		}
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || f < 0 || f > 1 {
				continue
			}
			q = f
		}
		if q == 0 {
			continue
		}
		tags = append(tags, weighted{tag, q})
	}
	slices.SortStableFunc(tags, func(a, b weighted) int {
		switch {
		case a.q > b.q:
			return -1
		case a.q < b.q:
			return 1
		}
		return 0
	})
	out := make([]string, len(tags))
	for i, t := range tags {
		out[i] = t.tag
	}
	return out
}
