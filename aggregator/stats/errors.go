package stats

import "fmt"

// QueryError is a query the engine will not answer, with a sentence the
// caller can act on; the stats API answers it with 400.
type QueryError struct{ Msg string }

func (e *QueryError) Error() string { return e.Msg }

func queryErrorf(format string, args ...any) *QueryError {
	return &QueryError{Msg: fmt.Sprintf(format, args...)}
}
