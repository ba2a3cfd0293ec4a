package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// server runs SQL on a ClickHouse server over the native protocol.
type server struct {
	conn driver.Conn
}

// errUnknownDatabase is ClickHouse's UNKNOWN_DATABASE code.
const errUnknownDatabase = 81

func openServer(ctx context.Context, u *url.URL) (*server, error) {
	opts, err := clickhouse.ParseDSN(u.String())
	if err != nil {
		return nil, fmt.Errorf("store: bad server URL: %w", err)
	}
	if opts.DialTimeout == 0 || opts.DialTimeout > 10*time.Second {
		opts.DialTimeout = 5 * time.Second
	}
	if opts.Auth.Database == "" {
		opts.Auth.Database = "default"
	}
	opts.MaxOpenConns = 16
	opts.MaxIdleConns = 8
	opts.Compression = &clickhouse.Compression{Method: clickhouse.CompressionLZ4}
	s, err := dialServer(ctx, opts)
	var ex *clickhouse.Exception
	if errors.As(err, &ex) && ex.Code == errUnknownDatabase {
		// First start against an empty server: create the database, then
		// connect to it.
		db := opts.Auth.Database
		opts.Auth.Database = "default"
		admin, aerr := dialServer(ctx, opts)
		if aerr != nil {
			return nil, aerr
		}
		aerr = admin.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+quoteIdent(db))
		admin.Close()
		if aerr != nil {
			return nil, aerr
		}
		opts.Auth.Database = db
		return dialServer(ctx, opts)
	}
	return s, err
}

