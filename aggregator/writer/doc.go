// Package writer is the durable batching writer of raw events: the one way
// events get from the collector into ClickHouse's events table.
//
// Append encodes events into the local spool (package spool) and returns
// once they are fsynced, never waiting on ClickHouse; a flusher, run by
// Run and finished by Close, inserts each sealed spool segment as one batch
// and acknowledges it only once it is stored. An event acknowledged by
// Append is stored exactly once: through crashes (the spool is replayed at
// start), store outages (retried with backoff while the spool grows up to
// its limit) and inserts whose outcome is unknown: before such a batch is
// inserted again, the writer waits until no earlier insert of it still runs
// on the server, looks up which of its event ids are stored, and inserts
// only the others. A fresh batch's first insert skips all that.
//
// The writer must never log or label metrics with an event's contents:
// logs carry counts, batch ids and errors only.
package writer
