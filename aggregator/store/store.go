// Package store runs Varde's SQL on ClickHouse, embedded (chDB) or on a
// server (clickhouse-go, native protocol), behind one small interface.
//
// Both backends take the same SQL with `?` placeholders, bound here by one
// encoder, and hand back rows as the same Go values, so everything above this
// package is written once. The store knows nothing of Varde's tables.
package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"
)

// Store is a connection to ClickHouse. Every call takes a context; a call
// whose context has no deadline gets DefaultTimeout.
type Store interface {
	// Exec runs a statement that returns no rows: DDL, ALTER, INSERT ... SELECT.
	Exec(ctx context.Context, query string, args ...any) error
	// Query runs a statement and returns all of its rows.
	Query(ctx context.Context, query string, args ...any) (*Rows, error)
	// Insert appends rows to a table; each row holds one value per column.
	Insert(ctx context.Context, table string, columns []string, rows [][]any) error
	// InsertRows is Insert with rows made one at a time, so that a large
	// insert is never held as a [][]any of all its values.
	InsertRows(ctx context.Context, table string, columns []string, rows RowSource) error
	// Ping reports whether the store answers.
	Ping(ctx context.Context) error
	// Backend names the implementation: "embedded" or "server".
	Backend() string
	Close() error
}

// RowSource gives the rows of an insert one at a time.
type RowSource interface {
	Len() int
	// Row puts row i's values, one per column, into dst; the caller owns
	// dst again once Row returns.
	Row(i int, dst []any)
}

// sliceRows is the RowSource of rows already made.
type sliceRows [][]any

func (r sliceRows) Len() int             { return len(r) }
func (r sliceRows) Row(i int, dst []any) { copy(dst, r[i]) }

// insertSlice is every backend's Insert: rows checked to have a value per
// column, then inserted by the backend's InsertRows.
func insertSlice(ctx context.Context, s Store, table string, columns []string, rows [][]any) error {
	for i, row := range rows {
		if len(row) != len(columns) {
			return fmt.Errorf("store: insert into %s: row %d has %d values for %d columns", table, i, len(row), len(columns))
		}
	}
	return s.InsertRows(ctx, table, columns, sliceRows(rows))
}

// DefaultTimeout bounds a call whose context carries no deadline.
const DefaultTimeout = 30 * time.Second

// Options selects and configures a store.
type Options struct {
	// URL is chdb://DIR for the embedded engine (DIR defaults to DataDir) or
	// clickhouse://user:pass@host:9000/db for a server. Default: "chdb://".
	URL string
	// DataDir holds the embedded engine's files under DataDir/chdb.
	// Default: "./data".
	DataDir string
	// Database, when set, is created if missing and used instead of the
	// embedded engine's default database; tests use it to keep apart.
	// A server URL names its database in its path.
	Database string
	// LibPath is where libchdb.so is; only read for the embedded engine.
	// Default: $CHDB_LIB_PATH, else ./.cache/libchdb.so.
	LibPath string
}

func (o *Options) fill() {
	if o.URL == "" {
		o.URL = "chdb://"
	}
	if o.DataDir == "" {
		o.DataDir = "./data"
	}
}

// Open connects to the store that opts.URL names. The embedded engine is
// loaded only here, only when asked for.
func Open(ctx context.Context, opts Options) (Store, error) {
	opts.fill()
	u, err := url.Parse(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("store: bad store URL: %w", err)
	}
	switch u.Scheme {
	case "chdb":
		dir := opts.DataDir
		if rest := strings.TrimPrefix(opts.URL, "chdb://"); rest != "" {
			dir = rest
		}
		return openEmbedded(filepath.Join(dir, "chdb"), opts.LibPath, opts.Database)
	case "clickhouse":
		return openServer(ctx, u)
	default:
		return nil, fmt.Errorf("store: unknown store %q: use chdb://DIR or clickhouse://user:pass@host:9000/db", opts.URL)
	}
}

// withDeadline gives ctx a deadline when it has none.
func withDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, DefaultTimeout)
}

// ErrClosed is returned by calls on a closed store.
var ErrClosed = errors.New("store: closed")

type queryIDKey struct{}

// WithQueryID names the statements run with ctx on a server, so that they
// can be found in system.processes (the writer waits for an insert of an
// earlier attempt this way). The embedded engine runs inside this process
// and ignores it.
func WithQueryID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, queryIDKey{}, id)
}

func queryID(ctx context.Context) string {
	id, _ := ctx.Value(queryIDKey{}).(string)
	return id
}
