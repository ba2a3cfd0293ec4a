package aggregator

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/varde/varde/aggregator/store"
	"github.com/varde/varde/schemas"
)

// Migration is one numbered schema change.
type Migration struct {
	Version    int
	Name       string
	Statements []string
}

// Migrations reads the embedded migrations in order.
func Migrations() ([]Migration, error) {
	return readMigrations(schemas.Migrations)
}

func readMigrations(fsys fs.FS) ([]Migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []Migration
	for _, name := range names {
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("aggregator: migration %s: name must be NNNN_name.sql", name)
		}
		if len(out) > 0 && out[len(out)-1].Version == v {
			return nil, fmt.Errorf("aggregator: two migrations numbered %d", v)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: strings.TrimSuffix(name, ".sql"), Statements: splitStatements(string(body))})
	}
	return out, nil
}

// splitStatements splits a migration at semicolons that end a line, and
// drops comment-only lines.
func splitStatements(sql string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(sql, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "--") || (trimmed == "" && cur.Len() == 0) {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			stmt := strings.TrimSuffix(strings.TrimSpace(cur.String()), ";")
			if stmt != "" {
				out = append(out, stmt)
			}
			cur.Reset()
		}
	}
	if stmt := strings.TrimSpace(cur.String()); stmt != "" {
		out = append(out, stmt)
	}
	return out
}

const migrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version UInt32,
    name String,
    applied_at DateTime('UTC')
) ENGINE = MergeTree() ORDER BY version`

// AggregateSuffix names the database of the aggregate tables: the store's
// database plus this suffix. The read side connects to that database alone,
// and on a server it does so as a user that may read nothing else.
const AggregateSuffix = "_agg"

// AggregateDatabase is the name of the aggregates database of the store's
// current database.
func AggregateDatabase(ctx context.Context, s store.Store) (string, error) {
	rows, err := s.Query(ctx, "SELECT currentDatabase()")
	if err != nil {
		return "", fmt.Errorf("aggregator: current database: %w", err)
	}
	var db string
	if !rows.Next() {
		return "", fmt.Errorf("aggregator: current database: no answer")
	}
	if err := rows.Scan(&db); err != nil {
		return "", err
	}
	return db + AggregateSuffix, nil
}

// Migrate applies the migrations the store has not recorded yet, in order,
// and records each. Running it again changes nothing. It returns the
// versions it applied. Migrations name the aggregates database {{agg}}.
func Migrate(ctx context.Context, s store.Store, log *slog.Logger) ([]int, error) {
	all, err := Migrations()
	if err != nil {
		return nil, err
	}
	return migrate(ctx, s, all, log)
}

func migrate(ctx context.Context, s store.Store, all []Migration, log *slog.Logger) ([]int, error) {
	if err := s.Exec(ctx, migrationsTable); err != nil {
		return nil, fmt.Errorf("aggregator: migrate: %w", err)
	}
	agg, err := AggregateDatabase(ctx, s)
	if err != nil {
		return nil, err
	}
	if err := s.Exec(ctx, "CREATE DATABASE IF NOT EXISTS `"+agg+"`"); err != nil {
		return nil, fmt.Errorf("aggregator: create %s: %w", agg, err)
	}
	rows, err := s.Query(ctx, "SELECT DISTINCT version FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("aggregator: migrate: %w", err)
	}
	done := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		done[v] = true
	}
	var applied []int
	for _, m := range all {
		if done[m.Version] {
			continue
		}
		for i, stmt := range m.Statements {
			stmt = strings.ReplaceAll(stmt, "{{agg}}", "`"+agg+"`")
			if err := s.Exec(ctx, stmt); err != nil && !alreadyApplied(stmt, err) {
				return applied, fmt.Errorf("aggregator: migration %s, statement %d: %w", m.Name, i+1, err)
			}
		}
		err := s.Insert(ctx, "schema_migrations", []string{"version", "name", "applied_at"},
			[][]any{{m.Version, m.Name, time.Now().UTC()}})
		if err != nil {
			return applied, fmt.Errorf("aggregator: recording migration %s: %w", m.Name, err)
		}
		log.Info("applied migration", "version", m.Version, "name", m.Name, "backend", s.Backend())
		applied = append(applied, m.Version)
	}
	return applied, nil
}

// alreadyApplied tells the one error a re-run may meet: the old server has no
// ADD COLUMN IF NOT EXISTS, so a column added before a crash already exists.
func alreadyApplied(stmt string, err error) bool {
	upper := strings.ToUpper(stmt)
	return strings.Contains(upper, "ADD COLUMN") && strings.Contains(err.Error(), "already exists")
}
