// Package httpapi is what Varde's two HTTP surfaces share: the Fiber app's
// settings, and the one function that turns an error into an answer. A 4xx
// carries a sentence a person can act on; a 5xx is logged with its cause and
// answered without internals. No IP address or user agent is ever logged.
package httpapi

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Error is an answer with a status and a sentence for the client.
type Error struct {
	Status int
	Msg    string
}

func (e *Error) Error() string { return e.Msg }

// Errorf is shorthand for an *Error.
func Errorf(status int, msg string) *Error { return &Error{Status: status, Msg: msg} }

// Respond answers c with err as {"error": "..."}.
func Respond(c *fiber.Ctx, log *slog.Logger, err error) error {
	var e *Error
	var fe *fiber.Error
	switch {
	case errors.As(err, &e):
	case errors.As(err, &fe):
		e = &Error{Status: fe.Code, Msg: fe.Message}
		if fe.Code == http.StatusRequestEntityTooLarge {
			e.Msg = "the request body is too large"
		}
	default:
		e = &Error{Status: http.StatusInternalServerError, Msg: "internal error; it has been logged"}
	}
	if e.Status >= 500 {
		log.Error("request failed", "method", c.Method(), "path", c.Path(), "status", e.Status, "err", err)
	}
	return c.Status(e.Status).JSON(fiber.Map{"error": e.Msg})
}

// NewApp is a Fiber app with Varde's settings: bounded timeouts and bodies,
// no startup banner, and errors answered by Respond.
func NewApp(log *slog.Logger) *fiber.App {
	return fiber.New(fiber.Config{
		DisableStartupMessage: true,
		ReadTimeout:           10 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           75 * time.Second,
		// Handlers set tighter limits of their own (the beacon takes 4 KB);
		// this caps the rest, such as a banner configuration upload.
		BodyLimit:    1 << 20,
		ErrorHandler: func(c *fiber.Ctx, err error) error { return Respond(c, log, err) },
	})
}
