package dashboard

import (
	"errors"
	"html/template"
	"slices"
	"strings"
)

// funcs are the few helpers templates need beyond the methods of their
// data; formatting lives on i18n.Lang, which every page gets as .L.
var funcs = template.FuncMap{
	// dict passes several values to a partial: dict "Key" value ...
	"dict": func(kv ...any) (map[string]any, error) {
		if len(kv)%2 != 0 {
			return nil, errors.New("dict: odd number of arguments")
		}
		m := make(map[string]any, len(kv)/2)
		for i := 0; i < len(kv); i += 2 {
			k, ok := kv[i].(string)
			if !ok {
				return nil, errors.New("dict: keys must be strings")
			}
			m[k] = kv[i+1]
		}
		return m, nil
	},
	"join":  strings.Join,
	"add":   func(a, b int) int { return a + b },
	"list3": func(a, b, c string) []string { return []string{a, b, c} },
	"has":   func(list []string, s string) bool { return slices.Contains(list, s) },
}
