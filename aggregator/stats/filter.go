package stats

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
)

// Filter operators.
const (
	OpIs          = "is"
	OpIsNot       = "is_not"
	OpContains    = "contains"
	OpContainsNot = "contains_not"
	OpAnd         = "and"
	OpOr          = "or"
	OpNot         = "not"
)

// Filter is one of Plausible's v2 filters: a comparison of a dimension with
// values, ["is", "visit:country", ["NO", "SE"]] (optionally with
// {"case_sensitive": false} after the values), or a combination:
// ["and", [f, ...]], ["or", [f, ...]], ["not", f].
type Filter struct {
	Op        string
	Dimension string
	Values    []string
	// CaseSensitive is the modifier of is and contains; nil is the default
	// (case-sensitive).
	CaseSensitive *bool
	// Filters are the operands of and, or (two or more) and not (one).
	Filters []Filter
}

type filterModifiers struct {
	CaseSensitive *bool `json:"case_sensitive"`
}

func (f Filter) MarshalJSON() ([]byte, error) {
	switch f.Op {
	case OpAnd, OpOr:
		return json.Marshal([]any{f.Op, f.Filters})
	case OpNot:
		var inner any
		if len(f.Filters) == 1 {
			inner = f.Filters[0]
		}
		return json.Marshal([]any{f.Op, inner})
	}
	values := f.Values
	if values == nil {
		values = []string{}
	}
	out := []any{f.Op, f.Dimension, values}
	if f.CaseSensitive != nil {
		out = append(out, filterModifiers{f.CaseSensitive})
	}
	return json.Marshal(out)
}

func (f *Filter) UnmarshalJSON(b []byte) error {
	var parts []json.RawMessage
	if err := json.Unmarshal(b, &parts); err != nil || len(parts) == 0 {
		return queryErrorf("Invalid filter %s: a filter is a list like [\"is\", \"visit:country\", [\"NO\"]].", clip(compact(b)))
	}
	var op string
	if err := json.Unmarshal(parts[0], &op); err != nil {
		return queryErrorf("Invalid filter %s: it starts with an operator (is, is_not, contains, contains_not, and, or, not).", clip(compact(b)))
	}
	*f = Filter{Op: op}
	switch op {
	case OpAnd, OpOr:
		if len(parts) != 2 {
			return queryErrorf("Invalid filter %s: write [%q, [filter, filter, ...]].", clip(compact(b)), op)
		}
		if err := json.Unmarshal(parts[1], &f.Filters); err != nil {
			return jsonFilterError(b, err)
		}
		if len(f.Filters) < 2 {
			return queryErrorf("Invalid filter %s: %q needs two filters or more.", clip(compact(b)), op)
		}
	case OpNot:
		if len(parts) != 2 {
			return queryErrorf("Invalid filter %s: write [\"not\", filter].", clip(compact(b)))
		}
		var inner Filter
		if err := json.Unmarshal(parts[1], &inner); err != nil {
			return jsonFilterError(b, err)
		}
		f.Filters = []Filter{inner}
	case OpIs, OpIsNot, OpContains, OpContainsNot:
		if len(parts) < 3 || len(parts) > 4 {
			return queryErrorf("Invalid filter %s: write [%q, \"visit:country\", [\"NO\"]].", clip(compact(b)), op)
		}
		if err := json.Unmarshal(parts[1], &f.Dimension); err != nil {
			return queryErrorf("Invalid filter %s: the dimension is a string like \"visit:country\".", clip(compact(b)))
		}
		if err := json.Unmarshal(parts[2], &f.Values); err != nil {
			return queryErrorf("Invalid filter %s: the values are a list of strings.", clip(compact(b)))
		}
		if len(parts) == 4 {
			var mod filterModifiers
			if err := decodeStrict(parts[3], &mod); err != nil {
				return queryErrorf("Invalid filter %s: the only modifier is {\"case_sensitive\": false}.", clip(compact(b)))
			}
			f.CaseSensitive = mod.CaseSensitive
		}
	default:
		return queryErrorf("Unknown filter operator %q in filter %s; the operators are is, is_not, contains, contains_not, and, or, not.", clip(op), clip(compact(b)))
	}
	return nil
}

