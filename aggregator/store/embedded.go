package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/varde/varde/aggregator/internal/chdb"
)

// ErrNoEngine means the embedded engine was asked for but libchdb.so is not
// where it was looked for.
var ErrNoEngine = errors.New("store: the embedded ClickHouse engine (libchdb.so) is missing")

// embedded runs SQL on chDB inside this process. The engine runs one
// statement at a time per connection, so a small pool lets reads go on
// while the writer inserts.
type embedded struct {
	pool    chan *engineConn
	all     []*engineConn
	counted bool // in openStores: fully opened
	closed  sync.Once
}

// engineConn is a pooled connection and the statement time limit its
// session is set to.
type engineConn struct {
	*chdb.Conn
	limit int // max_execution_time in seconds; 0 = not set yet
}

// limitTo makes the engine itself stop a statement that runs past the
// caller's deadline: a running statement cannot be abandoned in any other way.
func (c *engineConn) limitTo(deadline time.Time) error {
	secs := int(math.Ceil(time.Until(deadline).Seconds()))
	if secs < 1 {
		secs = 1
	}
	if secs == c.limit {
		return nil
	}
	if _, err := c.Query("SET max_execution_time = "+strconv.Itoa(secs), ""); err != nil {
		return err
	}
	c.limit = secs
	return nil
}

// embeddedConns is the pool size: enough for the writer, the read side and
// background jobs to run at once on a small machine.
const embeddedConns = 4

// LibPath resolves where libchdb.so is looked for: the given path, else
// $CHDB_LIB_PATH, else ./.cache/libchdb.so.
func LibPath(path string) string {
	if path != "" {
		return path
	}
	if env := os.Getenv("CHDB_LIB_PATH"); env != "" {
		return env
	}
	return filepath.Join(".cache", "libchdb.so")
}

