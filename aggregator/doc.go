// Package aggregator owns everything that touches ClickHouse: the store
// (package store: embedded chDB or a server), migrations, the records of
// sites, accounts and keys, the durable batching writer, rollups, retention,
// salts, and the read side that answers stats queries with k-anonymity.
//
// Nothing above this package writes SQL. The read side reads aggregate
// tables only.
package aggregator
