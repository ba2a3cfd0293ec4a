// Package schemas holds Varde's ClickHouse DDL as numbered migrations, and
// the JSON schemas of the public payloads.
//
// A migration is a file NNNN_name.sql: statements separated by a semicolon
// at the end of a line. Each must run on ClickHouse 18.16 and on chDB alike
// (no TTL, no LowCardinality, no ADD COLUMN IF NOT EXISTS), and must be safe
// to run again after a crash half way through: CREATE ... IF NOT EXISTS.
//
// Aggregate tables live in a database of their own, written {{agg}} in a
// migration (the store's database plus "_agg"), so that the read side can
// be confined to it: on a server, by a user allowed that database only.
package schemas

import "embed"

// Migrations are the *.sql files of this directory, applied in name order.
//
//go:embed *.sql
var Migrations embed.FS
