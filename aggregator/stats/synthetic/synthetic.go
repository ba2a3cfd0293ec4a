// Package synthetic makes realistic traffic for the read side's
// benchmarks: visits of 1 to 10 page views over the days before a given
// time, Zipf-distributed pages (2,000) and cities (2,000 in 30 countries),
// a dozen sources, a few campaigns, browsers, systems and devices, and
// visitors who come back within a day (visitor ids change daily, as the
// daily salt makes them). The same seed gives the same traffic.
//
// Load writes the visits straight into sessions and session_events, as
// the sessionizer would have written them once each visit was over: the
// bulk path the benchmarks use to reach millions of events in minutes.
// The materialized views fold those rows into the aggregates as they would
// the sessionizer's.
package synthetic

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/varde/varde/aggregator/store"
)

// Options shape the traffic. Zero fields take the defaults stated.
type Options struct {
	// Site is the site's domain. Default: "bench.example".
	Site string
	// Events is how many page views to make, about (the last visit is
	// whole). Default: 200,000.
	Events int
	// Now is the end of the traffic. Default: 2026-03-10 12:00 UTC.
	Now time.Time
	// Days is how many days before Now the visits start in. Default: 90.
	Days int
	// Seed picks the traffic. Default: 1.
	Seed uint64
	// Batch is how many session_events rows one insert carries.
	// Default: 100,000.
	Batch int
}

