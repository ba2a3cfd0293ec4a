package store

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Column describes one result column: its name and ClickHouse type.
type Column struct {
	Name string
	Type string
}

// Rows is a whole query result held in memory. Values are normalised to the
// same Go types on both backends: string, int64, uint64, float64, bool,
// time.Time (UTC), []any for arrays and tuples, nil for NULL.
type Rows struct {
	Columns []Column
	Values  [][]any
	next    int
}

// Len is the number of rows.
func (r *Rows) Len() int { return len(r.Values) }

// Next advances to the next row, for use with Scan.
func (r *Rows) Next() bool {
	if r.next >= len(r.Values) {
		return false
	}
	r.next++
	return true
}

// Scan copies the current row into dest, converting between numeric types
// when the value fits.
func (r *Rows) Scan(dest ...any) error {
	if r.next == 0 || r.next > len(r.Values) {
		return fmt.Errorf("store: Scan called without a row")
	}
	row := r.Values[r.next-1]
	if len(dest) != len(row) {
		return fmt.Errorf("store: Scan got %d destinations for %d columns", len(dest), len(row))
	}
	for i, d := range dest {
		if err := assign(d, row[i]); err != nil {
			return fmt.Errorf("store: column %s: %w", r.Columns[i].Name, err)
		}
	}
	return nil
}

func assign(dest, v any) error {
	switch d := dest.(type) {
	case *any:
		*d = v
		return nil
	case *string:
		switch v := v.(type) {
		case string:
			*d = v
		case nil:
			*d = ""
		default:
			*d = fmt.Sprint(v)
		}
		return nil
	case *time.Time:
		t, ok := v.(time.Time)
		if !ok {
			return fmt.Errorf("cannot scan %T into time.Time", v)
		}
		*d = t
		return nil
	case *bool:
		switch v := v.(type) {
		case bool:
			*d = v
		case uint64:
			*d = v != 0
		case int64:
			*d = v != 0
		default:
			return fmt.Errorf("cannot scan %T into bool", v)
		}
		return nil
	case *float64:
		switch v := v.(type) {
		case float64:
			*d = v
		case uint64:
			*d = float64(v)
		case int64:
			*d = float64(v)
		default:
			return fmt.Errorf("cannot scan %T into float64", v)
		}
		return nil
	case *[]string:
		switch v := v.(type) {
		case []any:
			s := make([]string, len(v))
			for i, e := range v {
				str, ok := e.(string)
				if !ok {
					return fmt.Errorf("cannot scan array of %T into []string", e)
				}
				s[i] = str
			}
			*d = s
		case nil:
			*d = nil
		default:
			return fmt.Errorf("cannot scan %T into []string", v)
		}
		return nil
	case *int, *int64, *int32, *int16, *int8, *uint, *uint64, *uint32, *uint16, *uint8:
		return assignInt(d, v)
	}
	return fmt.Errorf("cannot scan into %T", dest)
}

func assignInt(dest, v any) error {
	var (
		n   int64
		u   uint64
		neg bool
	)
	switch v := v.(type) {
	case int64:
		n, neg = v, v < 0
		u = uint64(v)
	case uint64:
		u = v
		n = int64(v)
		if v > math.MaxInt64 {
			n = math.MaxInt64 // only reached for uint64 destinations, checked below
		}
	case bool:
		if v {
			n, u = 1, 1
		}
	case float64:
		if v != math.Trunc(v) {
			return fmt.Errorf("cannot scan %v into an integer", v)
		}
		n, u, neg = int64(v), uint64(v), v < 0
	default:
		return fmt.Errorf("cannot scan %T into an integer", v)
	}
	fits := func(min int64, max uint64) bool {
		if neg {
			return n >= min
		}
		return u <= max
	}
	ok := true
	switch d := dest.(type) {
	case *int:
		ok = fits(math.MinInt, math.MaxInt)
		*d = int(n)
	case *int64:
		ok = fits(math.MinInt64, math.MaxInt64)
		*d = n
	case *int32:
		ok = fits(math.MinInt32, math.MaxInt32)
		*d = int32(n)
	case *int16:
		ok = fits(math.MinInt16, math.MaxInt16)
		*d = int16(n)
	case *int8:
		ok = fits(math.MinInt8, math.MaxInt8)
		*d = int8(n)
	case *uint:
		ok = !neg
		*d = uint(u)
	case *uint64:
		ok = !neg
		*d = u
	case *uint32:
		ok = !neg && u <= math.MaxUint32
		*d = uint32(u)
	case *uint16:
		ok = !neg && u <= math.MaxUint16
		*d = uint16(u)
	case *uint8:
		ok = !neg && u <= math.MaxUint8
		*d = uint8(u)
	}
	if !ok {
		return fmt.Errorf("value %v does not fit %T", v, dest)
	}
	return nil
}

// WriteTSV writes the rows as ClickHouse's TabSeparated format does, so the
// operator's `varde sql` prints the same on both backends.
func (r *Rows) WriteTSV(w io.Writer) error {
	var b strings.Builder
	for _, row := range r.Values {
		b.Reset()
		for i, v := range row {
			if i > 0 {
				b.WriteByte('\t')
			}
			writeTSVValue(&b, v, false, isDateType(r.Columns[i].Type))
		}
		b.WriteByte('\n')
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
	}
	return nil
}

// isDateType reports whether a column holds days rather than instants.
func isDateType(t string) bool {
	t = unwrapType(t)
	return t == "Date" || t == "Date32"
}

func writeTSVValue(b *strings.Builder, v any, nested, date bool) {
	switch v := v.(type) {
	case nil:
		if nested {
			b.WriteString("NULL")
		} else {
			b.WriteString(`\N`)
		}
	case string:
		if nested {
			quote(b, v)
			return
		}
		for i := 0; i < len(v); i++ {
			switch c := v[i]; c {
			case '\\':
				b.WriteString(`\\`)
			case '\t':
				b.WriteString(`\t`)
			case '\n':
				b.WriteString(`\n`)
			default:
				b.WriteByte(c)
			}
		}
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case uint64:
		b.WriteString(strconv.FormatUint(v, 10))
	case float64:
		appendFloat(b, v)
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case time.Time:
		if nested {
			b.WriteByte('\'')
		}
		if date {
			b.WriteString(v.Format(time.DateOnly))
		} else {
			b.WriteString(v.Format(time.DateTime))
		}
		if nested {
			b.WriteByte('\'')
		}
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			writeTSVValue(b, e, true, date)
		}
		b.WriteByte(']')
	default:
		fmt.Fprint(b, v)
	}
}
