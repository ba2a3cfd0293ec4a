package store

import (
	"strings"
	"time"
)

// unwrapType strips the wrappers that do not change how a value reads:
// Nullable(T) and LowCardinality(T) give T.
func unwrapType(t string) string {
	for {
		switch {
		case strings.HasPrefix(t, "Nullable(") && strings.HasSuffix(t, ")"):
			t = t[len("Nullable(") : len(t)-1]
		case strings.HasPrefix(t, "LowCardinality(") && strings.HasSuffix(t, ")"):
			t = t[len("LowCardinality(") : len(t)-1]
		default:
			return t
		}
	}
}

// typeKind is how a ClickHouse type's values are represented in Go.
type typeKind int

const (
	kindString typeKind = iota
	kindInt
	kindUint
	kindFloat
	kindBool
	kindDate
	kindDateTime
	kindArray
	kindTuple
	kindOther
)

// kindOf classifies a ClickHouse type name such as "UInt64",
// "DateTime('UTC')" or "Array(String)".
func kindOf(t string) typeKind {
	t = unwrapType(t)
	switch {
	case strings.HasPrefix(t, "UInt"):
		return kindUint
	case strings.HasPrefix(t, "Int"):
		return kindInt
	case strings.HasPrefix(t, "Float"), strings.HasPrefix(t, "Decimal"):
		return kindFloat
	case t == "Bool":
		return kindBool
	case t == "Date" || t == "Date32":
		return kindDate
	case strings.HasPrefix(t, "DateTime"):
		return kindDateTime
	case strings.HasPrefix(t, "Array("):
		return kindArray
	case strings.HasPrefix(t, "Tuple("):
		return kindTuple
	case t == "String", strings.HasPrefix(t, "FixedString"), t == "UUID",
		strings.HasPrefix(t, "Enum"), t == "IPv4", t == "IPv6":
		return kindString
	}
	return kindOther
}

// elemType is T for Array(T).
func elemType(t string) string {
	t = unwrapType(t)
	return t[len("Array(") : len(t)-1]
}

// tupleTypes splits Tuple(A, B(C, D), E) into its element types.
func tupleTypes(t string) []string {
	t = unwrapType(t)
	inner := t[len("Tuple(") : len(t)-1]
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(inner); i++ {
		switch inner[i] {
		case '(':
			depth++
		case ')':
			depth--
		case '\'':
			i = skipQuoted(inner, i) - 1
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(inner[start:i]))
				start = i + 1
			}
		}
	}
	out = append(out, strings.TrimSpace(inner[start:]))
	// Named tuple elements read "name Type".
	for i, e := range out {
		if sp := strings.IndexByte(e, ' '); sp > 0 && !strings.ContainsAny(e[:sp], "(") {
			out[i] = strings.TrimSpace(e[sp+1:])
		}
	}
	return out
}

// typeLocation is the time zone named in DateTime('Zone'), or UTC.
func typeLocation(t string) *time.Location {
	t = unwrapType(t)
	i := strings.IndexByte(t, '\'')
	if i < 0 {
		return time.UTC
	}
	j := strings.IndexByte(t[i+1:], '\'')
	if j < 0 {
		return time.UTC
	}
	loc, err := time.LoadLocation(t[i+1 : i+1+j])
	if err != nil {
		return time.UTC
	}
	return loc
}
