package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The embedded engine's results come as RowBinaryWithNamesAndTypes: a
// header of column names and types, then each row's values in binary,
// in column order. Decoding it costs a fraction of JSON's (a page of the
// dashboard reads some 20,000 rows), and it carries the types exactly.

// errUnsupported marks a type the binary decoder does not know; the
// query is then read as JSON instead.
var errUnsupported = errors.New("a type the binary decoder does not read")

// binaryReader reads one result.
type binaryReader struct {
	b   []byte
	off int
}

var errShort = errors.New("the result ends in the middle of a value")

func (r *binaryReader) take(n int) ([]byte, error) {
	if n < 0 || len(r.b)-r.off < n {
		return nil, errShort
	}
	p := r.b[r.off : r.off+n]
	r.off += n
	return p, nil
}

func (r *binaryReader) uvarint() (uint64, error) {
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		return 0, errShort
	}
	r.off += n
	return v, nil
}

func (r *binaryReader) str() (string, error) {
	n, err := r.uvarint()
	if err != nil {
		return "", err
	}
	if n > uint64(len(r.b)-r.off) {
		return "", errShort
	}
	p, err := r.take(int(n))
	return string(p), err
}

// decodeFunc reads one value of a column's type.
type decodeFunc func(r *binaryReader) (any, error)

// decoderOf builds the reader of values of ClickHouse type t, normalised
// as Rows says.
func decoderOf(t string) (decodeFunc, error) {
	switch {
	case strings.HasPrefix(t, "Nullable(") && strings.HasSuffix(t, ")"):
		inner := t[len("Nullable(") : len(t)-1]
		if inner == "Nothing" {
			return func(r *binaryReader) (any, error) {
				_, err := r.take(1)
				return nil, err
			}, nil
		}
		elem, err := decoderOf(inner)
		if err != nil {
			return nil, err
		}
		return func(r *binaryReader) (any, error) {
			flag, err := r.take(1)
			if err != nil || flag[0] != 0 {
				return nil, err
			}
			return elem(r)
		}, nil
	case strings.HasPrefix(t, "LowCardinality(") && strings.HasSuffix(t, ")"):
		return decoderOf(t[len("LowCardinality(") : len(t)-1])
	case strings.HasPrefix(t, "Array(") && strings.HasSuffix(t, ")"):
		elem, err := decoderOf(elemType(t))
		if err != nil {
			return nil, err
		}
		return func(r *binaryReader) (any, error) {
			n, err := r.uvarint()
			if err != nil {
				return nil, err
			}
			if n > uint64(len(r.b)-r.off) {
				return nil, errShort // every element takes a byte at least
			}
			out := make([]any, n)
			for i := range out {
				if out[i], err = elem(r); err != nil {
					return nil, err
				}
			}
			return out, nil
		}, nil
	case strings.HasPrefix(t, "Tuple(") && strings.HasSuffix(t, ")"):
		var elems []decodeFunc
		for _, et := range tupleTypes(t) {
			d, err := decoderOf(et)
			if err != nil {
				return nil, err
			}
			elems = append(elems, d)
		}
		return func(r *binaryReader) (any, error) {
			out := make([]any, len(elems))
			var err error
			for i, d := range elems {
				if out[i], err = d(r); err != nil {
					return nil, err
				}
			}
			return out, nil
		}, nil
	case strings.HasPrefix(t, "FixedString(") && strings.HasSuffix(t, ")"):
		n, err := strconv.Atoi(t[len("FixedString(") : len(t)-1])
		if err != nil {
			return nil, errUnsupported
		}
		return func(r *binaryReader) (any, error) {
			p, err := r.take(n)
			return strings.TrimRight(string(p), "\x00"), err
		}, nil
	case strings.HasPrefix(t, "DateTime64("):
		precision, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(t[len("DateTime64("):len(t)-1], ",", 2)[0]))
		if err != nil || precision < 0 || precision > 9 {
			return nil, errUnsupported
		}
		unit := int64(math.Pow10(9 - precision))
		return fixed(8, func(p []byte) any {
			return time.Unix(0, int64(binary.LittleEndian.Uint64(p))*unit).UTC()
		}), nil
	case t == "DateTime" || strings.HasPrefix(t, "DateTime("):
		return fixed(4, func(p []byte) any { return time.Unix(int64(binary.LittleEndian.Uint32(p)), 0).UTC() }), nil
	}
	switch t {
	case "String":
		return func(r *binaryReader) (any, error) { return r.str() }, nil
	case "UInt8":
		return fixed(1, func(p []byte) any { return uint64(p[0]) }), nil
	case "UInt16":
		return fixed(2, func(p []byte) any { return uint64(binary.LittleEndian.Uint16(p)) }), nil
	case "UInt32":
		return fixed(4, func(p []byte) any { return uint64(binary.LittleEndian.Uint32(p)) }), nil
	case "UInt64":
		return fixed(8, func(p []byte) any { return binary.LittleEndian.Uint64(p) }), nil
	case "Int8":
		return fixed(1, func(p []byte) any { return int64(int8(p[0])) }), nil
	case "Int16":
		return fixed(2, func(p []byte) any { return int64(int16(binary.LittleEndian.Uint16(p))) }), nil
	case "Int32":
		return fixed(4, func(p []byte) any { return int64(int32(binary.LittleEndian.Uint32(p))) }), nil
	case "Int64":
		return fixed(8, func(p []byte) any { return int64(binary.LittleEndian.Uint64(p)) }), nil
	case "Float32":
		return fixed(4, func(p []byte) any { return float64(math.Float32frombits(binary.LittleEndian.Uint32(p))) }), nil
	case "Float64":
		return fixed(8, func(p []byte) any { return math.Float64frombits(binary.LittleEndian.Uint64(p)) }), nil
	case "Bool":
		return fixed(1, func(p []byte) any { return p[0] != 0 }), nil
	case "Date":
		return fixed(2, func(p []byte) any { return time.Unix(int64(binary.LittleEndian.Uint16(p))*86400, 0).UTC() }), nil
	case "Date32":
		return fixed(4, func(p []byte) any { return time.Unix(int64(int32(binary.LittleEndian.Uint32(p)))*86400, 0).UTC() }), nil
	}
	return nil, fmt.Errorf("%w: %s", errUnsupported, t)
}

