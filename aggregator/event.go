package aggregator

import "time"

// Event is one pageview or custom event as the collector hands it to the
// writer: enriched, with the IP address and user agent already gone.
type Event struct {
	Site string
	// Time is when the collector received the event, to the millisecond.
	Time time.Time
	// ID identifies the event; the writer assigns it when it is 0.
	ID uint64
	// VisitorID is the keyed hash of (today's salt, site, IP, user agent);
	// PrevVisitorID the same under yesterday's salt while yesterday's
	// visits can still continue, else 0.
	VisitorID     uint64
	PrevVisitorID uint64
	// Name is "pageview" or a custom event's name.
	Name     string
	Hostname string
	Path     string
	Query    string // only the site's allow-listed parameters
	// Referrer is the referring URL's host and path; Source what it is
	// classified as (a search engine, a social network, "Direct / None").
	Referrer    string
	Source      string
	UTMSource   string
	UTMMedium   string
	UTMCampaign string
	UTMContent  string
	UTMTerm     string
	// Country is ISO 3166-1 alpha-2; Region ISO 3166-2 ("NO-03").
	Country    string
	Region     string
	RegionName string
	City       string
	// Browser, OS and their major versions, and the device class
	// (desktop, mobile, tablet).
	Browser        string
	BrowserVersion string
	OS             string
	OSVersion      string
	Device         string
	ScreenWidth    uint16
	// Props of a custom event, as parallel lists.
	PropKeys   []string
	PropValues []string
}

// PageviewName is the name of a pageview event.
const PageviewName = "pageview"