func dialServer(ctx context.Context, opts *clickhouse.Options) (*server, error) {
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	s := &server{conn: conn}
	if err := s.Ping(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return s, nil
}

// quoteIdent quotes a database or table name with backticks.
func quoteIdent(name string) string {
	return "`" + strings.ReplaceAll(strings.ReplaceAll(name, `\`, `\\`), "`", "\\`") + "`"
}

func (s *server) Backend() string { return "server" }

// callContext bounds ctx and passes its deadline on as the server-side
// max_execution_time, so a runaway statement stops on the server too.
func callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := withDeadline(ctx)
	dl, _ := ctx.Deadline()
	secs := int(math.Ceil(time.Until(dl).Seconds()))
	if secs < 1 {
		secs = 1
	}
	opts := []clickhouse.QueryOption{clickhouse.WithSettings(clickhouse.Settings{"max_execution_time": secs})}
	if id := queryID(ctx); id != "" {
		opts = append(opts, clickhouse.WithQueryID(id))
	}
	return clickhouse.Context(ctx, opts...), cancel
}

func (s *server) Ping(ctx context.Context) error {
	ctx, cancel := withDeadline(ctx)
	defer cancel()
	if err := s.conn.Ping(ctx); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

func (s *server) Exec(ctx context.Context, query string, args ...any) error {
	q, err := Bind(query, args...)
	if err != nil {
		return err
	}
	ctx, cancel := callContext(ctx)
	defer cancel()
	if err := s.conn.Exec(ctx, q); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

func (s *server) Query(ctx context.Context, query string, args ...any) (*Rows, error) {
	q, err := Bind(query, args...)
	if err != nil {
		return nil, err
	}
	ctx, cancel := callContext(ctx)
	defer cancel()
	rs, err := s.conn.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rs.Close()
	types := rs.ColumnTypes()
	rows := &Rows{Columns: make([]Column, len(types))}
	dest := make([]any, len(types))
	for i, ct := range types {
		rows.Columns[i] = Column{Name: ct.Name(), Type: ct.DatabaseTypeName()}
	}
	for rs.Next() {
		for i, ct := range types {
			dest[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rs.Scan(dest...); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		row := make([]any, len(dest))
		for i, d := range dest {
			row[i] = normalize(reflect.ValueOf(d).Elem())
		}
		rows.Values = append(rows.Values, row)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return rows, nil
}

// normalize turns what clickhouse-go scanned into the Go types Rows promises.
func normalize(v reflect.Value) any {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	switch x := v.Interface().(type) {
	case time.Time:
		return x.UTC()
	case fmt.Stringer:
		// UUID, decimal and the like read as their text form, except for
		// decimals, which are numbers.
		if v.Type().PkgPath() == "github.com/shopspring/decimal" {
			f, _ := v.Interface().(interface{ Float64() (float64, bool) }).Float64()
			return f
		}
		if v.Kind() != reflect.String {
			return x.String()
		}
	}
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return v.Uint()
	case reflect.Float32, reflect.Float64:
		return v.Float()
	case reflect.Bool:
		return v.Bool()
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 && v.Kind() == reflect.Array {
			return string(v.Bytes())
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = normalize(v.Index(i))
		}
		return out
	}
	return fmt.Sprint(v.Interface())
}

func (s *server) Insert(ctx context.Context, table string, columns []string, rows [][]any) error {
	return insertSlice(ctx, s, table, columns, rows)
}

func (s *server) InsertRows(ctx context.Context, table string, columns []string, rows RowSource) error {
	n := rows.Len()
	if n == 0 {
		return nil
	}
	ctx, cancel := callContext(ctx)
	defer cancel()
	batch, err := s.conn.PrepareBatch(ctx, fmt.Sprintf("INSERT INTO %s (%s)", table, strings.Join(columns, ", ")))
	if err != nil {
		return fmt.Errorf("store: insert into %s: %w", table, err)
	}
	defer batch.Close()
	cols := batch.Columns()
	if len(cols) != len(columns) {
		return fmt.Errorf("store: insert into %s: server expects %d columns, got %d", table, len(cols), len(columns))
	}
	row := make([]any, len(columns))
	vals := make([]any, len(columns))
	for i := range n {
		rows.Row(i, row)
		for j, v := range row {
			cv, err := coerce(v, string(cols[j].Type()))
			if err != nil {
				return fmt.Errorf("store: insert into %s: column %s: %w", table, columns[j], err)
			}
			vals[j] = cv
		}
		if err := batch.Append(vals...); err != nil {
			return fmt.Errorf("store: insert into %s: %w", table, err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("store: insert into %s: %w", table, err)
	}
	return nil
}

// coerce converts the loosely typed values callers pass (an int for a
// UInt16 column, a bool for a UInt8) into the exact Go type clickhouse-go
// expects for the column, so both backends accept the same rows.
func coerce(v any, typ string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch d := v.(type) {
	case Date:
		return time.Time(d).UTC(), nil
	case []byte:
		v = string(d)
	}
	t := unwrapType(typ)
	var n int64
	var u uint64
	switch x := v.(type) {
	case int:
		n, u = int64(x), uint64(x)
	case int8:
		n, u = int64(x), uint64(x)
	case int16:
		n, u = int64(x), uint64(x)
	case int32:
		n, u = int64(x), uint64(x)
	case int64:
		n, u = x, uint64(x)
	case uint:
		n, u = int64(x), uint64(x)
	case uint8:
		n, u = int64(x), uint64(x)
	case uint16:
		n, u = int64(x), uint64(x)
	case uint32:
		n, u = int64(x), uint64(x)
	case uint64:
		n, u = int64(x), x
	case bool:
		if x {
			n, u = 1, 1
		}
	default:
		if t == "Float32" {
			if f, ok := v.(float64); ok {
				return float32(f), nil
			}
		}
		return v, nil
	}
	switch t {
	case "UInt8":
		return uint8(u), nil
	case "UInt16":
		return uint16(u), nil
	case "UInt32":
		return uint32(u), nil
	case "UInt64":
		return u, nil
	case "Int8":
		return int8(n), nil
	case "Int16":
		return int16(n), nil
	case "Int32":
		return int32(n), nil
	case "Int64":
		return n, nil
	case "Float32":
		return float32(n), nil
	case "Float64":
		return float64(n), nil
	case "Bool":
		return n != 0, nil
	}
	if strings.HasPrefix(t, "DateTime") || t == "Date" {
		return time.Unix(n, 0).UTC(), nil
	}
	return v, nil
}

func (s *server) Close() error {
	return s.conn.Close()
}
