// Package spool is Varde's local write-ahead log: a record appended to it
// is on disk, fsynced, when Append returns, and stays there until the
// consumer that stores it elsewhere acknowledges the segment holding it.
//
// The spool owns the files under its directory and nothing else. It does not
// know what a record means and must never interpret or log a record's bytes
// (logs carry counts and batch ids only), and it never deletes a record that
// has not been acknowledged.
//
// # On disk
//
// A spool is a directory of segment files named after their batch id in 16
// hex digits: ID.wal is the segment being written, ID.seg a sealed one
// awaiting its consumer, and LOCK keeps a second process out. A segment is
// the 8-byte magic "VSPOOL1\n" followed by records, each framed as
//
//	uint32 LE  payload length n
//	uint32 LE  CRC-32C (Castagnoli) of the 4 length bytes and the payload
//	n bytes    payload
//
// The first record that is cut short or fails its checksum ends a segment:
// a crash mid-write leaves such a torn tail, and Open cuts it off. Appenders
// are answered only after fdatasync, so a torn tail never holds a record
// that was acknowledged to them.
//
// # Batch identity
//
// A segment's id is the batch id its consumer stores with its records. It is
// the time of the segment's creation in microseconds since 1970, raised when
// needed above every id this spool has used or finds on disk, so ids sort in
// the order the records came and are unique within the spool and across its
// restarts.
package spool