func openEmbedded(dir, lib, database string) (*embedded, error) {
	lib = LibPath(lib)
	if err := chdb.Load(lib); err != nil {
		return nil, fmt.Errorf("%w at %s (%v). Get it with `make .cache/libchdb.so` "+
			"(npm pack @chdb/lib-linux-x64-gnu@26.5.3, then unpack libchdb.so from the tarball), "+
			"point CHDB_LIB_PATH or --chdb-lib at it, or use --store clickhouse://... for a server",
			ErrNoEngine, lib, err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	// While this process has the engine open it holds the lock itself, so
	// only a first open can tell another process's lock.
	if openStores.Load() == 0 && inUse(dir) {
		return nil, fmt.Errorf("store: the embedded store in %s is in use by another varde process (such as varde serve); "+
			"stop it first, or run Varde against a ClickHouse server to use several processes at once", dir)
	}
	s := &embedded{pool: make(chan *engineConn, embeddedConns)}
	setup := []string{
		// Values are exchanged in UTC whatever the machine's zone is.
		"SET session_timezone = 'UTC'",
	}
	if database != "" {
		setup = append(setup, "CREATE DATABASE IF NOT EXISTS "+quoteIdent(database), "USE "+quoteIdent(database))
	}
	for range embeddedConns {
		c, err := chdb.Connect(dir)
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("store: %w", err)
		}
		conn := &engineConn{Conn: c}
		s.all = append(s.all, conn)
		for _, q := range setup {
			if _, err := conn.Query(q, ""); err != nil {
				s.Close()
				return nil, fmt.Errorf("store: %w", err)
			}
		}
		s.pool <- conn
	}
	openStores.Add(1)
	s.counted = true
	return s, nil
}

// openStores counts the embedded stores open in this process.
var openStores atomic.Int32

func (s *embedded) Backend() string { return "embedded" }

// run executes one statement, giving up when ctx ends. The engine stops the
// statement itself at the deadline (see limitTo).
func (s *embedded) run(ctx context.Context, query, format string) ([]byte, error) {
	ctx, cancel := withDeadline(ctx)
	defer cancel()
	type result struct {
		out []byte
		err error
	}
	var conn *engineConn
	select {
	case conn = <-s.pool:
	case <-ctx.Done():
		return nil, fmt.Errorf("store: %w", ctx.Err())
	}
	done := make(chan result, 1)
	dl, _ := ctx.Deadline()
	go func() {
		defer func() { s.pool <- conn }()
		if err := conn.limitTo(dl); err != nil {
			done <- result{nil, err}
			return
		}
		out, err := conn.Query(query, format)
		done <- result{out, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			return nil, fmt.Errorf("store: %w", r.err)
		}
		return r.out, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("store: %w", ctx.Err())
	}
}

func (s *embedded) Exec(ctx context.Context, query string, args ...any) error {
	q, err := Bind(query, args...)
	if err != nil {
		return err
	}
	_, err = s.run(ctx, q, "")
	return err
}

func (s *embedded) Ping(ctx context.Context) error {
	_, err := s.run(ctx, "SELECT 1", "TSV")
	return err
}

func (s *embedded) Query(ctx context.Context, query string, args ...any) (*Rows, error) {
	q, err := Bind(query, args...)
	if err != nil {
		return nil, err
	}
	out, err := s.run(ctx, q, "RowBinaryWithNamesAndTypes")
	if err != nil {
		return nil, err
	}
	rows, err := decodeRowBinary(out)
	if errors.Is(err, errUnsupported) {
		// A type only JSON reads (an Enum, a Map...): ask again.
		if out, err = s.run(ctx, q, "JSONCompact"); err != nil {
			return nil, err
		}
		return decodeJSONCompact(out)
	}
	return rows, err
}

func (s *embedded) Insert(ctx context.Context, table string, columns []string, rows [][]any) error {
	return insertSlice(ctx, s, table, columns, rows)
}

func (s *embedded) InsertRows(ctx context.Context, table string, columns []string, rows RowSource) error {
	n := rows.Len()
	if n == 0 {
		return nil
	}
	// TabSeparated: the engine parses it about four times faster than
	// JSONEachRow, and the beacon path's batches are big. A Builder hands
	// its text over without a copy.
	var b strings.Builder
	b.Grow(64 + len(columns)*32)
	fmt.Fprintf(&b, "INSERT INTO %s (%s) FORMAT TabSeparated\n", table, strings.Join(columns, ", "))
	head := b.Len()
	row := make([]any, len(columns))
	for i := range n {
		if i == 1 {
			// Size the text by its first row: growing a buffer of many
			// MB copies it, in a stretch the garbage collector waits on.
			b.Grow((b.Len() - head) * (n - 1) * 5 / 4)
		}
		rows.Row(i, row)
		for j, v := range row {
			if j > 0 {
				b.WriteByte('\t')
			}
			if err := appendTSV(&b, v, false); err != nil {
				return fmt.Errorf("store: insert into %s: column %s: %w", table, columns[j], err)
			}
		}
		b.WriteByte('\n')
	}
	if _, err := s.run(ctx, b.String(), ""); err != nil {
		return fmt.Errorf("store: insert into %s: %w", table, err)
	}
	return nil
}

// appendTSV encodes a value as TabSeparated input reads it. Inside an
// array, strings are quoted; at the top level, they are escaped.
func appendTSV(b *strings.Builder, v any, nested bool) error {
	switch v := v.(type) {
	case nil:
		if nested {
			b.WriteString("NULL")
		} else {
			b.WriteString(`\N`)
		}
	case string:
		appendTSVString(b, v, nested)
	case []byte:
		appendTSVString(b, string(v), nested)
	case time.Time:
		appendTSVQuoted(b, v.UTC().Format(time.DateTime), nested)
	case Date:
		appendTSVQuoted(b, time.Time(v).UTC().Format(time.DateOnly), nested)
	case bool:
		if v {
			b.WriteByte('1')
		} else {
			b.WriteByte('0')
		}
	case int:
		appendInt(b, int64(v))
	case int8:
		appendInt(b, int64(v))
	case int16:
		appendInt(b, int64(v))
	case int32:
		appendInt(b, int64(v))
	case int64:
		appendInt(b, v)
	case uint:
		appendUint(b, uint64(v))
	case uint8:
		appendUint(b, uint64(v))
	case uint16:
		appendUint(b, uint64(v))
	case uint32:
		appendUint(b, uint64(v))
	case uint64:
		appendUint(b, v)
	case float32:
		return appendTSVFloat(b, float64(v))
	case float64:
		return appendTSVFloat(b, v)
	case []string:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			appendTSVString(b, e, true)
		}
		b.WriteByte(']')
	case []uint64:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			appendUint(b, e)
		}
		b.WriteByte(']')
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := appendTSV(b, e, true); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	default:
		return fmt.Errorf("cannot store a value of type %T", v)
	}
	return nil
}

// appendTSVQuoted writes text that needs no escaping, quoted in an array.
func appendTSVQuoted(b *strings.Builder, s string, quoted bool) {
	if quoted {
		b.WriteByte('\'')
	}
	b.WriteString(s)
	if quoted {
		b.WriteByte('\'')
	}
}

func appendTSVFloat(b *strings.Builder, f float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("cannot store %v", f)
	}
	b.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
	return nil
}

