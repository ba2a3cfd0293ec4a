package store_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/varde/varde/aggregator/store"
	"github.com/varde/varde/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

const itemsTable = `CREATE TABLE items (
	id UInt64,
	name String,
	at DateTime('UTC'),
	day Date,
	small UInt16,
	delta Int32,
	ratio Float64,
	flag UInt8,
	tags Array(String)
) ENGINE = MergeTree() PARTITION BY toYYYYMM(day) ORDER BY id`

// TestContract is the storage contract: what every part of Varde relies on,
// run on the embedded engine and on the server alike.
func TestContract(t *testing.T) {
	testenv.ForEachBackend(t, func(t *testing.T, s store.Store) {
		if err := s.Exec(ctx(t), itemsTable); err != nil {
			t.Fatalf("create: %v", err)
		}
		t.Run("insert and read back", func(t *testing.T) { testInsertReadBack(t, s) })
		t.Run("bound values round trip", func(t *testing.T) { testBoundValues(t, s) })
		t.Run("inserted strings round trip", func(t *testing.T) { testInsertedStrings(t, s) })
		t.Run("rows made one at a time", func(t *testing.T) { testInsertRows(t, s) })
		t.Run("sql error is an error", func(t *testing.T) { testSQLError(t, s) })
		t.Run("concurrent queries", func(t *testing.T) { testConcurrent(t, s) })
		t.Run("deadline", func(t *testing.T) { testDeadline(t, s) })
		t.Run("mutation", func(t *testing.T) { testMutation(t, s) })
	})
}

func testInsertReadBack(t *testing.T, s store.Store) {
	at := time.Date(2026, 11, 27, 23, 59, 58, 0, time.UTC)
	cols := []string{"id", "name", "at", "day", "small", "delta", "ratio", "flag", "tags"}
	var rows [][]any
	for i := range 2500 {
		rows = append(rows, []any{uint64(i), fmt.Sprintf("name %d 'quoted' \\ tab\t", i), at, store.Date(at), 65535, -7, 0.25, true, []string{"a", "b"}})
	}
	if err := s.Insert(ctx(t), "items", cols, rows); err != nil {
		t.Fatalf("insert: %v", err)
	}
	res, err := s.Query(ctx(t), "SELECT count(), sum(id), min(name), max(at), max(day), max(small), min(delta), sum(ratio), sum(flag), any(tags) FROM items")
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	if !res.Next() {
		t.Fatal("no row")
	}
	var (
		count, sum, flags uint64
		name              string
		maxAt, maxDay     time.Time
		small             uint16
		delta             int
		ratio             float64
		tags              []string
	)
	if err := res.Scan(&count, &sum, &name, &maxAt, &maxDay, &small, &delta, &ratio, &tags, &tags); err == nil {
		t.Fatal("Scan into a slice from a number: want an error, got nil")
	}
	if err := res.Scan(&count, &sum, &name, &maxAt, &maxDay, &small, &delta, &ratio, &flags, &tags); err != nil {
		t.Fatalf("scan: %v", err)
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"count", count, uint64(2500)},
		{"sum", sum, uint64(2500 * 2499 / 2)},
		{"min(name)", name, "name 0 'quoted' \\ tab\t"},
		{"max(at)", maxAt, at},
		{"max(day)", maxDay, time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)},
		{"small", small, uint16(65535)},
		{"delta", delta, -7},
		{"ratio", ratio, 625.0},
		{"flags", flags, uint64(2500)},
		{"tags", strings.Join(tags, ","), "a,b"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.what, c.got, c.want)
		}
	}
	var tsv strings.Builder
	res, err = s.Query(ctx(t), "SELECT id, name, at, day, tags FROM items WHERE id = ?", 3)
	if err != nil {
		t.Fatal(err)
	}
	res.WriteTSV(&tsv)
	if want := "3\tname 3 'quoted' \\\\ tab\\t\t2026-11-27 23:59:58\t2026-11-27\t['a','b']\n"; tsv.String() != want {
		t.Errorf("TSV: got %q, want %q", tsv.String(), want)
	}
}

