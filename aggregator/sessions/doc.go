// Package sessions derives visits from raw events: the sessionizer.
//
// Collector nodes write raw events with no session state; this package
// reads every node's events back from the store, groups each visitor's
// events into visits (a visit ends after 30 minutes without events, and may
// continue across one UTC midnight through prev_visitor_id), and keeps the
// CollapsingMergeTree tables sessions and session_events equal to the
// current visits: it cancels rows that are no longer right and writes the
// ones that are missing, so sign-weighted sums over them are always exact.
// Visits is the pure computation; Sessionizer runs it incrementally over new
// inserts (RunOnce, Run) or for whole days (Rebuild), and holds a lease so
// that only one node writes at a time.
//
// It owns the sessions, session_events and sessionized_inserts tables and
// the "sessionizer" lease. It must not write raw events, and it must never
// log visitor ids or any event content (paths, referrers, props): counts
// only.
package sessions