// fixed reads values of n bytes.
func fixed(n int, conv func([]byte) any) decodeFunc {
	return func(r *binaryReader) (any, error) {
		p, err := r.take(n)
		if err != nil {
			return nil, err
		}
		return conv(p), nil
	}
}

// decodeRowBinary reads a RowBinaryWithNamesAndTypes result.
func decodeRowBinary(out []byte) (*Rows, error) {
	if len(out) == 0 {
		return &Rows{}, nil
	}
	r := &binaryReader{b: out}
	n, err := r.uvarint()
	if err != nil || n > uint64(len(out)) {
		return nil, fmt.Errorf("store: reading result: %w", errShort)
	}
	cols := make([]Column, n)
	for i := range cols {
		if cols[i].Name, err = r.str(); err != nil {
			return nil, fmt.Errorf("store: reading result: %w", err)
		}
	}
	decoders := make([]decodeFunc, n)
	for i := range cols {
		if cols[i].Type, err = r.str(); err != nil {
			return nil, fmt.Errorf("store: reading result: %w", err)
		}
		if decoders[i], err = decoderOf(cols[i].Type); err != nil {
			return nil, err
		}
	}
	rows := &Rows{Columns: cols}
	if n == 0 {
		return rows, nil
	}
	for r.off < len(r.b) {
		row := make([]any, n)
		for i, d := range decoders {
			if row[i], err = d(r); err != nil {
				return nil, fmt.Errorf("store: column %s: %w", cols[i].Name, err)
			}
		}
		rows.Values = append(rows.Values, row)
	}
	return rows, nil
}
