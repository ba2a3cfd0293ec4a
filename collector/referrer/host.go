package referrer

import "strings"

// maxHostLen is DNS's limit on a name.
const maxHostLen = 253

// splitURL cuts a URL into scheme (lower case), authority, and what follows
// (path, query, fragment). It is deliberately forgiving: a browser's
// location.href may hold escapes that net/url rejects ("/%zz"), and a
// beacon must not be lost for that.
func splitURL(raw string) (scheme, authority, rest string, ok bool) {
	i := strings.Index(raw, "://")
	if i <= 0 {
		return "", "", "", false
	}
	scheme = strings.ToLower(raw[:i])
	rest = raw[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	return scheme, rest[:end], rest[end:], true
}

// hostOf extracts the host from an authority: no user info, no port, lower
// case, no trailing dot. IPv6 literals keep their brackets' content. It
// answers "" when the host is empty or has characters no host name has.
func hostOf(authority string) string {
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		authority = authority[i+1:]
	}
	var host string
	if strings.HasPrefix(authority, "[") {
		end := strings.IndexByte(authority, ']')
		if end < 0 {
			return ""
		}
		host = authority[1:end]
		if !isIPv6Literal(host) {
			return ""
		}
		return strings.ToLower(host)
	}
	host = authority
	if i := strings.IndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if !isHostName(host) {
		return ""
	}
	return host
}

// isHostName accepts lower-case LDH labels (and "_", which real hosts use),
// including IPv4 literals and punycode.
func isHostName(h string) bool {
	if h == "" || len(h) > maxHostLen {
		return false
	}
	prevDot := true // no leading dot
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case c == '.':
			if prevDot {
				return false
			}
			prevDot = true
			continue
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
		prevDot = false
	}
	return !prevDot
}

func isIPv6Literal(h string) bool {
	if h == "" || len(h) > 45 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i] | 0x20
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || h[i] == ':' || h[i] == '.') {
			return false
		}
	}
	return true
}

// stripWWW drops a leading "www." so that example.com and www.example.com
// are one site and one source.
func stripWWW(h string) string {
	return strings.TrimPrefix(h, "www.")
}