func (o *Options) fill() {
	if o.Site == "" {
		o.Site = "bench.example"
	}
	if o.Events <= 0 {
		o.Events = 200000
	}
	if o.Now.IsZero() {
		o.Now = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	}
	if o.Days <= 0 {
		o.Days = 90
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Batch <= 0 {
		o.Batch = 100000
	}
}

// Visit is one visit: its visitor, attributes and page views, one minute
// apart.
type Visit struct {
	Visitor, Session uint64
	Start            time.Time
	Pages            []string
	Source, Referrer string
	UTMSource        string
	UTMMedium        string
	UTMCampaign      string
	Country, Region  string
	RegionName, City string
	Browser, BVer    string
	OS, OSVer        string
	Device           string
}

var (
	sources   = []string{"Direct / None", "Google", "Bing", "DuckDuckGo", "Facebook", "LinkedIn", "Twitter", "finn.no", "nav.no", "Reddit", "Instagram", "Newsletter"}
	browsers  = []string{"Chrome", "Safari", "Firefox", "Edge", "Samsung Internet", "Opera"}
	oses      = []string{"Windows", "macOS", "iOS", "Android", "Linux", "ChromeOS"}
	devices   = []string{"desktop", "mobile", "tablet"}
	mediums   = []string{"cpc", "email", "social", "display"}
	utmSource = []string{"google", "newsletter", "facebook", "linkedin", "partner"}
)

// Generate calls f with each visit, day by day, until about opts.Events
// page views are made. It stops at f's first error. Visits come in the
// order of their days (and in no order within a day), so that a batch of
// rows lands in one or two of the raw tables' daily partitions.
func Generate(opts Options, f func(v *Visit) error) error {
	opts.fill()
	rng := rand.New(rand.NewPCG(opts.Seed, 2))
	zipf := func(k uint64) *rand.Zipf { return rand.NewZipf(rng, 1.1, 1, k-1) }
	pages, cities, countries := zipf(2000), zipf(2000), zipf(30)
	// About 5.5 page views a visit; a day's visitors are drawn from a pool
	// half again as large as its visits, so about one in four comes back.
	// Visitor ids change at midnight UTC, as the daily salt changes them.
	perDay := max(1, opts.Events*2/11/opts.Days)
	pool := uint64(perDay + perDay/2)
	first := opts.Now.Add(-time.Duration(opts.Days) * 24 * time.Hour)
	v := &Visit{}
	written := 0
	id := uint64(0)
	for d := range opts.Days {
		dayStart := first.Add(time.Duration(d) * 24 * time.Hour)
		target := int(int64(opts.Events) * int64(d+1) / int64(opts.Days))
		for written < target {
			id++
			start := dayStart.Add(time.Duration(rng.Int64N(int64(24 * time.Hour)))).Truncate(time.Second)
			c := countries.Uint64()
			city := cities.Uint64()
			*v = Visit{
				Visitor: mix(uint64(start.Unix()/86400)<<32 | rng.Uint64N(pool) | opts.Seed<<56), Session: id, Start: start,
				Pages:  v.Pages[:0],
				Source: sources[rng.IntN(len(sources))], Country: fmt.Sprintf("C%02d", c),
				Region: fmt.Sprintf("C%02d-%d", c, city%7), RegionName: "Region " + strconv.Itoa(int(city%7)), City: "City " + strconv.Itoa(int(city)),
				Browser: browsers[rng.IntN(len(browsers))], BVer: strconv.Itoa(100 + rng.IntN(30)),
				OS: oses[rng.IntN(len(oses))], OSVer: strconv.Itoa(rng.IntN(15)), Device: devices[rng.IntN(len(devices))],
			}
			if v.Source != "Direct / None" {
				v.Referrer = "www." + v.Source + ".com"
			}
			if rng.IntN(10) == 0 {
				v.UTMSource = utmSource[rng.IntN(len(utmSource))]
				v.UTMMedium = mediums[rng.IntN(len(mediums))]
				v.UTMCampaign = "campaign-" + strconv.Itoa(rng.IntN(20))
			}
			for range 1 + rng.IntN(10) {
				v.Pages = append(v.Pages, "/jobs/"+strconv.FormatUint(pages.Uint64(), 10))
			}
			if err := f(v); err != nil {
				return err
			}
			written += len(v.Pages)
		}
	}
	return nil
}

// mix spreads consecutive numbers over 64 bits (splitmix64's finaliser),
// so that visitor ids look like the keyed hashes they stand for.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// SessionColumns and EventColumns are the columns of the rows SessionRow
// and EventRows make.
var (
	SessionColumns = []string{"site", "visitor_id", "session_id", "sign", "start", "end", "duration", "pageviews", "events", "bounce",
		"hostname", "entry_page", "exit_page", "referrer", "source", "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term",
		"country", "region", "region_name", "city", "browser", "browser_version", "os", "os_version", "device"}
	EventColumns = []string{"site", "visitor_id", "session_id", "event_id", "sign", "time", "name", "hostname", "path", "entry_page",
		"referrer", "source", "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term",
		"country", "region", "region_name", "city", "browser", "browser_version", "os", "os_version", "device", "props_keys", "props_values"}
)

// SessionRow is the visit's sessions row, complete.
func SessionRow(site string, v *Visit) []any {
	n := len(v.Pages)
	dur := (n - 1) * 60
	bounce := 0
	if n == 1 {
		bounce = 1
	}
	return []any{site, v.Visitor, v.Session, 1, v.Start, v.Start.Add(time.Duration(dur) * time.Second), dur, n, n, bounce,
		site, v.Pages[0], v.Pages[n-1], v.Referrer, v.Source, v.UTMSource, v.UTMMedium, v.UTMCampaign, "", "",
		v.Country, v.Region, v.RegionName, v.City, v.Browser, v.BVer, v.OS, v.OSVer, v.Device}
}

// EventRows appends the visit's session_events rows, one per page view.
func EventRows(rows [][]any, site string, v *Visit) [][]any {
	for i, p := range v.Pages {
		rows = append(rows, []any{site, v.Visitor, v.Session, v.Session*16 + uint64(i), 1, v.Start.Add(time.Duration(i) * time.Minute),
			"pageview", site, p, v.Pages[0], v.Referrer, v.Source, v.UTMSource, v.UTMMedium, v.UTMCampaign, "", "",
			v.Country, v.Region, v.RegionName, v.City, v.Browser, v.BVer, v.OS, v.OSVer, v.Device, noProps, noProps})
	}
	return rows
}

var noProps = []string{}

// Loaded says what Load wrote.
type Loaded struct {
	Visits, Events int
}

// Load generates the traffic and writes it into st's sessions and
// session_events tables in batches, generating the next batch while the
// last one is written.
func Load(ctx context.Context, st store.Store, opts Options) (Loaded, error) {
	opts.fill()
	type batch struct{ sess, evs [][]any }
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	batches := make(chan batch, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for b := range batches {
			err := st.Insert(ctx, "sessions", SessionColumns, b.sess)
			if err == nil {
				err = st.Insert(ctx, "session_events", EventColumns, b.evs)
			}
			if err != nil {
				cancel(err)
				for range batches {
				}
				return
			}
		}
	}()
	var (
		out Loaded
		cur batch
	)
	send := func() error {
		select {
		case batches <- cur:
			cur = batch{}
			return nil
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	err := Generate(opts, func(v *Visit) error {
		cur.sess = append(cur.sess, SessionRow(opts.Site, v))
		cur.evs = EventRows(cur.evs, opts.Site, v)
		out.Visits++
		out.Events += len(v.Pages)
		if len(cur.evs) >= opts.Batch {
			return send()
		}
		return nil
	})
	if err == nil && len(cur.sess) > 0 {
		err = send()
	}
	close(batches)
	<-done
	if err == nil {
		err = context.Cause(ctx)
	}
	if err != nil {
		return out, fmt.Errorf("synthetic: load: %w", err)
	}
	return out, nil
}
