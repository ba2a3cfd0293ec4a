package sessions

import (
	"strconv"
	"strings"
	"time"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/aggregator/store"
)

// The column orders below match the SELECTs in queries/ and the inserts.

var sessionColumns = []string{
	"site", "visitor_id", "session_id", "start", "end", "duration", "pageviews", "events", "bounce",
	"hostname", "entry_page", "exit_page",
	"referrer", "source", "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term",
	"country", "region", "region_name", "city", "browser", "browser_version", "os", "os_version", "device",
	"sign",
}

var sessionEventColumns = []string{
	"site", "visitor_id", "session_id", "event_id", "time", "name", "hostname", "path", "entry_page",
	"referrer", "source", "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term",
	"country", "region", "region_name", "city", "browser", "browser_version", "os", "os_version", "device",
	"props_keys", "props_values",
	"sign",
}

// attrColumns is how many columns Attrs fills.
const attrColumns = 16

// texts are the attributes in column order.
func (a *Attrs) texts() [attrColumns]string {
	return [...]string{
		a.Referrer, a.Source, a.UTMSource, a.UTMMedium, a.UTMCampaign, a.UTMContent, a.UTMTerm,
		a.Country, a.Region, a.RegionName, a.City, a.Browser, a.BrowserVersion, a.OS, a.OSVersion, a.Device,
	}
}

func (a *Attrs) fill(dst []any) {
	for i, t := range a.texts() {
		dst[i] = t
	}
}

func (a *Attrs) dests() []any {
	return []any{
		&a.Referrer, &a.Source, &a.UTMSource, &a.UTMMedium, &a.UTMCampaign, &a.UTMContent, &a.UTMTerm,
		&a.Country, &a.Region, &a.RegionName, &a.City, &a.Browser, &a.BrowserVersion, &a.OS, &a.OSVersion, &a.Device,
	}
}

// fill puts the row's values into dst, one per column of sessionColumns.
func (s *Session) fill(dst []any, sign int8) {
	n := copy(dst, []any{s.Site, s.VisitorID, s.SessionID, s.Start, s.End, s.Duration, s.Pageviews, s.Events, s.Bounce,
		s.Hostname, s.EntryPage, s.ExitPage})
	s.Attrs.fill(dst[n:])
	dst[n+attrColumns] = sign
}

// dests are scan destinations for the columns of currentSessions.sql, but
// the trailing sum of signs.
func (s *Session) dests() []any {
	d := []any{&s.Site, &s.VisitorID, &s.SessionID, &s.Start, &s.End, &s.Duration, &s.Pageviews, &s.Events, &s.Bounce,
		&s.Hostname, &s.EntryPage, &s.ExitPage}
	return append(d, s.Attrs.dests()...)
}

// key identifies the whole row: two rows with the same key cancel.
func (s *Session) key() string {
	var k keyBuilder
	k.Grow(256)
	k.str(s.Site)
	k.num(s.VisitorID)
	k.num(s.SessionID)
	k.time(s.Start)
	k.time(s.End)
	k.num(uint64(s.Duration))
	k.num(uint64(s.Pageviews))
	k.num(uint64(s.Events))
	k.num(uint64(s.Bounce))
	k.str(s.Hostname)
	k.str(s.EntryPage)
	k.str(s.ExitPage)
	k.attrs(&s.Attrs)
	return k.String()
}

// fill puts the row's values into dst, one per column of sessionEventColumns.
func (e *SessionEvent) fill(dst []any, sign int8) {
	n := copy(dst, []any{e.Site, e.VisitorID, e.SessionID, e.EventID, e.Time, e.Name, e.Hostname, e.Path, e.EntryPage})
	e.Attrs.fill(dst[n:])
	n += attrColumns
	dst[n], dst[n+1], dst[n+2] = orEmpty(e.PropKeys), orEmpty(e.PropValues), sign
}

func (e *SessionEvent) dests() []any {
	d := []any{&e.Site, &e.VisitorID, &e.SessionID, &e.EventID, &e.Time, &e.Name, &e.Hostname, &e.Path, &e.EntryPage}
	d = append(d, e.Attrs.dests()...)
	return append(d, &e.PropKeys, &e.PropValues)
}

func (e *SessionEvent) key() string {
	var k keyBuilder
	k.Grow(256)
	k.str(e.Site)
	k.num(e.VisitorID)
	k.num(e.SessionID)
	k.num(e.EventID)
	k.time(e.Time)
	k.str(e.Name)
	k.str(e.Hostname)
	k.str(e.Path)
	k.str(e.EntryPage)
	k.attrs(&e.Attrs)
	k.list(e.PropKeys)
	k.list(e.PropValues)
	return k.String()
}

// keyBuilder encodes values without ambiguity: strings carry their length.
type keyBuilder struct{ strings.Builder }

func (k *keyBuilder) num(n uint64) {
	k.WriteString(strconv.FormatUint(n, 10))
	k.WriteByte(';')
}

func (k *keyBuilder) str(s string) {
	k.num(uint64(len(s)))
	k.WriteString(s)
}

func (k *keyBuilder) time(t time.Time) { k.num(uint64(t.Unix())) }

func (k *keyBuilder) list(l []string) {
	k.num(uint64(len(l)))
	for _, s := range l {
		k.str(s)
	}
}

func (k *keyBuilder) attrs(a *Attrs) {
	for _, t := range a.texts() {
		k.str(t)
	}
}

// eventSelect is the column list of raw events the sessionizer reads, in the
// order scanEvents expects.
const eventSelect = `site, time, ms, event_id, visitor_id, prev_visitor_id, name, hostname, path,
	referrer, source, utm_source, utm_medium, utm_campaign, utm_content, utm_term,
	country, region, region_name, city, browser, browser_version, os, os_version, device,
	props_keys, props_values`

// scanEvents reads rows of eventSelect into events.
func scanEvents(rows *store.Rows, out []aggregator.Event) ([]aggregator.Event, error) {
	for rows.Next() {
		var (
			e  aggregator.Event
			ms uint16
			a  Attrs
		)
		d := []any{&e.Site, &e.Time, &ms, &e.ID, &e.VisitorID, &e.PrevVisitorID, &e.Name, &e.Hostname, &e.Path}
		d = append(d, a.dests()...)
		d = append(d, &e.PropKeys, &e.PropValues)
		if err := rows.Scan(d...); err != nil {
			return out, err
		}
		e.Time = e.Time.Add(time.Duration(ms) * time.Millisecond)
		e.Referrer, e.Source = a.Referrer, a.Source
		e.UTMSource, e.UTMMedium, e.UTMCampaign, e.UTMContent, e.UTMTerm = a.UTMSource, a.UTMMedium, a.UTMCampaign, a.UTMContent, a.UTMTerm
		e.Country, e.Region, e.RegionName, e.City = a.Country, a.Region, a.RegionName, a.City
		e.Browser, e.BrowserVersion, e.OS, e.OSVersion, e.Device = a.Browser, a.BrowserVersion, a.OS, a.OSVersion, a.Device
		out = append(out, e)
	}
	return out, nil
}
