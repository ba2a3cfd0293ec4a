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

// Where row reads and writes the values it needs again.
const (
	colSite     = 0
	colTime     = 1
	colEventID  = 3
	colInsertID = 5
)

// row is e as a row of the events table. insert_id is set per insert.
func row(e *aggregator.Event, batchID uint64) []any {
	keys, values := e.PropKeys, e.PropValues
	if keys == nil {
		// An empty array, not JSON null, for the embedded engine.
		keys, values = []string{}, []string{}
	}
	return []any{
		e.Site, e.Time.UTC(), uint16(e.Time.Nanosecond() / 1e6), e.ID, batchID, uint64(0), e.VisitorID, e.PrevVisitorID,
		e.Name, e.Hostname, e.Path, e.Query, e.Referrer, e.Source,
		e.UTMSource, e.UTMMedium, e.UTMCampaign, e.UTMContent, e.UTMTerm,
		e.Country, e.Region, e.RegionName, e.City,
		e.Browser, e.BrowserVersion, e.OS, e.OSVersion, e.Device, e.ScreenWidth,
		keys, values,
	}
}
