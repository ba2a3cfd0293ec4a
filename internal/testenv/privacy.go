package testenv

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/varde/varde/aggregator/store"
)

// AuditStore fails tb if any needle (an IP address, a user-agent string)
// appears in any column of any table of the store's database or of its
// aggregates database, every value cast to a string. Aggregate states are
// included: they are checked in their serialised form.
func AuditStore(tb testing.TB, s store.Store, needles []string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cols, err := s.Query(ctx, "SELECT database, table, name, type FROM system.columns WHERE database IN (currentDatabase(), concat(currentDatabase(), '_agg')) ORDER BY database, table, name")
	if err != nil {
		tb.Fatalf("privacy audit: list columns: %v", err)
	}
	if cols.Len() == 0 {
		tb.Fatal("privacy audit: no columns found")
	}
	checked := 0
	for cols.Next() {
		var db, table, col, typ string
		if err := cols.Scan(&db, &table, &col, &typ); err != nil {
			tb.Fatal(err)
		}
		// Materialized views hold no rows of their own; their targets are
		// checked as tables.
		var conds []string
		var args []any
		for _, n := range needles {
			conds = append(conds, "position(toString(`"+col+"`), ?) > 0")
			args = append(args, n)
		}
		q := "SELECT count() FROM `" + db + "`.`" + table + "` WHERE " + strings.Join(conds, " OR ")
		if strings.HasPrefix(typ, "AggregateFunction") {
			q = "SELECT count() FROM `" + db + "`.`" + table + "` WHERE " + strings.ReplaceAll(strings.Join(conds, " OR "), "toString(`"+col+"`)", "hex(toString(`"+col+"`))")
			for i, n := range needles {
				args[i] = strings.ToUpper(hexString(n))
			}
		}
		rows, err := s.Query(ctx, q, args...)
		if err != nil {
			if strings.Contains(err.Error(), "is a view") || strings.Contains(err.Error(), "VIEW") {
				continue
			}
			tb.Errorf("privacy audit: %s.%s.%s: %v", db, table, col, err)
			continue
		}
		var n int
		if rows.Next() {
			rows.Scan(&n)
		}
		if n > 0 {
			tb.Errorf("privacy audit: %s.%s column %s holds an IP address or user agent in %d rows", db, table, col, n)
		}
		checked++
	}
	tb.Logf("privacy audit: %d columns checked for %d needles", checked, len(needles))
}

func hexString(s string) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 0, 2*len(s))
	for i := 0; i < len(s); i++ {
		b = append(b, digits[s[i]>>4], digits[s[i]&15])
	}
	return string(b)
}

// AuditText fails tb if any needle appears in text (a log).
func AuditText(tb testing.TB, what, text string, needles []string) {
	tb.Helper()
	for _, n := range needles {
		if strings.Contains(text, n) {
			tb.Errorf("privacy audit: %s contains %q", what, n)
		}
	}
}