func testBoundValues(t *testing.T, s store.Store) {
	tricky := []string{"", "plain", "it's", `back\slash`, "new\nline", "tab\there", "nul\x00byte", "?", "'; DROP TABLE items; --", "æøå Ærlig"}
	for _, v := range tricky {
		res, err := s.Query(ctx(t), "SELECT ? AS v, length(?) AS n", v, v)
		if err != nil {
			t.Fatalf("bind %q: %v", v, err)
		}
		res.Next()
		var got string
		var n int
		if err := res.Scan(&got, &n); err != nil {
			t.Fatal(err)
		}
		if got != v || n != len(v) {
			t.Errorf("bind %q: got %q (length %d), want it back unchanged", v, got, n)
		}
	}
	res, err := s.Query(ctx(t), "SELECT count() FROM items WHERE name IN ? AND at <= ? AND day = ?",
		store.In{"name 1 'quoted' \\ tab\t", "nope"}, time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC), store.Date(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	res.Next()
	var n int
	res.Scan(&n)
	if n != 1 {
		t.Errorf("IN, DateTime and Date arguments: got %d rows, want 1", n)
	}
}

func testSQLError(t *testing.T, s store.Store) {
	for _, q := range []string{"SELECT no_such_function()", "SELECT * FROM no_such_table", "SELEC 1"} {
		_, err := s.Query(ctx(t), q)
		if err == nil {
			t.Errorf("%s: got no error, want one", q)
		}
		if err := s.Exec(ctx(t), q); err == nil {
			t.Errorf("Exec %s: got no error, want one", q)
		}
	}
	// The store keeps working after errors.
	if _, err := s.Query(ctx(t), "SELECT 1"); err != nil {
		t.Errorf("after errors: %v", err)
	}
	if err := s.Insert(ctx(t), "no_such_table", []string{"a"}, [][]any{{1}}); err == nil {
		t.Error("insert into a missing table: got no error, want one")
	}
	if _, err := s.Query(ctx(t), "SELECT ?", 1, 2); err == nil {
		t.Error("more arguments than placeholders: got no error, want one")
	}
}

func testConcurrent(t *testing.T, s store.Store) {
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 5 {
				res, err := s.Query(ctx(t), "SELECT count() FROM items WHERE id % 16 = ? AND id < 2500", i)
				if err != nil {
					errs <- err
					return
				}
				res.Next()
				var n int
				res.Scan(&n)
				if want := 2500 / 16; n != want && n != want+1 {
					errs <- fmt.Errorf("query %d/%d: got %d, want about %d", i, j, n, want)
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := s.Insert(ctx(t), "items", []string{"id", "name"}, [][]any{{100000, "concurrent"}}); err != nil {
			errs <- err
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func testDeadline(t *testing.T, s store.Store) {
	c, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.Query(c, "SELECT count() FROM numbers(100000000000) WHERE sipHash64(number) = 1")
	if err == nil {
		t.Fatal("a statement past its deadline: got no error, want one")
	}
	if waited := time.Since(start); waited > 10*time.Second {
		t.Errorf("a statement past its deadline returned after %v", waited)
	}
	if !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(err.Error(), "timeout") && !strings.Contains(err.Error(), "TIMEOUT") && !strings.Contains(err.Error(), "Timeout") {
		t.Logf("deadline error: %v", err)
	}
}

func testMutation(t *testing.T, s store.Store) {
	if err := s.Exec(ctx(t), "ALTER TABLE items DELETE WHERE id < ?", 10); err != nil {
		t.Fatalf("alter delete: %v", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := s.Query(ctx(t), "SELECT count() FROM items WHERE id < 10")
		if err != nil {
			t.Fatal(err)
		}
		res.Next()
		var n int
		res.Scan(&n)
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("rows still there 20 s after ALTER DELETE: %d", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func testInsertedStrings(t *testing.T, s store.Store) {
	tricky := []string{"", "it's", `back\slash`, "new\nline", "tab\there", "cr\rhere", "nul\x00byte", "[a,'b']", "\\N", "æøå"}
	var rows [][]any
	for i, v := range tricky {
		rows = append(rows, []any{uint64(200000 + i), v, []string{v, "x"}})
	}
	if err := s.Insert(ctx(t), "items", []string{"id", "name", "tags"}, rows); err != nil {
		t.Fatal(err)
	}
	res, err := s.Query(ctx(t), "SELECT name, tags FROM items WHERE id >= 200000 ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; res.Next(); i++ {
		var name string
		var tags []string
		if err := res.Scan(&name, &tags); err != nil {
			t.Fatal(err)
		}
		if name != tricky[i] || len(tags) != 2 || tags[0] != tricky[i] {
			t.Errorf("inserted %q: read back %q and %q", tricky[i], name, tags)
		}
	}
}

// madeRows makes row i when asked, into the one slice the store hands
// over for every row.
type madeRows int

func (n madeRows) Len() int { return int(n) }

func (n madeRows) Row(i int, dst []any) {
	dst[0], dst[1], dst[2] = uint64(300000+i), fmt.Sprintf("made %d", i), []string{strconv.Itoa(i)}
}

// testInsertRows: every row is stored with its own values, though the
// store gets them in a slice it reuses.
func testInsertRows(t *testing.T, s store.Store) {
	const n = 3000
	if err := s.InsertRows(ctx(t), "items", []string{"id", "name", "tags"}, madeRows(n)); err != nil {
		t.Fatal(err)
	}
	res, err := s.Query(ctx(t), `SELECT count(), sum(id - 300000),
		countIf(name = concat('made ', toString(id - 300000))), countIf(tags[1] = toString(id - 300000))
		FROM items WHERE id >= 300000`)
	if err != nil {
		t.Fatal(err)
	}
	res.Next()
	var count, sum, names, tags uint64
	if err := res.Scan(&count, &sum, &names, &tags); err != nil {
		t.Fatal(err)
	}
	if count != n || sum != n*(n-1)/2 || names != n || tags != n {
		t.Errorf("rows %d, sum of ids %d, rows with their own name %d and tag %d; want %d, %d, %d, %d",
			count, sum, names, tags, n, n*(n-1)/2, n, n)
	}
}
