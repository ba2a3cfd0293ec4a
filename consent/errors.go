package consent

import (
	"fmt"
	"net/http"
)

// InputError is a request the visitor's browser got wrong. Msg is a
// sentence a person can act on; Status is the HTTP status to answer with:
// 400 for malformed or inconsistent input, 413 for a body that is too large.
type InputError struct {
	Status int
	Msg    string
}

func (e *InputError) Error() string { return e.Msg }

func badInput(format string, args ...any) *InputError {
	return &InputError{Status: http.StatusBadRequest, Msg: fmt.Sprintf(format, args...)}
}
