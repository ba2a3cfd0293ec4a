package writer

import (
	"github.com/varde/varde/aggregator"
)

// columns are those of the events table (schemas/0001_init.sql), in order.
var columns = []string{
	"site", "time", "ms", "event_id", "batch_id", "insert_id", "visitor_id", "prev_visitor_id",
	"name", "hostname", "path", "query", "referrer", "source",
	"utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term",
	"country", "region", "region_name", "city",
	"browser", "browser_version", "os", "os_version", "device", "screen_width",
	"props_keys", "props_values",
}

// eventRows are a batch's events as rows of the events table, made one at
// a time as the store encodes them.
type eventRows struct {
	events            []aggregator.Event
	batchID, insertID uint64
}

func (r eventRows) Len() int { return len(r.events) }

func (r eventRows) Row(i int, dst []any) {
	e := &r.events[i]
	keys, values := e.PropKeys, e.PropValues
	if keys == nil {
		// An empty array, not JSON null, for the embedded engine.
		keys, values = []string{}, []string{}
	}
	copy(dst, []any{
		e.Site, e.Time.UTC(), uint16(e.Time.Nanosecond() / 1e6), e.ID, r.batchID, r.insertID, e.VisitorID, e.PrevVisitorID,
		e.Name, e.Hostname, e.Path, e.Query, e.Referrer, e.Source,
		e.UTMSource, e.UTMMedium, e.UTMCampaign, e.UTMContent, e.UTMTerm,
		e.Country, e.Region, e.RegionName, e.City,
		e.Browser, e.BrowserVersion, e.OS, e.OSVersion, e.Device, e.ScreenWidth,
		keys, values,
	})
}
