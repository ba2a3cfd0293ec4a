package aggregator

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/varde/varde/aggregator/store"
	"github.com/varde/varde/consent"
)

// Retention deletes what Varde may no longer keep: raw events and the
// visits derived from them after each site's retention (whole UTC days,
// whole partitions), consent records after each site's consent retention,
// revocations once no token they stop can still be valid, and the
// sessionizer's bookkeeping. Aggregates are anonymous and kept. Every drop
// is logged with the site, the day and the number of rows.
type Retention struct {
	Store store.Store
	Log   *slog.Logger
}

// Dropped is one deletion, for the log and for `varde retention run`.
type Dropped struct {
	Table string
	Site  string
	Day   string // YYYYMMDD for day partitions, or "before YYYY-MM-DD"
	Rows  uint64
}

// dayPartitioned are the tables kept for a site's retention, partitioned by
// (site, YYYYMMDD of the named time column).
var dayPartitioned = []struct{ table, timeColumn string }{
	{"events", "time"},
	{"sessions", "start"},
	{"session_events", "time"},
}

// Run applies every site's retention as of now.
func (r Retention) Run(ctx context.Context, now time.Time) ([]Dropped, error) {
	sites, err := Sites{Store: r.Store}.List(ctx)
	if err != nil {
		return nil, err
	}
	bySite := map[string]Site{}
	keepDays := DefaultRetentionDays // the fewest days any site keeps
	for _, s := range sites {
		bySite[s.Domain] = s
		keepDays = min(keepDays, s.RetentionDays)
	}
	today := now.UTC().Truncate(24 * time.Hour)
	var dropped []Dropped
	for _, t := range dayPartitioned {
		// Only days past the shortest retention can be due: the scan
		// reads those partitions alone.
		rows, err := r.Store.Query(ctx, fmt.Sprintf(
			"SELECT site, toYYYYMMDD(%[1]s) AS day, count() FROM %[2]s WHERE %[1]s < ? GROUP BY site, day ORDER BY site, day",
			t.timeColumn, t.table), today.AddDate(0, 0, -keepDays))
		if err != nil {
			return dropped, fmt.Errorf("aggregator: retention of %s: %w", t.table, err)
		}
		for rows.Next() {
			var site string
			var day uint32
			var n uint64
			if err := rows.Scan(&site, &day, &n); err != nil {
				return dropped, err
			}
			days := DefaultRetentionDays
			if s, ok := bySite[site]; ok {
				days = s.RetentionDays
			}
			cutoff := today.AddDate(0, 0, -days)
			d, _ := time.Parse("20060102", fmt.Sprint(day))
			if !d.Before(cutoff) {
				continue
			}
			if err := r.Store.Exec(ctx, "ALTER TABLE "+t.table+" DROP PARTITION (?, ?)", site, day); err != nil {
				return dropped, fmt.Errorf("aggregator: drop %s of %s on %d: %w", t.table, site, day, err)
			}
			dd := Dropped{Table: t.table, Site: site, Day: fmt.Sprint(day), Rows: n}
			r.Log.Info("retention: dropped a day", "table", dd.Table, "site", dd.Site, "day", dd.Day, "rows", dd.Rows)
			dropped = append(dropped, dd)
		}
	}
	for _, s := range sites {
		cutoff := today.AddDate(0, 0, -s.ConsentRetentionDays)
		n, err := r.countBefore(ctx, "consent_records", s.Domain, cutoff)
		if err != nil {
			return dropped, err
		}
		if n == 0 {
			continue
		}
		if err := r.Store.Exec(ctx, "ALTER TABLE consent_records DELETE WHERE site = ? AND time < ?", s.Domain, cutoff); err != nil {
			return dropped, fmt.Errorf("aggregator: retention of consent records of %s: %w", s.Domain, err)
		}
		if err := WaitMutations(ctx, r.Store, "", "consent_records"); err != nil {
			return dropped, err
		}
		dd := Dropped{Table: "consent_records", Site: s.Domain, Day: "before " + cutoff.Format(time.DateOnly), Rows: n}
		r.Log.Info("retention: deleted consent records", "site", dd.Site, "before", cutoff.Format(time.DateOnly), "rows", n)
		dropped = append(dropped, dd)
	}
	// A revocation matters while a token it stops can be valid; the
	// register of inserts and the sessionizer's bookkeeping while those
	// inserts can still be folded in. They are dropped by whole months or
	// days.
	// The dashboard's sign-ins go with the month they were made in once
	// every one of them has expired, and sign-in attempts (the lockout
	// looks back 15 minutes) after a week.
	for _, o := range []struct {
		table, partition, last string
		cutoff                 time.Time
	}{
		{"consent_revocations", "toYYYYMM(time)", "time", today.AddDate(0, 0, -consent.MaxLifetimeDays-31)},
		{"raw_inserts", "toYYYYMMDD(time)", "time", today.AddDate(0, 0, -7)},
		{"sessionized_inserts", "toYYYYMMDD(time)", "time", today.AddDate(0, 0, -7)},
		{"dashboard_sessions", "toYYYYMM(created_at)", "expires_at", now.UTC()},
		{"dashboard_login_attempts", "toYYYYMMDD(time)", "time", today.AddDate(0, 0, -7)},
	} {
		more, err := r.dropOld(ctx, o.table, o.partition, o.last, o.cutoff)
		dropped = append(dropped, more...)
		if err != nil {
			return dropped, err
		}
	}
	return dropped, nil
}

func (r Retention) countBefore(ctx context.Context, table, site string, cutoff time.Time) (uint64, error) {
	rows, err := r.Store.Query(ctx, "SELECT count() FROM "+table+" WHERE site = ? AND time < ?", site, cutoff)
	if err != nil {
		return 0, fmt.Errorf("aggregator: retention of %s: %w", table, err)
	}
	var n uint64
	if rows.Next() {
		rows.Scan(&n)
	}
	return n, nil
}

// dropOld drops the partitions of table (partitioned by expr) whose rows
// all have their column last before cutoff.
func (r Retention) dropOld(ctx context.Context, table, expr, last string, cutoff time.Time) ([]Dropped, error) {
	rows, err := r.Store.Query(ctx, fmt.Sprintf(
		"SELECT %[1]s AS p, count(), max(%[3]s) FROM %[2]s GROUP BY p HAVING max(%[3]s) < ? ORDER BY p", expr, table, last), cutoff)
	if err != nil {
		return nil, fmt.Errorf("aggregator: retention of %s: %w", table, err)
	}
	var out []Dropped
	for rows.Next() {
		var p, n uint64
		var last time.Time
		if err := rows.Scan(&p, &n, &last); err != nil {
			return out, err
		}
		if err := r.Store.Exec(ctx, "ALTER TABLE "+table+" DROP PARTITION ?", p); err != nil {
			return out, fmt.Errorf("aggregator: drop %s partition %d: %w", table, p, err)
		}
		r.Log.Info("retention: dropped old rows", "table", table, "partition", p, "rows", n)
		out = append(out, Dropped{Table: table, Day: fmt.Sprint(p), Rows: n})
	}
	return out, nil
}
