package store

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Date is a time bound as a ClickHouse Date (the day of t in UTC).
type Date time.Time

// In is a list bound as a tuple, for `x IN ?`.
type In []any

// InStrings is a convenience for In over strings.
func InStrings(s []string) In {
	in := make(In, len(s))
	for i, v := range s {
		in[i] = v
	}
	return in
}

// Bind replaces each `?` placeholder outside quotes and comments with the
// SQL literal of the matching argument. It is the only way values enter SQL
// text, and it encodes every value it accepts.
func Bind(query string, args ...any) (string, error) {
	if len(args) == 0 && !strings.Contains(query, "?") {
		return query, nil
	}
	var b strings.Builder
	b.Grow(len(query) + 16*len(args))
	n := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			end := skipQuoted(query, i)
			b.WriteString(query[i:end])
			i = end - 1
		case c == '-' && i+1 < len(query) && query[i+1] == '-':
			end := strings.IndexByte(query[i:], '\n')
			if end < 0 {
				end = len(query) - i
			}
			b.WriteString(query[i : i+end])
			i += end - 1
		case c == '/' && i+1 < len(query) && query[i+1] == '*':
			end := strings.Index(query[i+2:], "*/")
			if end < 0 {
				return "", fmt.Errorf("store: unterminated comment in query")
			}
			b.WriteString(query[i : i+2+end+2])
			i += 2 + end + 1
		case c == '?':
			if n >= len(args) {
				return "", fmt.Errorf("store: query has more placeholders than the %d arguments given", len(args))
			}
			if err := appendLiteral(&b, args[n]); err != nil {
				return "", fmt.Errorf("store: argument %d: %w", n+1, err)
			}
			n++
		default:
			b.WriteByte(c)
		}
	}
	if n != len(args) {
		return "", fmt.Errorf("store: query has %d placeholders but %d arguments were given", n, len(args))
	}
	return b.String(), nil
}

// skipQuoted returns the index just past the quoted run that starts at i.
// Backslash escapes and doubled quotes both stay inside the run.
func skipQuoted(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case q:
			if j+1 < len(s) && s[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(s)
}

func appendLiteral(b *strings.Builder, v any) error {
	switch v := v.(type) {
	case nil:
		b.WriteString("NULL")
	case string:
		quote(b, v)
	case []byte:
		quote(b, string(v))
	case bool:
		if v {
			b.WriteString("1")
		} else {
			b.WriteString("0")
		}
	case int:
		b.WriteString(strconv.FormatInt(int64(v), 10))
	case int8:
		b.WriteString(strconv.FormatInt(int64(v), 10))
	case int16:
		b.WriteString(strconv.FormatInt(int64(v), 10))
	case int32:
		b.WriteString(strconv.FormatInt(int64(v), 10))
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case uint:
		b.WriteString(strconv.FormatUint(uint64(v), 10))
	case uint8:
		b.WriteString(strconv.FormatUint(uint64(v), 10))
	case uint16:
		b.WriteString(strconv.FormatUint(uint64(v), 10))
	case uint32:
		b.WriteString(strconv.FormatUint(uint64(v), 10))
	case uint64:
		b.WriteString(strconv.FormatUint(v, 10))
	case float32:
		appendFloat(b, float64(v))
	case float64:
		appendFloat(b, v)
	case time.Time:
		b.WriteString("toDateTime(")
		quote(b, v.UTC().Format(time.DateTime))
		b.WriteString(", 'UTC')")
	case Date:
		b.WriteString("toDate(")
		quote(b, time.Time(v).UTC().Format(time.DateOnly))
		b.WriteString(")")
	case In:
		if len(v) == 0 {
			return fmt.Errorf("an empty IN list")
		}
		b.WriteByte('(')
		for i, e := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			if err := appendLiteral(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(')')
	case []string:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			quote(b, e)
		}
		b.WriteByte(']')
	case []uint64:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.FormatUint(e, 10))
		}
		b.WriteByte(']')
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			if err := appendLiteral(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	default:
		return fmt.Errorf("cannot bind a value of type %T", v)
	}
	return nil
}

func appendFloat(b *strings.Builder, f float64) {
	switch {
	case math.IsNaN(f):
		b.WriteString("nan")
	case math.IsInf(f, 1):
		b.WriteString("inf")
	case math.IsInf(f, -1):
		b.WriteString("-inf")
	default:
		b.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
	}
}

// quote writes s as a ClickHouse string literal. Backslash and quote are
// escaped, and so are the control bytes that would make a statement hard to
// read in a log; everything else passes through byte for byte.
func quote(b *strings.Builder, s string) {
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '\'':
			b.WriteString(`\'`)
		case 0:
			b.WriteString(`\0`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
}