func jsonFilterError(b []byte, err error) error {
	if qe, ok := err.(*QueryError); ok {
		return qe
	}
	return queryErrorf("Invalid filter %s: a filter is a list like [\"is\", \"visit:country\", [\"NO\"]].", clip(compact(b)))
}

func compact(b []byte) string {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return string(b)
	}
	return buf.String()
}

func (f Filter) String() string {
	b, _ := json.Marshal(f)
	return string(b)
}

// validate checks the filter's shape, names and limits; nodes counts the
// filters of the whole query.
func (f Filter) validate(depth int, nodes *int) error {
	*nodes++
	if *nodes > maxFilterNodes {
		return queryErrorf("Too many filters: at most %d in all.", maxFilterNodes)
	}
	if depth > maxFilterDepth {
		return queryErrorf("Filters are nested too deep: at most %d levels.", maxFilterDepth)
	}
	switch f.Op {
	case OpAnd, OpOr:
		if len(f.Filters) < 2 {
			return queryErrorf("Invalid filter %s: %q needs two filters or more.", clip(f.String()), f.Op)
		}
		for _, g := range f.Filters {
			if err := g.validate(depth+1, nodes); err != nil {
				return err
			}
		}
		return nil
	case OpNot:
		if len(f.Filters) != 1 {
			return queryErrorf("Invalid filter %s: \"not\" takes one filter.", clip(f.String()))
		}
		return f.Filters[0].validate(depth+1, nodes)
	case OpIs, OpIsNot, OpContains, OpContainsNot:
	default:
		return queryErrorf("Unknown filter operator %q in filter %s; the operators are is, is_not, contains, contains_not, and, or, not.", clip(f.Op), clip(f.String()))
	}
	if _, ok := dimensions[f.Dimension]; !ok {
		if isTimeDimension(f.Dimension) {
			return queryErrorf("Invalid filter %s: time is chosen with date_range, not with a filter.", clip(f.String()))
		}
		return queryErrorf("Invalid filter %s: unknown dimension `%s`.", clip(f.String()), clip(f.Dimension))
	}
	if len(f.Values) == 0 {
		return queryErrorf("Invalid filter %s: give at least one value.", clip(f.String()))
	}
	if len(f.Values) > maxFilterValues {
		return queryErrorf("Invalid filter %s: at most %d values.", clip(f.String()), maxFilterValues)
	}
	for _, v := range f.Values {
		if len(v) > maxValueBytes {
			return queryErrorf("Invalid filter %s: a value is longer than %d bytes.", clip(f.String()), maxValueBytes)
		}
		if f.Dimension == "visit:country" && (f.Op == OpIs || f.Op == OpIsNot) && !isCountryCode(v) {
			return queryErrorf("Invalid filter %s: visit:country takes 2-letter country codes like \"NO\"; use visit:country_name for names.", clip(f.String()))
		}
	}
	return nil
}

// uses reports whether the filter tree names the dimension.
func (f Filter) uses(name string) bool {
	if f.Dimension == name {
		return true
	}
	return slices.ContainsFunc(f.Filters, func(g Filter) bool { return g.uses(name) })
}

// columns adds the table columns the filter reads.
func (f Filter) columns(dst []string) []string {
	if d, ok := dimensions[f.Dimension]; ok && !slices.Contains(dst, d.column) {
		dst = append(dst, d.column)
	}
	for _, g := range f.Filters {
		dst = g.columns(dst)
	}
	return dst
}

func isCountryCode(s string) bool {
	return len(s) == 2 && strings.ToUpper(s) == s && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}
