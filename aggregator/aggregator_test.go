package aggregator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"testing"
	"time"

	"github.com/varde/varde/aggregator/store"
	"github.com/varde/varde/consent"
	"github.com/varde/varde/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func bg(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// migrated is a store on each backend with the schema applied.
func forEachMigrated(t *testing.T, f func(t *testing.T, s store.Store)) {
	testenv.ForEachBackend(t, func(t *testing.T, s store.Store) {
		applied, err := Migrate(bg(t), s, quiet)
		if err != nil {
			t.Fatalf("migrate: %v", err)
		}
		all, _ := Migrations()
		if len(applied) != len(all) {
			t.Fatalf("first migrate applied %v, want all %d", applied, len(all))
		}
		again, err := Migrate(bg(t), s, quiet)
		if err != nil || len(again) != 0 {
			t.Fatalf("second migrate: applied %v, %v; want nothing", again, err)
		}
		f(t, s)
	})
}

func TestRecords(t *testing.T) {
	forEachMigrated(t, func(t *testing.T, s store.Store) {
		ctx := bg(t)
		sites := Sites{Store: s}
		site := NewSite("Example.no")
		site.Timezone = "Europe/Oslo"
		site.QueryAllow = []string{"q"}
		if err := sites.Put(ctx, site); err != nil {
			t.Fatal(err)
		}
		site.K = 9
		if err := sites.Put(ctx, site); err != nil {
			t.Fatal(err)
		}
		got, err := sites.Get(ctx, "example.no")
		if err != nil {
			t.Fatal(err)
		}
		if got.K != 9 || got.Timezone != "Europe/Oslo" || !reflect.DeepEqual(got.QueryAllow, []string{"q"}) || got.Banner.Revision != 1 {
			t.Errorf("site: got %+v", got)
		}
		if _, err := sites.Get(ctx, "nosuch.no"); !errors.Is(err, ErrNotFound) {
			t.Errorf("missing site: got %v, want ErrNotFound", err)
		}
		bad := NewSite("bad domain")
		bad.K = 0
		if err := sites.Put(ctx, bad); err == nil {
			t.Error("invalid site stored")
		}

		users := Users{Store: s}
		u := User{Email: "Viewer@Example.no", PasswordHash: "$argon2id$x", Role: RoleViewer, Sites: []string{"example.no"}}
		if err := users.Put(ctx, u); err != nil {
			t.Fatal(err)
		}
		gotU, err := users.Get(ctx, "viewer@example.no")
		if err != nil || gotU.Role != RoleViewer || !reflect.DeepEqual(gotU.Sites, []string{"example.no"}) {
			t.Errorf("user: got %+v, %v", gotU, err)
		}
		if err := users.Delete(ctx, "viewer@example.no"); err != nil {
			t.Fatal(err)
		}
		if _, err := users.Get(ctx, "viewer@example.no"); !errors.Is(err, ErrNotFound) {
			t.Errorf("deleted user: got %v, want ErrNotFound", err)
		}

		keys := APIKeys{Store: s}
		if err := keys.Put(ctx, APIKey{ID: "abc", Site: "example.no", SecretHash: "h"}); err != nil {
			t.Fatal(err)
		}
		if err := keys.Put(ctx, APIKey{ID: "abc", Site: "example.no", SecretHash: "h", Revoked: true}); err != nil {
			t.Fatal(err)
		}
		k, err := keys.Get(ctx, "abc")
		if err != nil || !k.Revoked {
			t.Errorf("revoked key: got %+v, %v", k, err)
		}
	})
}

func TestConsentRecords(t *testing.T) {
	forEachMigrated(t, func(t *testing.T, s store.Store) {
		ctx := bg(t)
		recs := ConsentRecords{Store: s}
		at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
		for v := 1; v <= 2; v++ {
			err := recs.Put(ctx, consent.Record{ConsentID: "c1", Version: v, Site: "example.no", Time: at, Revision: 1, Lang: "nb",
				Granted: []string{"necessary", "statistics"}, Refused: []string{"marketing"}, Action: consent.ActionCustom, PagePath: "/jobs", Country: "NO", Browser: "Firefox"})
			if err != nil {
				t.Fatal(err)
			}
		}
		recs.Put(ctx, consent.Record{ConsentID: "c2", Version: 1, Site: "example.no", Time: at, Action: consent.ActionRejectAll})
		hist, err := recs.History(ctx, "c1")
		if err != nil || len(hist) != 2 || hist[1].Version != 2 || hist[0].Country != "NO" || hist[0].Action != consent.ActionCustom {
			t.Fatalf("history: got %+v, %v", hist, err)
		}
		if err := recs.Erase(ctx, "c1"); err != nil {
			t.Fatal(err)
		}
		if hist, _ := recs.History(ctx, "c1"); len(hist) != 0 {
			t.Errorf("after erase: %d records left, want none", len(hist))
		}
		if hist, _ := recs.History(ctx, "c2"); len(hist) != 1 {
			t.Errorf("erasing c1 touched c2: %d records, want 1", len(hist))
		}
		if err := recs.Revoke(ctx, consent.Revocation{ConsentID: "c1", BelowVersion: consent.RevokeAll, At: at}); err != nil {
			t.Fatal(err)
		}
		revs, err := recs.RevocationsSince(ctx, at.Add(-time.Second))
		if err != nil || len(revs) != 1 || revs[0].ConsentID != "c1" || revs[0].BelowVersion != consent.RevokeAll {
			t.Errorf("revocations: got %+v, %v", revs, err)
		}
		if revs, _ := recs.RevocationsSince(ctx, at.Add(time.Second)); len(revs) != 0 {
			t.Errorf("revocations since later: got %d, want 0", len(revs))
		}

		keys := ConsentKeys{Store: s}
		k := consent.GenerateKey()
		if err := keys.Put(ctx, k); err != nil {
			t.Fatal(err)
		}
		loaded, err := keys.Load(ctx)
		if err != nil || len(loaded) != 1 || loaded[0].ID != k.ID || string(loaded[0].Secret) != string(k.Secret) {
			t.Errorf("keys: got %v, %v", loaded, err)
		}
	})
}

