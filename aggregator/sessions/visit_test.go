package sessions

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/varde/varde/aggregator"
)

const site = "example.com"

// day0 is the day most test traffic happens on; noon of it is "now".
var day0 = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)

// at is a time on day0 written "15:04:05.000", or "-1 23:50" for the day
// before, "+1 00:05" for the day after.
func at(s string) time.Time {
	d := day0
	if off, rest, ok := strings.Cut(s, " "); ok {
		var n int
		fmt.Sscanf(off, "%d", &n)
		d, s = d.AddDate(0, 0, n), rest
	}
	layout := "15:04"
	switch {
	case strings.Contains(s, "."):
		layout = "15:04:05.000"
	case strings.Count(s, ":") == 2:
		layout = "15:04:05"
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		panic(err)
	}
	return d.Add(time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
		time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond()))
}

// ev is a raw event: visitor, event id, time, name ("" = pageview), path.
func ev(visitor, id uint64, when, name, path string) aggregator.Event {
	if name == "" {
		name = aggregator.PageviewName
	}
	return aggregator.Event{
		Site: site, Time: at(when), ID: id, VisitorID: visitor, Name: name,
		Hostname: site, Path: path,
		Referrer: "ref" + path, Source: "src" + path, UTMCampaign: "c" + path,
		Country: "NO", Region: "NO-03", RegionName: "Oslo", City: "Oslo",
		Browser: "Firefox", BrowserVersion: "130", OS: "Linux", OSVersion: "6", Device: "desktop",
	}
}

// prev sets an event's previous-day visitor id.
func prev(e aggregator.Event, p uint64) aggregator.Event {
	e.PrevVisitorID = p
	return e
}

// summary is what a table test checks of a visit.
type summary struct {
	Visitor, Session   uint64
	Start, End         string
	Duration           uint32
	Pageviews, Events  uint32
	Bounce             uint8
	Entry, Exit, Attrs string
}

func summarize(v Visit) summary {
	s := v.Session
	return summary{
		Visitor: s.VisitorID, Session: s.SessionID,
		Start: s.Start.Format("01-02 15:04:05"), End: s.End.Format("01-02 15:04:05"),
		Duration: s.Duration, Pageviews: s.Pageviews, Events: s.Events, Bounce: s.Bounce,
		Entry: s.EntryPage, Exit: s.ExitPage, Attrs: s.Referrer,
	}
}

