// Package testenv gives tests the real parts they run against: the embedded
// engine's library, a throwaway ClickHouse server started on free ports and
// stopped by PID, and a store on each backend with a database of its own.
//
// A part that cannot be had skips the test, unless VARDE_REQUIRE_SERVER=1
// (set by .ci/run), when it fails it: CI must not go green by skipping.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/varde/varde/aggregator/store"
)

// Required reports whether missing parts fail tests instead of skipping them.
func Required() bool { return os.Getenv("VARDE_REQUIRE_SERVER") == "1" }

// Unavailable skips tb, or fails it when parts are required.
func Unavailable(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if Required() {
		tb.Fatalf(format, args...)
	}
	tb.Skipf(format, args...)
}

// Root is the repository's top directory (the one holding go.mod).
func Root() string {
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// ChdbLib is the path of libchdb.so: $CHDB_LIB_PATH or .cache/libchdb.so.
func ChdbLib(tb testing.TB) string {
	tb.Helper()
	p := os.Getenv("CHDB_LIB_PATH")
	if p == "" {
		p = filepath.Join(Root(), ".cache", "libchdb.so")
	}
	if _, err := os.Stat(p); err != nil {
		Unavailable(tb, "embedded engine not available: %v (run `make .cache/libchdb.so`)", err)
	}
	return p
}

// Backend is one way of running the store, for tests that run once per
// backend.
type Backend struct {
	Name string // "embedded" or "server"
	Open func(tb testing.TB) store.Store
}

// Backends are the embedded engine and the ClickHouse server.
func Backends() []Backend {
	return []Backend{
		{Name: "embedded", Open: EmbeddedStore},
		{Name: "server", Open: ServerStore},
	}
}

// ForEachBackend runs f as a subtest named after each backend.
func ForEachBackend(t *testing.T, f func(t *testing.T, s store.Store)) {
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) {
			f(t, b.Open(t))
		})
	}
}

var embeddedDir struct {
	once sync.Once
	dir  string
}

// EmbeddedDataDir is the one data directory the embedded engine uses in this
// test process (the engine allows one per process).
func EmbeddedDataDir() string {
	embeddedDir.once.Do(func() {
		d, err := os.MkdirTemp("", "varde-chdb-")
		if err != nil {
			panic(err)
		}
		embeddedDir.dir = d
		cleanups = append(cleanups, func() { os.RemoveAll(d) })
	})
	return embeddedDir.dir
}

// EmbeddedStore opens the embedded engine on a fresh database of its own.
func EmbeddedStore(tb testing.TB) store.Store {
	tb.Helper()
	lib := ChdbLib(tb)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := store.Open(ctx, store.Options{URL: "chdb://" + EmbeddedDataDir(), LibPath: lib, Database: UniqueName("t")})
	if err != nil {
		tb.Fatalf("open embedded store: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// ServerStore connects to the shared test server on a fresh database.
func ServerStore(tb testing.TB) store.Store {
	tb.Helper()
	srv := SharedServer(tb)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := store.Open(ctx, store.Options{URL: srv.URL(UniqueName("t"))})
	if err != nil {
		tb.Fatalf("open server store: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// UniqueName is a fresh identifier with the given prefix.
func UniqueName(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + "_" + hex.EncodeToString(b)
}

var cleanups []func()

// Main runs the package's tests and then stops whatever they started.
// Use it from TestMain: `func TestMain(m *testing.M) { testenv.Main(m) }`.
func Main(m *testing.M) {
	code := m.Run()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	os.Exit(code)
}
