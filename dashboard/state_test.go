package dashboard

import (
	"net/url"
	"testing"
	"time"
)

func TestParseView(t *testing.T) {
	oslo, _ := time.LoadLocation("Europe/Oslo")
	at := time.Date(2026, 11, 27, 23, 30, 0, 0, time.UTC) // already the 28th in Oslo
	day := func(s string) string { return s }
	tests := []struct {
		query    string
		period   string
		from, to string
		filters  int
		encoded  string
	}{
		{"", "30d", "2026-10-30", "2026-11-28", 0, ""},
		{"period=day", "day", "2026-11-28", "2026-11-28", 0, "?period=day"},
		{"period=7d", "7d", "2026-11-22", "2026-11-28", 0, "?period=7d"},
		{"period=month", "month", "2026-11-01", "2026-11-28", 0, "?period=month"},
		{"period=6mo", "6mo", "2026-06-01", "2026-11-28", 0, "?period=6mo"},
		{"period=12mo", "12mo", "2025-12-01", "2026-11-28", 0, "?period=12mo"},
		{"period=custom&from=2026-11-20&to=2026-11-01", "custom", "2026-11-01", "2026-11-20", 0, "?period=custom&from=2026-11-01&to=2026-11-20"},
		{"period=custom&from=bad&to=2026-11-01", "30d", "2026-10-30", "2026-11-28", 0, ""},
		{"period=forever", "30d", "2026-10-30", "2026-11-28", 0, ""},
		{"f=visit:country,is,no&f=event:page,contains,/jobs,a", "30d", "2026-10-30", "2026-11-28", 2, "?f=visit:country,is,NO&f=event:page,contains,/jobs,a"},
		{"f=visit:ip,is,1.2.3.4&f=visit:country,matches,NO&f=visit:country,is,", "30d", "2026-10-30", "2026-11-28", 0, ""},
	}
	for _, tt := range tests {
		q, _ := url.ParseQuery(tt.query)
		v := parseView(q, oslo, at)
		if v.Period != tt.period || v.From.Format(time.DateOnly) != day(tt.from) || v.To.Format(time.DateOnly) != tt.to || len(v.Filters) != tt.filters {
			t.Errorf("%q: got %s %s..%s with %d filters, want %s %s..%s with %d", tt.query, v.Period, v.From.Format(time.DateOnly), v.To.Format(time.DateOnly), len(v.Filters), tt.period, tt.from, tt.to, tt.filters)
		}
		if got := v.Query(); got != tt.encoded {
			t.Errorf("%q: encoded as %q, want %q", tt.query, got, tt.encoded)
		}
	}
}

func TestViewLinks(t *testing.T) {
	q, _ := url.ParseQuery("period=7d&f=visit:country,is,NO&f=event:page,is,/jobs")
	v := parseView(q, time.UTC, now)
	if got, want := v.WithFilter("visit:country", "SE"), "?period=7d&f=event:page,is,/jobs&f=visit:country,is,SE"; got != want {
		t.Errorf("WithFilter: got %q, want %q", got, want)
	}
	if got, want := v.Without(0), "?period=7d&f=event:page,is,/jobs"; got != want {
		t.Errorf("Without: got %q, want %q", got, want)
	}
	if got, want := v.WithPeriod("day"), "?period=day&f=visit:country,is,NO&f=event:page,is,/jobs"; got != want {
		t.Errorf("WithPeriod: got %q, want %q", got, want)
	}
	if got, want := v.WithFilter("event:page", "/a&b=c d"), "?period=7d&f=visit:country,is,NO&f=event:page,is,/a%26b%3Dc+d"; got != want {
		t.Errorf("WithFilter of an odd value: got %q, want %q", got, want)
	}
	if v.days() != 7 || v.granularity() != "time:day" {
		t.Errorf("7d: got %d days by %s", v.days(), v.granularity())
	}
}

func FuzzParseView(f *testing.F) {
	f.Add("period=custom&from=2026-01-01&to=2026-02-01&f=visit:country,is,NO")
	f.Add("f=event:page,contains,/%2C,%3A")
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		v := parseView(q, time.UTC, now)
		if v.To.Before(v.From) {
			t.Fatalf("%q: range ends before it starts", raw)
		}
		// What the page links to reads back as the same view.
		q2, err := url.ParseQuery(v.Query()[min(1, len(v.Query())):])
		if err != nil {
			t.Fatalf("%q: link %q does not parse: %v", raw, v.Query(), err)
		}
		w := parseView(q2, time.UTC, now)
		if w.Query() != v.Query() {
			t.Fatalf("%q: round trip %q → %q", raw, v.Query(), w.Query())
		}
	})
}