// appendTSVString escapes a string for TabSeparated input: backslash,
// tab, line breaks and NUL always; the quote too inside an array literal.
// Runs of plain bytes are copied at once.
func appendTSVString(b *strings.Builder, s string, quoted bool) {
	if quoted {
		b.WriteByte('\'')
	}
	start := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '\\':
			esc = `\\`
		case '\t':
			esc = `\t`
		case '\n':
			esc = `\n`
		case '\r':
			esc = `\r`
		case 0:
			esc = `\0`
		case '\'':
			if !quoted {
				continue
			}
			esc = `\'`
		default:
			continue
		}
		b.WriteString(s[start:i])
		b.WriteString(esc)
		start = i + 1
	}
	b.WriteString(s[start:])
	if quoted {
		b.WriteByte('\'')
	}
}

// appendInt and appendUint format a number without allocating.
func appendInt(b *strings.Builder, v int64) {
	var scratch [20]byte
	b.Write(strconv.AppendInt(scratch[:0], v, 10))
}

func appendUint(b *strings.Builder, v uint64) {
	var scratch [20]byte
	b.Write(strconv.AppendUint(scratch[:0], v, 10))
}

func (s *embedded) Close() error {
	s.closed.Do(func() {
		for _, c := range s.all {
			c.Close()
		}
		if s.counted {
			openStores.Add(-1)
		}
	})
	return nil
}

// decodeJSONCompact reads chDB's JSONCompact output into normalised rows.
func decodeJSONCompact(out []byte) (*Rows, error) {
	if len(bytes.TrimSpace(out)) == 0 {
		return &Rows{}, nil
	}
	var doc struct {
		Meta []Column            `json:"meta"`
		Data [][]json.RawMessage `json:"data"`
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("store: reading result: %w", err)
	}
	rows := &Rows{Columns: doc.Meta, Values: make([][]any, len(doc.Data))}
	for i, raw := range doc.Data {
		row := make([]any, len(raw))
		for j, cell := range raw {
			v, err := decodeCell(cell, doc.Meta[j].Type)
			if err != nil {
				return nil, fmt.Errorf("store: column %s: %w", doc.Meta[j].Name, err)
			}
			row[j] = v
		}
		rows.Values[i] = row
	}
	return rows, nil
}

func decodeCell(cell json.RawMessage, typ string) (any, error) {
	if string(cell) == "null" {
		return nil, nil
	}
	switch kindOf(typ) {
	case kindArray:
		var elems []json.RawMessage
		if err := json.Unmarshal(cell, &elems); err != nil {
			return nil, err
		}
		et := elemType(typ)
		out := make([]any, len(elems))
		for i, e := range elems {
			v, err := decodeCell(e, et)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case kindTuple:
		var elems []json.RawMessage
		if err := json.Unmarshal(cell, &elems); err != nil {
			return nil, err
		}
		types := tupleTypes(typ)
		if len(types) != len(elems) {
			return nil, fmt.Errorf("tuple of %d values for type %s", len(elems), typ)
		}
		out := make([]any, len(elems))
		for i, e := range elems {
			v, err := decodeCell(e, types[i])
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case kindInt:
		return strconv.ParseInt(numberText(cell), 10, 64)
	case kindUint:
		return strconv.ParseUint(numberText(cell), 10, 64)
	case kindFloat:
		text := numberText(cell)
		if text == "null" {
			return nil, nil
		}
		return strconv.ParseFloat(text, 64)
	case kindBool:
		return string(cell) == "true" || string(cell) == "1", nil
	case kindDate, kindDateTime:
		var s string
		if err := json.Unmarshal(cell, &s); err != nil {
			return nil, err
		}
		layout := time.DateTime
		if kindOf(typ) == kindDate {
			layout = time.DateOnly
		} else if strings.Contains(s, ".") {
			layout = "2006-01-02 15:04:05.999999999"
		}
		t, err := time.ParseInLocation(layout, s, typeLocation(typ))
		if err != nil {
			return nil, err
		}
		return t.UTC(), nil
	default:
		var s string
		if err := json.Unmarshal(cell, &s); err != nil {
			// Maps and other shapes stay as their JSON text.
			return string(cell), nil
		}
		if strings.HasPrefix(unwrapType(typ), "FixedString") {
			s = strings.TrimRight(s, "\x00")
		}
		return s, nil
	}
}

// numberText returns a JSON number's text; 64-bit integers may arrive quoted.
func numberText(cell json.RawMessage) string {
	s := string(cell)
	if len(s) >= 2 && s[0] == '"' {
		s = s[1 : len(s)-1]
	}
	return s
}

// inUse reports whether another process holds the engine's lock on dir.
func inUse(dir string) bool {
	f, err := os.Open(filepath.Join(dir, "status"))
	if err != nil {
		return false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return errors.Is(err, syscall.EWOULDBLOCK)
	}
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return false
}