func TestVisits(t *testing.T) {
	// A visit that began in the link window after a midnight and runs the
	// whole day (an event every 20 minutes) cannot cross the next one.
	var allDay []aggregator.Event
	for i := range 72 {
		e := ev(2, uint64(100+i), "-1 00:10", "", fmt.Sprintf("/p%d", i))
		e.Time = e.Time.Add(time.Duration(i) * 20 * time.Minute)
		if i < 2 {
			e.PrevVisitorID = 9 // yesterday's id, without events
		}
		allDay = append(allDay, e)
	}

	tests := []struct {
		name   string
		events []aggregator.Event
		want   []summary
	}{
		{
			name:   "one pageview is a bounce",
			events: []aggregator.Event{ev(1, 10, "10:00", "", "/")},
			want:   []summary{{1, 10, "03-10 10:00:00", "03-10 10:00:00", 0, 1, 1, 1, "/", "/", "ref/"}},
		},
		{
			name: "pageviews within 30 minutes are one visit",
			events: []aggregator.Event{
				ev(1, 10, "10:00:00.900", "", "/a"),
				ev(1, 11, "10:10:00.000", "", "/b"),
				ev(1, 12, "10:29:59.800", "", "/c"),
			},
			// 29:58.9 floors to 1798 s.
			want: []summary{{1, 10, "03-10 10:00:00", "03-10 10:29:59", 1798, 3, 3, 0, "/a", "/c", "ref/a"}},
		},
		{
			name: "a 31-minute gap makes two visits",
			events: []aggregator.Event{
				ev(1, 10, "10:00", "", "/a"),
				ev(1, 11, "10:31", "", "/b"),
			},
			want: []summary{
				{1, 10, "03-10 10:00:00", "03-10 10:00:00", 0, 1, 1, 1, "/a", "/a", "ref/a"},
				{1, 11, "03-10 10:31:00", "03-10 10:31:00", 0, 1, 1, 1, "/b", "/b", "ref/b"},
			},
		},
		{
			name: "exactly 30 minutes ends the visit",
			events: []aggregator.Event{
				ev(1, 10, "10:00:00.500", "", "/a"),
				ev(1, 11, "10:30:00.499", "", "/b"),
				ev(1, 12, "11:00:00.499", "", "/c"),
			},
			want: []summary{
				{1, 10, "03-10 10:00:00", "03-10 10:30:00", 1799, 2, 2, 0, "/a", "/b", "ref/a"},
				{1, 12, "03-10 11:00:00", "03-10 11:00:00", 0, 1, 1, 1, "/c", "/c", "ref/c"},
			},
		},
		{
			name: "custom events count as events, not pageviews",
			events: []aggregator.Event{
				ev(1, 10, "10:00", "", "/a"),
				ev(1, 11, "10:05", "signup", "/a/form"),
				ev(2, 20, "10:00", "download", "/x"),
				ev(2, 21, "10:01", "outbound", "/y"),
			},
			want: []summary{
				{1, 10, "03-10 10:00:00", "03-10 10:05:00", 300, 1, 2, 1, "/a", "/a", "ref/a"},
				{2, 20, "03-10 10:00:00", "03-10 10:01:00", 60, 0, 2, 0, "/x", "/y", "ref/x"},
			},
		},
		{
			name: "entry is the first pageview, not the first event",
			events: []aggregator.Event{
				ev(1, 10, "10:00", "consent", "/c"),
				ev(1, 11, "10:01", "", "/a"),
				ev(1, 12, "10:02", "", "/b"),
				ev(1, 13, "10:03", "click", "/z"),
			},
			want: []summary{{1, 10, "03-10 10:00:00", "03-10 10:03:00", 180, 2, 4, 0, "/a", "/b", "ref/c"}},
		},
		{
			name: "events arriving out of order",
			events: []aggregator.Event{
				ev(1, 12, "10:29:59.800", "", "/c"),
				ev(1, 10, "10:00:00.900", "", "/a"),
				ev(1, 11, "10:10:00.000", "", "/b"),
			},
			want: []summary{{1, 10, "03-10 10:00:00", "03-10 10:29:59", 1798, 3, 3, 0, "/a", "/c", "ref/a"}},
		},
		{
			name: "identical timestamps order by event id",
			events: []aggregator.Event{
				ev(1, 15, "10:00:00.123", "", "/second"),
				ev(1, 14, "10:00:00.123", "", "/first"),
				ev(1, 16, "10:00:00.123", "", "/third"),
			},
			want: []summary{{1, 14, "03-10 10:00:00", "03-10 10:00:00", 0, 3, 3, 0, "/first", "/third", "ref/first"}},
		},
		{
			name: "the same event twice counts once",
			events: []aggregator.Event{
				ev(1, 10, "10:00", "", "/a"),
				ev(1, 10, "10:00", "", "/a"),
			},
			want: []summary{{1, 10, "03-10 10:00:00", "03-10 10:00:00", 0, 1, 1, 1, "/a", "/a", "ref/a"}},
		},
		{
			name: "a visit continues across midnight through prev_visitor_id",
			events: []aggregator.Event{
				ev(7, 70, "-1 23:40", "", "/a"),
				ev(7, 71, "-1 23:50", "", "/b"),
				prev(ev(8, 80, "00:05", "", "/c"), 7),
				prev(ev(8, 81, "00:20", "", "/d"), 7),
				ev(8, 82, "00:45", "", "/e"), // continues through its own id
			},
			want: []summary{{7, 70, "03-09 23:40:00", "03-10 00:45:00", 3900, 5, 5, 0, "/a", "/e", "ref/a"}},
		},
		{
			name: "no continuation across midnight after a gap of more than 30 minutes",
			events: []aggregator.Event{
				ev(7, 70, "-1 23:20", "", "/a"),
				prev(ev(8, 80, "00:05", "", "/c"), 7),
			},
			want: []summary{
				{7, 70, "03-09 23:20:00", "03-09 23:20:00", 0, 1, 1, 1, "/a", "/a", "ref/a"},
				{8, 80, "03-10 00:05:00", "03-10 00:05:00", 0, 1, 1, 1, "/c", "/c", "ref/c"},
			},
		},
		{
			name: "prev_visitor_id of another visitor does not link",
			events: []aggregator.Event{
				ev(7, 70, "-1 23:50", "", "/a"),
				prev(ev(8, 80, "00:05", "", "/c"), 6),
			},
			want: []summary{
				{7, 70, "03-09 23:50:00", "03-09 23:50:00", 0, 1, 1, 1, "/a", "/a", "ref/a"},
				{8, 80, "03-10 00:05:00", "03-10 00:05:00", 0, 1, 1, 1, "/c", "/c", "ref/c"},
			},
		},
		{
			name: "a visit crosses at most one midnight",
			events: append(slices.Clone(allDay),
				prev(ev(3, 300, "00:05", "", "/next"), 2)),
			want: []summary{
				{2, 100, "03-09 00:10:00", "03-09 23:50:00", 85200, 72, 72, 0, "/p0", "/p71", "ref/p0"},
				{3, 300, "03-10 00:05:00", "03-10 00:05:00", 0, 1, 1, 1, "/next", "/next", "ref/next"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []summary
			for _, v := range Visits(tt.events) {
				got = append(got, summarize(v))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got\n%v\nwant\n%v", got, tt.want)
			}
		})
	}
}

func TestVisitEvents(t *testing.T) {
	a := ev(1, 10, "10:00:00.750", "", "/a")
	b := ev(1, 11, "10:05", "signup", "/form")
	b.Referrer, b.Country = "elsewhere", "SE" // its own; the visit's win
	b.PropKeys, b.PropValues = []string{"plan"}, []string{"pro"}
	vs := Visits([]aggregator.Event{b, a})
	if len(vs) != 1 {
		t.Fatalf("got %d visits, want 1", len(vs))
	}
	got := vs[0].Events
	if len(got) != 2 {
		t.Fatalf("got %d session events, want 2", len(got))
	}
	want := []SessionEvent{
		{Site: site, VisitorID: 1, SessionID: 10, EventID: 10, Time: at("10:00"), Name: "pageview",
			Hostname: site, Path: "/a", EntryPage: "/a", Attrs: attrsOf(&a), PropKeys: []string{}, PropValues: []string{}},
		{Site: site, VisitorID: 1, SessionID: 10, EventID: 11, Time: at("10:05"), Name: "signup",
			Hostname: site, Path: "/form", EntryPage: "/a", Attrs: attrsOf(&a), PropKeys: []string{"plan"}, PropValues: []string{"pro"}},
	}
	for i := range want {
		if got[i].key() != want[i].key() {
			t.Errorf("event %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	if got[1].Referrer != a.Referrer || got[1].Country != "NO" {
		t.Errorf("attributes: got referrer %q country %q, want the first event's %q %q", got[1].Referrer, got[1].Country, a.Referrer, "NO")
	}
}

// TestVisitsOrderFree: any order of the same events gives the same visits.
func TestVisitsOrderFree(t *testing.T) {
	var events []aggregator.Event
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 400 {
		v := uint64(1 + r.IntN(8))
		e := ev(v, uint64(1000+i), "-1 22:00", "", fmt.Sprintf("/%d", r.IntN(5)))
		e.Time = e.Time.Add(time.Duration(r.IntN(4*3600)) * time.Second)
		if sinceMidnight(e.Time) < linkWindow {
			// After midnight, ids are the next day's, linked to the old ones.
			e.VisitorID, e.PrevVisitorID = v+100, v
		} else if e.Time.After(day0) {
			e.VisitorID = v + 100
		}
		events = append(events, e)
	}
	want := keysOf(Visits(events))
	for range 5 {
		r.Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })
		if got := keysOf(Visits(events)); !slices.Equal(got, want) {
			t.Fatalf("visits depend on the order of events")
		}
	}
}

func keysOf(vs []Visit) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Session.key())
		for _, e := range v.Events {
			out = append(out, e.key())
		}
	}
	return out
}

func TestDays(t *testing.T) {
	got := Days(at("-1 23:59"), at("+1 00:00"))
	want := []time.Time{day0.Add(-day), day0, day0.Add(day)}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if got := Days(at("10:00"), at("-1 10:00")); got != nil {
		t.Errorf("reversed range: got %v, want none", got)
	}
}

func TestSafeErr(t *testing.T) {
	err := fmt.Errorf("sessions: load events: Code: 62. Syntax error near 'it''s /secret/path' IN (1234567890123, 42)")
	got := safeErr(err)
	if strings.Contains(got, "secret") || strings.Contains(got, "1234567890123") {
		t.Errorf("got %q, want ids and quoted text masked", got)
	}
}