// TestSaltLifecycle drives the salts through two midnights with a fake
// clock: tomorrow's salt exists a day ahead, yesterday's is used during the
// grace period only, and is deleted from the store when it ends.
func TestSaltLifecycle(t *testing.T) {
	forEachMigrated(t, func(t *testing.T, s store.Store) {
		ctx := bg(t)
		k := NewSaltKeeper(s, quiet)
		day1 := time.Date(2026, 11, 26, 15, 0, 0, 0, time.UTC)
		if err := k.Maintain(ctx, day1); err != nil {
			t.Fatal(err)
		}
		if days, _ := k.Days(ctx); !reflect.DeepEqual(days, []string{"2026-11-26", "2026-11-27"}) {
			t.Errorf("after day 1: salts for %v, want today and tomorrow", days)
		}
		today, prev, ok := k.For(day1)
		if !ok || len(today) != saltLen || prev != nil {
			t.Fatalf("For(day 1 afternoon): got %x, %x, %v", today, prev, ok)
		}
		// A second node creating salts at once: everyone uses the same one.
		other := NewSaltKeeper(s, quiet)
		s.Insert(ctx, "salts", []string{"day", "salt", "created_at"}, [][]any{{store.Date(day1), "ffffffffffffffffffffffffffffffff", day1}})
		if err := other.Maintain(ctx, day1); err != nil {
			t.Fatal(err)
		}
		if o, _, _ := other.For(day1); string(o) != string(today) {
			t.Errorf("two nodes disagree on the salt of a day")
		}

		justAfter := time.Date(2026, 11, 27, 0, 10, 0, 0, time.UTC)
		if err := k.Maintain(ctx, justAfter); err != nil {
			t.Fatal(err)
		}
		today2, prev2, _ := k.For(justAfter)
		if string(prev2) != string(today) || string(today2) == string(today) {
			t.Errorf("10 min after midnight: want a new salt and yesterday's as previous")
		}
		if days, _ := k.Days(ctx); !reflect.DeepEqual(days, []string{"2026-11-26", "2026-11-27", "2026-11-28"}) {
			t.Errorf("10 min after midnight: salts for %v, want yesterday's kept", days)
		}

		afterGrace := time.Date(2026, 11, 27, 0, 36, 0, 0, time.UTC)
		if err := k.Maintain(ctx, afterGrace); err != nil {
			t.Fatal(err)
		}
		if _, prev3, _ := k.For(afterGrace); prev3 != nil {
			t.Error("after the grace period: the previous day's salt is still handed out")
		}
		days, _ := k.Days(ctx)
		if !reflect.DeepEqual(days, []string{"2026-11-27", "2026-11-28"}) {
			t.Errorf("after the grace period: salts for %v, want yesterday's deleted", days)
		}
		rows, err := s.Query(ctx, "SELECT count() FROM salts WHERE day = ?", store.Date(day1))
		if err != nil {
			t.Fatal(err)
		}
		rows.Next()
		var n int
		rows.Scan(&n)
		if n != 0 {
			t.Errorf("rows of the deleted day's salt in the store: %d, want 0", n)
		}
	})
}

// TestConsentBatcher: concurrent choices are stored together, each caller
// answered once its record is in the store.
func TestConsentBatcher(t *testing.T) {
	forEachMigrated(t, func(t *testing.T, s store.Store) {
		ctx, cancel := context.WithCancel(bg(t))
		b := NewConsentBatcher(ConsentRecords{Store: s})
		done := make(chan struct{})
		go func() { b.Run(ctx); close(done) }()
		errs := make(chan error, 200)
		at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
		for i := range 200 {
			go func() {
				errs <- b.Put(bg(t), consent.Record{ConsentID: fmt.Sprintf("c%d", i), Version: 1, Site: "example.no", Time: at, Action: consent.ActionAcceptAll})
			}()
		}
		for range 200 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		if n := count(t, s, "SELECT count() FROM consent_records"); n != 200 {
			t.Errorf("stored %d records, want 200", n)
		}
		cancel()
		<-done
		late, stop := context.WithTimeout(bg(t), time.Second)
		defer stop()
		if err := b.Put(late, consent.Record{ConsentID: "late", Version: 1, Site: "example.no", Time: at}); err == nil {
			t.Error("Put after the batcher stopped: got nil, want an error")
		}
	})
}
