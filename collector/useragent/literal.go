package useragent

import (
	"regexp/syntax"
	"slices"
)

// The crawler list holds ~1,500 regular expressions. Running them one by one
// costs tens of microseconds per user agent, and one alternation of all of
// them is no faster (see BenchmarkCrawlerCombinedRegexp). Nearly every
// pattern, though, contains a literal that any match must contain:
// "Googlebot\/" needs "googlebot/", "[wW]get" needs "get". Indexing those
// literals by their first three bytes lets one pass over the user agent find
// the few patterns worth running.
//
// Literals are kept in ASCII lower case so that "[bB]ot" collapses to one
// literal; a case-insensitive hit is only a candidate, confirmed by the
// pattern itself.

// maxLiterals bounds the literal sets built while expanding a pattern.
const maxLiterals = 64

// exactSet returns every string re can match, lower-cased, when that set is
// small and finite. Anchors match the empty string.
func exactSet(re *syntax.Regexp) ([]string, bool) {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine,
		syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return []string{""}, true
	case syntax.OpLiteral:
		return []string{lowerASCII(string(re.Rune))}, true
	case syntax.OpCharClass:
		var out []string
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			if int(hi-lo) >= maxLiterals {
				return nil, false
			}
			for r := lo; r <= hi; r++ {
				out = append(out, lowerASCII(string(r)))
				if len(out) > maxLiterals {
					return nil, false
				}
			}
		}
		return dedup(out), true
	case syntax.OpCapture:
		return exactSet(re.Sub[0])
	case syntax.OpQuest:
		sub, ok := exactSet(re.Sub[0])
		if !ok {
			return nil, false
		}
		return dedup(append(sub, "")), true
	case syntax.OpConcat:
		out := []string{""}
		for _, sub := range re.Sub {
			s, ok := exactSet(sub)
			if !ok {
				return nil, false
			}
			if out, ok = cross(out, s); !ok {
				return nil, false
			}
		}
		return out, true
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			s, ok := exactSet(sub)
			if !ok {
				return nil, false
			}
			out = append(out, s...)
			if len(out) > maxLiterals {
				return nil, false
			}
		}
		return dedup(out), true
	}
	return nil, false
}

// requiredSet returns lower-cased strings of which every match of re
// contains at least one, choosing the set whose shortest member is longest.
func requiredSet(re *syntax.Regexp) ([]string, bool) {
	if s, ok := exactSet(re); ok {
		return s, true
	}
	switch re.Op {
	case syntax.OpCapture, syntax.OpPlus:
		return requiredSet(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredSet(re.Sub[0])
		}
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			s, ok := requiredSet(sub)
			if !ok {
				return nil, false
			}
			out = append(out, s...)
		}
		return dedup(out), true
	case syntax.OpConcat:
		var best []string
		consider := func(s []string) {
			if best == nil || better(s, best) {
				best = s
			}
		}
		// A run of neighbours with exact sets concatenates into one
		// longer literal ("[wW]" + "get" = "wget"); any other child
		// offers only what it requires itself.
		run := []string{""}
		inRun := false
		for _, sub := range re.Sub {
			if s, ok := exactSet(sub); ok {
				if next, ok := cross(run, s); ok {
					run, inRun = next, true
					continue
				}
			}
			if inRun {
				consider(run)
			}
			run, inRun = []string{""}, false
			if s, ok := requiredSet(sub); ok {
				consider(s)
			}
		}
		if inRun {
			consider(run)
		}
		if best == nil {
			return nil, false
		}
		return best, true
	}
	return nil, false
}

// better prefers the set whose shortest string is longer, since long
// literals are rarer in user agents and so rarer false alarms; once both are
// long enough to be rare, the smaller set keeps the index small.
func better(a, b []string) bool {
	const rareEnough = 8
	ma, mb := minLen(a), minLen(b)
	if ma >= rareEnough && mb >= rareEnough && len(a) != len(b) {
		return len(a) < len(b)
	}
	if ma != mb {
		return ma > mb
	}
	return len(a) < len(b)
}

func minLen(s []string) int {
	m := -1
	for _, x := range s {
		if m < 0 || len(x) < m {
			m = len(x)
		}
	}
	return m
}

func cross(a, b []string) ([]string, bool) {
	if len(a)*len(b) > maxLiterals {
		return nil, false
	}
	out := make([]string, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			out = append(out, x+y)
		}
	}
	return dedup(out), true
}

func dedup(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// lowerASCII folds only A-Z, matching how the scanner folds the user agent;
// a full Unicode fold could make a literal that the scanner never produces.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				b[j] = lower(b[j])
			}
			return string(b)
		}
	}
	return s
}

func lower(c byte) byte { return foldASCII[c] }

// foldASCII maps A-Z to a-z and every other byte to itself; a table lookup
// is branch-free in the crawler scan's inner loop.
var foldASCII = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
		if i >= 'A' && i <= 'Z' {
			t[i] = byte(i) + 'a' - 'A'
		}
	}
	return t
}()
