package sessions

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/varde/varde/aggregator"
)

// Gap is how long a visit lasts without events: an event less than Gap
// after the visitor's previous one continues the visit, one at Gap or later
// starts a new visit.
const Gap = aggregator.SessionTimeout

// saltLag is how late after midnight a collector node may still hash with
// yesterday's salt (it loads the new salt from the store), and so how far a
// visitor id's events may spill into the next UTC day.
const saltLag = 10 * time.Minute

// linkWindow is how long after midnight an event can continue yesterday's
// visit: yesterday's ids have no events after midnight (but for saltLag), so
// a later event is always more than Gap after them.
const linkWindow = Gap + saltLag

// Attrs are what a visit takes from its first event: where it came from
// and who made it (coarsely).
type Attrs struct {
	Referrer       string
	Source         string
	UTMSource      string
	UTMMedium      string
	UTMCampaign    string
	UTMContent     string
	UTMTerm        string
	Country        string
	Region         string
	RegionName     string
	City           string
	Browser        string
	BrowserVersion string
	OS             string
	OSVersion      string
	Device         string
}

// Session is one row of the sessions table: a visit. Times are whole
// seconds, as stored.
type Session struct {
	Site      string
	VisitorID uint64 // the visitor id of the visit's first event
	SessionID uint64 // the event id of the visit's first event
	Start     time.Time
	End       time.Time
	Duration  uint32 // seconds from first to last event, floor of the milliseconds
	Pageviews uint32
	Events    uint32
	Bounce    uint8 // 1 when the visit has exactly one pageview
	Hostname  string
	EntryPage string // first pageview's path, or the first event's if none
	ExitPage  string // last pageview's path, or the last event's if none
	Attrs
}

// SessionEvent is one row of the session_events table: an event with the
// attributes of its visit.
type SessionEvent struct {
	Site       string
	VisitorID  uint64 // the visit's
	SessionID  uint64
	EventID    uint64
	Time       time.Time // whole seconds
	Name       string
	Hostname   string
	Path       string
	EntryPage  string // the visit's
	Attrs             // the visit's
	PropKeys   []string
	PropValues []string
}

// Visit is a visit's sessions row and its session_events rows, in event
// order.
type Visit struct {
	Session Session
	Events  []SessionEvent
}

// Visits groups raw events into visits. The events may come in any order,
// from several sites and visitor ids; an event id seen twice counts once.
// Events are ordered by time (to the millisecond), then event id.
//
// A visitor id's events form runs: an event less than Gap after the same
// id's previous event continues its run. A run starts a visit of its own,
// except a run that starts within linkWindow after a UTC midnight with
// PrevVisitorID P set: it continues the visit holding P's latest event when
// that event is less than Gap earlier and P's run did not itself start that
// way. So a visit crosses at most one midnight, and whether a run continues
// depends only on its own id's and P's events: the sessionizer can decide it
// from a bounded set of ids.
func Visits(events []aggregator.Event) []Visit {
	// Sort pointers: events are large.
	evs := make([]*aggregator.Event, len(events))
	for i := range events {
		evs[i] = &events[i]
	}
	slices.SortFunc(evs, func(a, b *aggregator.Event) int {
		if c := strings.Compare(a.Site, b.Site); c != 0 {
			return c
		}
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		if c := cmp.Compare(a.ID, b.ID); c != 0 {
			return c
		}
		return cmp.Compare(a.VisitorID, b.VisitorID)
	})
	evs = slices.CompactFunc(evs, func(a, b *aggregator.Event) bool {
		return a.Site == b.Site && a.ID == b.ID
	})

	type key struct {
		site string
		id   uint64
	}
	type visit struct{ events []int }
	type run struct {
		last      time.Time
		candidate bool // may continue yesterday's visit, so may not be continued
		visit     *visit
	}
	open := map[key]*run{}
	var visits []*visit
	for i, e := range evs {
		k := key{e.Site, e.VisitorID}
		r := open[k]
		if r == nil || e.Time.Sub(r.last) >= Gap {
			nr := &run{}
			if e.PrevVisitorID != 0 && sinceMidnight(e.Time) < linkWindow {
				nr.candidate = true
				p := open[key{e.Site, e.PrevVisitorID}]
				if p != nil && p != r && !p.candidate && e.Time.Sub(p.last) < Gap {
					nr.visit = p.visit
				}
			}
			if nr.visit == nil {
				nr.visit = &visit{}
				visits = append(visits, nr.visit)
			}
			r = nr
			open[k] = r
		}
		r.last = e.Time
		r.visit.events = append(r.visit.events, i)
	}

	out := make([]Visit, len(visits))
	for i, v := range visits {
		vs := make([]*aggregator.Event, len(v.events))
		for j, idx := range v.events {
			vs[j] = evs[idx]
		}
		out[i] = buildVisit(vs)
	}
	// visits is already in the order of first events; keep it.
	return out
}

// buildVisit makes the rows of one visit from its events, in order.
func buildVisit(evs []*aggregator.Event) Visit {
	first, last := evs[0], evs[len(evs)-1]
	s := Session{
		Site:      first.Site,
		VisitorID: first.VisitorID,
		SessionID: first.ID,
		Start:     seconds(first.Time),
		End:       seconds(last.Time),
		Duration:  uint32(last.Time.Sub(first.Time).Milliseconds() / 1000),
		Events:    uint32(len(evs)),
		Hostname:  first.Hostname,
		EntryPage: first.Path,
		ExitPage:  last.Path,
		Attrs:     attrsOf(first),
	}
	entered := false
	for _, e := range evs {
		if e.Name != aggregator.PageviewName {
			continue
		}
		s.Pageviews++
		if !entered {
			s.Hostname, s.EntryPage, entered = e.Hostname, e.Path, true
		}
		s.ExitPage = e.Path
	}
	if s.Pageviews == 1 {
		s.Bounce = 1
	}
	rows := make([]SessionEvent, len(evs))
	for i, e := range evs {
		rows[i] = SessionEvent{
			Site:       s.Site,
			VisitorID:  s.VisitorID,
			SessionID:  s.SessionID,
			EventID:    e.ID,
			Time:       seconds(e.Time),
			Name:       e.Name,
			Hostname:   e.Hostname,
			Path:       e.Path,
			EntryPage:  s.EntryPage,
			Attrs:      s.Attrs,
			PropKeys:   orEmpty(e.PropKeys),
			PropValues: orEmpty(e.PropValues),
		}
	}
	return Visit{Session: s, Events: rows}
}

func attrsOf(e *aggregator.Event) Attrs {
	return Attrs{
		Referrer:       e.Referrer,
		Source:         e.Source,
		UTMSource:      e.UTMSource,
		UTMMedium:      e.UTMMedium,
		UTMCampaign:    e.UTMCampaign,
		UTMContent:     e.UTMContent,
		UTMTerm:        e.UTMTerm,
		Country:        e.Country,
		Region:         e.Region,
		RegionName:     e.RegionName,
		City:           e.City,
		Browser:        e.Browser,
		BrowserVersion: e.BrowserVersion,
		OS:             e.OS,
		OSVersion:      e.OSVersion,
		Device:         e.Device,
	}
}

// seconds is t in UTC without its fraction, as a DateTime column holds it.
func seconds(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

// midnight is the start of t's UTC day.
func midnight(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }

func sinceMidnight(t time.Time) time.Duration { return t.Sub(midnight(t)) }

// orEmpty keeps a nil list and an empty one the same row.
func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
