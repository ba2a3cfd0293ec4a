package aggregator

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/varde/varde/aggregator/store"
	"github.com/varde/varde/consent"
)

func count(t *testing.T, s store.Store, query string, args ...any) int {
	t.Helper()
	rows, err := s.Query(t.Context(), query, args...)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if rows.Next() {
		rows.Scan(&n)
	}
	return n
}

// TestRetention drives retention with a fake clock: each site's raw events
// and visits go by whole days after its retention, consent records after
// the consent retention, and each drop is logged.
func TestRetention(t *testing.T) {
	forEachMigrated(t, func(t *testing.T, s store.Store) {
		ctx := bg(t)
		short := NewSite("short.no")
		short.RetentionDays = 3
		short.ConsentRetentionDays = 10
		long := NewSite("long.no")
		for _, site := range []Site{short, long} {
			if err := (Sites{Store: s}).Put(ctx, site); err != nil {
				t.Fatal(err)
			}
		}
		now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
		var events, sessions [][]any
		for _, site := range []string{"short.no", "long.no"} {
			for age := 0; age <= 5; age++ {
				at := now.AddDate(0, 0, -age)
				events = append(events, []any{site, at, uint64(age + 1), "pageview"}, []any{site, at, uint64(age + 100), "pageview"})
				sessions = append(sessions, []any{site, uint64(age + 1), uint64(age + 1), 1, at, at})
			}
		}
		if err := s.Insert(ctx, "events", []string{"site", "time", "event_id", "name"}, events); err != nil {
			t.Fatal(err)
		}
		if err := s.Insert(ctx, "sessions", []string{"site", "visitor_id", "session_id", "sign", "start", "end"}, sessions); err != nil {
			t.Fatal(err)
		}
		recs := ConsentRecords{Store: s}
		for _, age := range []int{2, 11, 30} {
			recs.Put(ctx, consent.Record{ConsentID: "c" + string(rune('a'+age)), Version: 1, Site: "short.no", Time: now.AddDate(0, 0, -age), Action: consent.ActionAcceptAll})
			recs.Put(ctx, consent.Record{ConsentID: "l" + string(rune('a'+age)), Version: 1, Site: "long.no", Time: now.AddDate(0, 0, -age), Action: consent.ActionAcceptAll})
		}

		// Dashboard sign-ins: September's have all expired, one of
		// November's has not; a sign-in attempt of yesterday and one of
		// last month.
		signIns := [][]any{
			{"s1", "a@x.no", "c", time.Date(2026, 9, 3, 0, 0, 0, 0, time.UTC), time.Date(2026, 9, 10, 0, 0, 0, 0, time.UTC), uint64(1), uint8(0)},
			{"s2", "a@x.no", "c", time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC), uint64(1), uint8(0)},
			{"s3", "a@x.no", "c", time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), uint64(1), uint8(0)},
		}
		if err := s.Insert(ctx, "dashboard_sessions", []string{"id", "email", "csrf", "created_at", "expires_at", "version", "revoked"}, signIns); err != nil {
			t.Fatal(err)
		}
		attempts := [][]any{{"h", now.AddDate(0, 0, -1), uint8(0)}, {"h", now.AddDate(0, -1, 0), uint8(0)}}
		if err := s.Insert(ctx, "dashboard_login_attempts", []string{"account", "time", "ok"}, attempts); err != nil {
			t.Fatal(err)
		}

		var logs bytes.Buffer
		r := Retention{Store: s, Log: slog.New(slog.NewTextHandler(&logs, nil))}
		dropped, err := r.Run(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		// short.no keeps 3 days: today and the 3 before; days 4 and 5 go.
		if got := count(t, s, "SELECT count() FROM events WHERE site = 'short.no'"); got != 8 {
			t.Errorf("short.no events left: got %d, want 8 (4 days of 2)", got)
		}
		if got := count(t, s, "SELECT min(toYYYYMMDD(time)) FROM events WHERE site = 'short.no'"); got != 20261124 {
			t.Errorf("short.no oldest day left: got %d, want 20261124", got)
		}
		if got := count(t, s, "SELECT count() FROM events WHERE site = 'long.no'"); got != 12 {
			t.Errorf("long.no events left: got %d, want all 12", got)
		}
		if got := count(t, s, "SELECT count() FROM sessions WHERE site = 'short.no'"); got != 4 {
			t.Errorf("short.no visits left: got %d, want 4", got)
		}
		if got := count(t, s, "SELECT count() FROM consent_records WHERE site = 'short.no'"); got != 1 {
			t.Errorf("short.no consent records left: got %d, want 1 (younger than 10 days)", got)
		}
		if got := count(t, s, "SELECT count() FROM consent_records WHERE site = 'long.no'"); got != 3 {
			t.Errorf("long.no consent records left: got %d, want 3", got)
		}
		if got := count(t, s, "SELECT count() FROM dashboard_sessions"); got != 2 {
			t.Errorf("dashboard sign-ins left: got %d, want November's 2 (one still valid)", got)
		}
		if got := count(t, s, "SELECT count() FROM dashboard_login_attempts"); got != 1 {
			t.Errorf("sign-in attempts left: got %d, want yesterday's", got)
		}
		var eventDrops int
		for _, d := range dropped {
			if d.Table == "events" {
				eventDrops++
				if d.Site != "short.no" || d.Rows != 2 {
					t.Errorf("dropped %+v, want short.no days of 2 rows", d)
				}
			}
		}
		if eventDrops != 2 {
			t.Errorf("event days dropped: got %d, want 2", eventDrops)
		}
		if !strings.Contains(logs.String(), "site=short.no day=20261122 rows=2") {
			t.Errorf("the log does not name the dropped day:\n%s", logs.String())
		}
		again, err := r.Run(ctx, now)
		if err != nil || len(again) != 0 {
			t.Errorf("a second run: dropped %v, %v; want nothing", again, err)
		}
	})
}
