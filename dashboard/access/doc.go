// Package access keeps the dashboard's records of who may look: login
// sessions, sign-in attempts (for the lockout) and shared links, in the
// tables of schemas/0004_dashboard.sql.
//
// Secrets handed to a browser (a session cookie, a shared link's token) are
// never stored: only their SHA-256 is, so a copy of the tables grants
// nothing. Nothing here knows about HTTP; nothing here reads event data.
package access

import "errors"

// ErrNotFound is returned for a session or link that does not exist, has
// expired or was revoked: the caller cannot and need not tell which.
var ErrNotFound = errors.New("access: not found")
