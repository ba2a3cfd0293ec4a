package useragent

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"regexp/syntax"
	"strings"
	"sync"
)

// crawlerListJSON is crawler-user-agents@1.60.0 (MIT); see data/README.md.
//
//go:embed data/crawler-user-agents.json
var crawlerListJSON []byte

// keyLen is how many leading bytes of a literal index it. Three keeps the
// index selective (few user-agent trigrams start a crawler literal) while
// almost every pattern still has a literal that long.
const keyLen = 3

// crawlerMatcher answers "does any pattern of the crawler list match?"
// without running most of the patterns. It is immutable once built.
type crawlerMatcher struct {
	// seen has one bit per hashed trigram that starts some literal, so
	// most positions of a user agent are rejected by one load.
	seen  [1 << 16 / 64]uint64
	index map[uint32][]candidate
	// always holds patterns without a usable literal; they run on every
	// user agent. The list has none today; a test keeps it that way.
	always []*regexp.Regexp
}

type candidate struct {
	lit string // lower case, at least keyLen bytes
	// plain is set when the whole pattern is this literal, case
	// sensitively: a byte comparison then confirms the match.
	plain string
	re    *regexp.Regexp
}

// crawlers builds the matcher once per process, on first use: the list is
// fixed data compiled into the binary, not configuration.
var crawlers = sync.OnceValues(func() (*crawlerMatcher, error) {
	var list []struct {
		Pattern string `json:"pattern"`
	}
	if err := json.Unmarshal(crawlerListJSON, &list); err != nil {
		return nil, fmt.Errorf("useragent: crawler list: %w", err)
	}
	patterns := make([]string, len(list))
	for i, c := range list {
		patterns[i] = c.Pattern
	}
	return newCrawlerMatcher(patterns)
})

func newCrawlerMatcher(patterns []string) (*crawlerMatcher, error) {
	m := &crawlerMatcher{index: make(map[uint32][]candidate)}
	for _, p := range patterns {
		parsed, err := syntax.Parse(p, syntax.Perl)
		if err != nil {
			return nil, fmt.Errorf("useragent: crawler pattern %q: %w", p, err)
		}
		parsed = parsed.Simplify()
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("useragent: crawler pattern %q: %w", p, err)
		}
		lits, ok := requiredSet(parsed)
		if !ok || minLen(lits) < keyLen {
			m.always = append(m.always, re)
			continue
		}
		plain := ""
		if parsed.Op == syntax.OpLiteral && parsed.Flags&syntax.FoldCase == 0 {
			plain = string(parsed.Rune)
			re = nil
		}
		for _, lit := range lits {
			k := key(lit[0], lit[1], lit[2])
			m.seen[hashKey(k)/64] |= 1 << (hashKey(k) % 64)
			m.index[k] = append(m.index[k], candidate{lit: lit, plain: plain, re: re})
		}
	}
	return m, nil
}

func key(a, b, c byte) uint32 {
	return uint32(lower(a))<<16 | uint32(lower(b))<<8 | uint32(lower(c))
}

func hashKey(k uint32) uint32 {
	return (k * 0x9E3779B1) >> 16
}

// match reports whether ua matches any pattern of the list.
func (m *crawlerMatcher) match(ua string) bool {
	if len(ua) >= keyLen {
		// A rolling key: each step shifts in one folded byte, so a
		// position costs a shift, a multiply and one bit test.
		k := uint32(lower(ua[0]))<<8 | uint32(lower(ua[1]))
		for i := 0; i+keyLen <= len(ua); i++ {
			k = (k<<8 | uint32(lower(ua[i+2]))) & 0xFFFFFF
			h := hashKey(k)
			if m.seen[h/64]&(1<<(h%64)) == 0 {
				continue
			}
			if m.confirm(ua, i, k) {
				return true
			}
		}
	}
	for _, re := range m.always {
		if re.MatchString(ua) {
			return true
		}
	}
	return false
}

// confirm checks the patterns whose literal may start at ua[i:].
func (m *crawlerMatcher) confirm(ua string, i int, k uint32) bool {
	for _, c := range m.index[k] {
		if !hasPrefixFold(ua[i:], c.lit) {
			continue
		}
		if c.re == nil {
			if strings.HasPrefix(ua[i:], c.plain) {
				return true
			}
			continue
		}
		if c.re.MatchString(ua) {
			return true
		}
	}
	return false
}

// hasPrefixFold reports whether s starts with the lower-case lit, folding
// only ASCII letters of s.
func hasPrefixFold(s, lit string) bool {
	if len(s) < len(lit) {
		return false
	}
	for i := 0; i < len(lit); i++ {
		if lower(s[i]) != lit[i] {
			return false
		}
	}
	return true
}
