package store

import (
	"strings"
	"testing"
	"time"
)

func TestBind(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600))
	cases := []struct {
		query string
		args  []any
		want  string
	}{
		{"SELECT ?", []any{"it's"}, `SELECT 'it\'s'`},
		{"SELECT ?, ?", []any{int64(-3), uint64(18446744073709551615)}, "SELECT -3, 18446744073709551615"},
		{"SELECT '?', ?", []any{1}, "SELECT '?', 1"},
		{"SELECT \"a?\", `b?`, ? -- what?\n", []any{true}, "SELECT \"a?\", `b?`, 1 -- what?\n"},
		{"SELECT /* ? */ ?", []any{nil}, "SELECT /* ? */ NULL"},
		{"SELECT ?", []any{at}, "SELECT toDateTime('2026-01-02 02:04:05', 'UTC')"},
		{"SELECT ?", []any{Date(at)}, "SELECT toDate('2026-01-02')"},
		{"x IN ?", []any{In{"a", 2}}, "x IN ('a', 2)"},
		{"x IN ?", []any{In{"a"}}, "x IN ('a')"},
		{"SELECT ?", []any{[]string{"a", "b'c"}}, `SELECT ['a', 'b\'c']`},
		{"SELECT ?", []any{"line\nbreak\\"}, `SELECT 'line\nbreak\\'`},
		{"SELECT 'it''s ?', ?", []any{2}, "SELECT 'it''s ?', 2"},
	}
	for _, c := range cases {
		got, err := Bind(c.query, c.args...)
		if err != nil || got != c.want {
			t.Errorf("Bind(%q, %v): got %q, %v, want %q", c.query, c.args, got, err, c.want)
		}
	}
	for _, bad := range []struct {
		query string
		args  []any
	}{
		{"SELECT ?", nil},
		{"SELECT 1", []any{1}},
		{"SELECT ?", []any{struct{}{}}},
		{"x IN ?", []any{In{}}},
		{"SELECT /* ?", []any{1}},
	} {
		if got, err := Bind(bad.query, bad.args...); err == nil {
			t.Errorf("Bind(%q, %v): got %q, want an error", bad.query, bad.args, got)
		}
	}
}

// FuzzBind checks that a bound string can never end its own literal early:
// whatever the value, the statement holds exactly one literal after SELECT.
func FuzzBind(f *testing.F) {
	for _, s := range []string{"", "'", `\`, `\'`, "''", "?", "a'; DROP TABLE x; --", "\x00", "é", "`\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Bind("SELECT ? AS v", s)
		if err != nil {
			t.Fatal(err)
		}
		lit := strings.TrimSuffix(strings.TrimPrefix(q, "SELECT "), " AS v")
		if end := skipQuoted(lit, 0); end != len(lit) {
			t.Fatalf("value %q: its literal %q ends at %d of %d", s, lit, end, len(lit))
		}
	})
}
