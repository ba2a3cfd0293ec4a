package consent

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDecide(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Revision = 3
	tests := []struct {
		name       string
		categories map[string]bool
		revision   int
		wantGrant  []string
		wantRefuse []string
		wantAction Action
		wantErr    string
	}{
		{"accept all", map[string]bool{"statistics": true, "marketing": true}, 3,
			[]string{"marketing", "necessary", "statistics"}, []string{}, ActionAcceptAll, ""},
		{"reject all", map[string]bool{"statistics": false, "marketing": false}, 3,
			[]string{"necessary"}, []string{"marketing", "statistics"}, ActionRejectAll, ""},
		{"reject all by silence", map[string]bool{}, 3,
			[]string{"necessary"}, []string{"marketing", "statistics"}, ActionRejectAll, ""},
		{"custom", map[string]bool{"statistics": true, "marketing": false}, 3,
			[]string{"necessary", "statistics"}, []string{"marketing"}, ActionCustom, ""},
		{"unmentioned is refused", map[string]bool{"statistics": true}, 3,
			[]string{"necessary", "statistics"}, []string{"marketing"}, ActionCustom, ""},
		{"necessary false is ignored", map[string]bool{"necessary": false, "statistics": true, "marketing": true}, 3,
			[]string{"marketing", "necessary", "statistics"}, []string{}, ActionAcceptAll, ""},
		{"unknown category", map[string]bool{"statistics": true, "video": true}, 3,
			nil, nil, "", `unknown category "video"; this site has necessary, statistics, marketing`},
		{"stale revision", map[string]bool{"statistics": true}, 2,
			nil, nil, "", "stale revision 2, the banner is at revision 3"},
		{"newer revision", map[string]bool{"statistics": true}, 4,
			nil, nil, "", "stale revision 4, the banner is at revision 3"},
	}
	now := time.Date(2026, 3, 1, 13, 0, 0, 5, time.FixedZone("CET", 3600))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := Choice{Site: "example.com", Categories: tt.categories, Revision: tt.revision, URL: "https://example.com/jobs?x=1", GPC: true}
			d, err := cfg.Decide(ch, now)
			if tt.wantErr != "" {
				var ie *InputError
				if !errors.As(err, &ie) || ie.Status != 400 || !strings.Contains(ie.Msg, tt.wantErr) {
					t.Errorf("got %v, want a 400 containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want no error", err)
			}
			if !reflect.DeepEqual(d.Granted, tt.wantGrant) || !reflect.DeepEqual(d.Refused, tt.wantRefuse) || d.Action != tt.wantAction {
				t.Errorf("got granted %v refused %v %s, want %v %v %s", d.Granted, d.Refused, d.Action, tt.wantGrant, tt.wantRefuse, tt.wantAction)
			}
			if !d.GPC || d.Lang != "nb" || d.PagePath != "/jobs" || d.Time.Location() != time.UTC || !d.Time.Equal(now) {
				t.Errorf("got gpc %v lang %q path %q time %v, want true, nb, /jobs, %v in UTC", d.GPC, d.Lang, d.PagePath, d.Time, now)
			}
		})
	}
}

func TestDecideOnlyNecessary(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Categories = cfg.Categories[:1]
	d, err := cfg.Decide(Choice{Site: "a.example", Categories: map[string]bool{}, Revision: 1}, t0)
	if err != nil || d.Action != ActionAcceptAll {
		t.Errorf("got %s, %v; want accept-all when there is nothing to refuse", d.Action, err)
	}
}

func TestRecordAndToken(t *testing.T) {
	cfg := DefaultConfig()
	d, err := cfg.Decide(Choice{Site: "example.com", Categories: map[string]bool{"statistics": true}, Revision: 1, Lang: "en", URL: "/jobs"}, t0.Add(500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	id := NewConsentID()
	if !validConsentID(id) || id[14] != '4' || !strings.ContainsRune("89ab", rune(id[19])) {
		t.Errorf("NewConsentID: got %q, want a canonical UUIDv4", id)
	}
	r := d.Record(id, 1)
	r.Country, r.Browser = "NO", "Firefox"
	want := Record{
		ConsentID: id, Version: 1, Site: "example.com", Time: t0.Add(500 * time.Millisecond), Revision: 1, Lang: "en",
		Granted: []string{"necessary", "statistics"}, Refused: []string{"marketing"}, Action: ActionCustom,
		PagePath: "/jobs", Country: "NO", Browser: "Firefox",
	}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("got %+v, want %+v", r, want)
	}
	if rev := r.Revocation(); rev.BelowVersion != 1 {
		t.Errorf("first version revokes: got below %d, want 1 (nothing)", rev.BelowVersion)
	}
	c := r.Claims(cfg.Lifetime())
	if !c.IssuedAt.Equal(t0) || !c.ExpiresAt.Equal(t0.Add(182*24*time.Hour)) || !c.Grants(Statistics) || c.Grants(Marketing) {
		t.Errorf("got claims %+v, want iat %v, 182 days, statistics only", c, t0)
	}
	k := testKeyring(t, testKey("k1"))
	if _, err := k.Verify(sign(t, k, c), t0); err != nil {
		t.Errorf("token of a record: got %v, want it to verify", err)
	}

	w := cfg.Withdrawal(c, t0.Add(time.Hour))
	if w.Action != ActionWithdraw || w.Version != 2 || !reflect.DeepEqual(w.Granted, []string{"necessary"}) || !reflect.DeepEqual(w.Refused, []string{"marketing", "statistics"}) {
		t.Errorf("got withdrawal %+v, want version 2, only necessary granted", w)
	}
	if rev := w.Revocation(); rev.BelowVersion != RevokeAll || rev.ConsentID != id {
		t.Errorf("withdrawal revokes: got %+v, want every version of %s", rev, id)
	}
}
