package referrer

import (
	"errors"
	"net/url"
	"slices"
	"strings"
)

// Limits on what a page URL may put in storage.
const (
	// MaxURLLen refuses absurd input before any work is done.
	MaxURLLen = 16 << 10
	// MaxPathLen caps the stored path (with a hash route, if kept).
	MaxPathLen = 2 << 10
	// MaxQueryLen caps the stored, allow-listed query.
	MaxQueryLen = 1 << 10
)

// Errors from Page; the handler answers 400 with a sentence for each.
var (
	ErrURLTooLong = errors.New("referrer: page url is too long")
	ErrNotHTTP    = errors.New("referrer: page url is not an http or https url")
	ErrBadHost    = errors.New("referrer: page url has no valid host")
)

// Page reduces a page URL to what Varde stores.
//
// host is lower case, without port; "www." is kept, since it is part of
// the page's address. path is percent-decoded, valid UTF-8 without control
// characters, "/" when empty, and at most MaxPathLen bytes. The fragment is
// dropped, unless hashRouting is set and it holds a route ("#/jobs/1" or
// "#!/jobs/1"): then "#" and the route, without the route's own query, are
// appended to the path, as single-page apps with hash routing need. query
// keeps only the parameters named in allowQuery (exact, case-sensitive),
// sorted by name and re-encoded, at most MaxQueryLen bytes: parameters that
// would overflow it are dropped whole rather than cut. utm holds the
// query's campaign tags (never the fragment's).
//
// rawURL must be an absolute http or https URL with a host; anything else is
// an error. Escapes that net/url would refuse are kept as written, since
// browsers send such URLs too.
func Page(rawURL string, allowQuery []string, hashRouting bool) (host, path, query string, utm UTM, err error) {
	if len(rawURL) > MaxURLLen {
		return "", "", "", UTM{}, ErrURLTooLong
	}
	scheme, authority, rest, ok := splitURL(strings.TrimSpace(rawURL))
	if !ok || (scheme != "http" && scheme != "https") {
		return "", "", "", UTM{}, ErrNotHTTP
	}
	host = hostOf(authority)
	if host == "" {
		return "", "", "", UTM{}, ErrBadHost
	}

	rest, fragment, _ := strings.Cut(rest, "#")
	rawPath, rawQuery, _ := strings.Cut(rest, "?")

	path = decodePath(rawPath)
	if hashRouting {
		if route, ok := hashRoute(fragment); ok {
			path += "#" + route
		}
	}
	path = truncate(path, MaxPathLen)
	if rawQuery != "" {
		// ParseQuery keeps every pair it can decode and reports the first
		// it cannot; a stray "%zz" in one parameter must not lose the
		// others.
		q, _ := url.ParseQuery(rawQuery)
		utm = ParseUTM(q)
		query = filterQuery(q, allowQuery)
	}
	return host, path, query, utm, nil
}

func decodePath(raw string) string {
	p, err := url.PathUnescape(raw)
	if err != nil {
		p = raw
	}
	p = cleanText(p, MaxURLLen)
	if p == "" || p[0] != '/' {
		p = "/" + p
	}
	return p
}

// hashRoute returns the route in a fragment that holds one.
func hashRoute(fragment string) (string, bool) {
	if !strings.HasPrefix(fragment, "/") && !strings.HasPrefix(fragment, "!/") {
		return "", false
	}
	route, _, _ := strings.Cut(fragment, "?")
	if r, err := url.PathUnescape(route); err == nil {
		route = r
	}
	return cleanText(route, MaxPathLen), true
}

func filterQuery(q url.Values, allow []string) string {
	names := make([]string, 0, len(allow))
	for _, name := range allow {
		if _, ok := q[name]; ok && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	var b strings.Builder
	for _, name := range names {
		for _, v := range q[name] {
			pair := url.QueryEscape(name) + "=" + url.QueryEscape(cleanText(v, MaxQueryLen))
			extra := len(pair)
			if b.Len() > 0 {
				extra++
			}
			if b.Len()+extra > MaxQueryLen {
				continue
			}
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(pair)
		}
	}
	return b.String()
}
