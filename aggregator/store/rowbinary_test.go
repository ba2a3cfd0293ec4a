package store_test

import (
	"reflect"
	"testing"

	"github.com/varde/varde/aggregator/store"
	"github.com/varde/varde/internal/testenv"
)

// The embedded engine's results come in binary; every type Varde reads
// must come out as it did from JSON, and types the binary reader does not
// know still read (as JSON).
func TestBinaryResultsReadAsJSON(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, s store.Store) {
		if s.Backend() != "embedded" {
			t.Skip("the server's driver reads its own protocol")
		}
		queries := []string{
			`SELECT toUInt8(number) AS u8, toUInt16(65535) AS u16, toUInt32(4000000000) AS u32, toUInt64(18446744073709551615) AS u64,
				toInt8(-8) AS i8, toInt16(-16000) AS i16, toInt32(-2000000000) AS i32, toInt64(-9000000000000000000) AS i64,
				toFloat32(0.5) AS f32, 1 / 3 AS f64, true AS b, concat('it''s æøå \t', toString(number)) AS s, toFixedString('ab', 4) AS fs,
				toDate('2026-11-27') AS d, toDate32('1960-01-01') AS d32, toDateTime('2026-11-27 23:59:58', 'Europe/Oslo') AS dt,
				toDateTime64('2026-11-27 23:59:58.123', 3, 'UTC') AS dt64, [1, 2, 3] AS arr, [['a'], []] AS nested,
				(toUInt32(1), 'x', [toDate('2026-01-01')]) AS tup, CAST(NULL AS Nullable(Int64)) AS nothing,
				if(number = 1, NULL, number) AS maybe, toLowCardinality('lc') AS lc, NULL AS null
			FROM numbers(3)`,
			`SELECT CAST('a' AS Enum8('a' = 1, 'b' = 2)) AS e, map('k', 1) AS m`,
			`SELECT 1 WHERE 0`,
		}
		for _, q := range queries {
			got, err := s.Query(ctx(t), q)
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
			want, err := store.QueryJSON(ctx(t), s, q)
			if err != nil {
				t.Fatalf("%s as JSON: %v", q, err)
			}
			if !reflect.DeepEqual(got.Values, want.Values) && !(len(got.Values) == 0 && len(want.Values) == 0) {
				t.Errorf("%s:\n binary %#v\n json   %#v", q, got.Values, want.Values)
			}
			for i := range want.Columns {
				if i >= len(got.Columns) || got.Columns[i] != want.Columns[i] {
					t.Errorf("%s: columns %v, want %v", q, got.Columns, want.Columns)
					break
				}
			}
		}
	})
}

// FuzzDecodeRowBinary: whatever the bytes, the reader returns rows or an
// error, never a panic.
func FuzzDecodeRowBinary(f *testing.F) {
	f.Add([]byte{1, 1, 'n', 6, 'U', 'I', 'n', 't', '6', '4', 1, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{2, 1, 'a', 1, 'b', 13, 'A', 'r', 'r', 'a', 'y', '(', 'S', 't', 'r', 'i', 'n', 'g', ')',
		16, 'N', 'u', 'l', 'l', 'a', 'b', 'l', 'e', '(', 'I', 'n', 't', '8', ')', 2, 1, 'x', 0, 0, 0xff})
	f.Add([]byte{1, 1, 't', 17, 'T', 'u', 'p', 'l', 'e', '(', 'D', 'a', 't', 'e', ',', ' ', 'B', 'o', 'o', 'l', ')', 1, 2, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		store.DecodeRowBinary(b)
	})
}
