// Package loadgen makes realistic consented traffic for a Varde collector:
// visitors with their own addresses and browsers give consent once, then
// send pageviews over a Zipf-distributed set of pages with a mix of
// referrers, at a fixed rate (open loop, latency measured from when each
// request was due, so a slow server cannot hide its queueing) or as fast
// as the server answers (closed loop, for throughput). It targets loopback
// addresses in tests and benchmarks; the visitors' addresses reach the
// collector through X-Forwarded-For, so the collector must trust the
// generator's address as a proxy.
package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// Options of a run. Zero values get the defaults stated.
type Options struct {
	// Target is the collector's base URL, e.g. http://127.0.0.1:8080.
	Target string
	Site   string
	// Rate is requests per second; 0 sends as fast as the server answers.
	Rate float64
	// Duration bounds the run; Requests, when set, bounds it too.
	Duration time.Duration
	Requests int
	// Visitors is how many visitors give consent before the run (default
	// 5000). Each visit, 1 to 10 pageviews in a row, then comes from a
	// visitor of its own (an address and a browser not seen before) with
	// one of their tokens: traffic of thousands of pageviews a second is
	// thousands of people, each on the site for a few pages, not a few
	// thousand people clicking for the whole run.
	Visitors int
	// Concurrency is the number of connections (default 64).
	Concurrency int
	// Pages is the number of distinct pages (default 300), visited with a
	// Zipf distribution like real sites.
	Pages int
	// NoConsent skips asking for consent and sends a dummy token: for the
	// reference server, which has no consent endpoint.
	NoConsent bool
	Seed      uint64
}

func (o *Options) fill() error {
	if o.Target == "" || o.Site == "" {
		return errors.New("loadgen: a target and a site are required")
	}
	if o.Duration == 0 && o.Requests == 0 {
		o.Duration = 10 * time.Second
	}
	if o.Visitors == 0 {
		o.Visitors = 5000
	}
	if o.Concurrency == 0 {
		o.Concurrency = 64
	}
	if o.Pages == 0 {
		o.Pages = 300
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	return nil
}

// Result of a run.
type Result struct {
	Sent     int
	Accepted int // 202: the collector will store the event
	Dropped  int // 204: a bot, not counted
	Other    map[int]int
	Errors   int
	Elapsed  time.Duration
	// RPS is answered requests per second over the run.
	RPS                float64
	P50, P90, P99, Max time.Duration
	// AcceptedIDs is not known to the client; stored counts are checked
	// against Accepted.
}

func (r Result) String() string {
	return fmt.Sprintf("sent=%d accepted=%d dropped=%d other=%v errors=%d rps=%.0f p50=%.2fms p99=%.2fms max=%.2fms",
		r.Sent, r.Accepted, r.Dropped, r.Other, r.Errors, r.RPS, ms(r.P50), ms(r.P99), ms(r.Max))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// visitor is one simulated person.
type visitor struct {
	ip, ua, lang string
	token        string
}

// Run sends the traffic and reports what came back.
func Run(ctx context.Context, opts Options) (Result, error) {
	if err := opts.fill(); err != nil {
		return Result{}, err
	}
	u, err := url.Parse(opts.Target)
	if err != nil || u.Host == "" {
		return Result{}, fmt.Errorf("loadgen: bad target %q", opts.Target)
	}
	client := &fasthttp.HostClient{
		Addr:                     u.Host,
		MaxConns:                 opts.Concurrency,
		NoDefaultUserAgentHeader: true,
		ReadTimeout:              10 * time.Second,
		WriteTimeout:             10 * time.Second,
		MaxIdleConnDuration:      time.Minute,
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 7))
	visitors := makeVisitors(rng, opts.Visitors)
	if opts.NoConsent {
		for i := range visitors {
			visitors[i].token = "reference"
		}
	} else if err := giveConsent(ctx, client, opts, visitors); err != nil {
		return Result{}, err
	}
	return send(ctx, client, opts, visitors)
}

var userAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
	"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
	"Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
	"Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
}

var languages = []string{"nb-NO,nb;q=0.9,en;q=0.8", "nn-NO,nn;q=0.9", "en-GB,en;q=0.9", "sv-SE,sv;q=0.9", "de-DE,de;q=0.9"}

var referrers = []string{"", "", "", "https://www.google.com/", "https://www.google.no/", "https://www.bing.com/", "https://duckduckgo.com/",
	"https://www.facebook.com/", "https://www.linkedin.com/", "https://t.co/abc", "https://www.finn.no/jobb", "https://kvasir.no/"}

// makeVisitors spreads visitors over public address ranges of several
// countries (in the GeoLite2 data) and over browsers.
func makeVisitors(rng *rand.Rand, n int) []visitor {
	out := make([]visitor, n)
	for i := range out {
		out[i] = newcomer(rng, i, "")
	}
	return out
}

var prefixes = []string{"84.208.", "88.89.", "129.240.", "193.69.", "81.166.", "62.101.", "85.24.", "217.70.", "91.198.", "195.204."}

// newcomer is the visitor of the n-th visit: an address of its own (n
// walks the prefixes' 650,000 addresses) and a browser drawn at random,
// carrying a token one of the consenting visitors got.
func newcomer(rng *rand.Rand, n int, token string) visitor {
	host := (n / len(prefixes)) % (254 * 256)
	return visitor{
		ip:    fmt.Sprintf("%s%d.%d", prefixes[n%len(prefixes)], host/254, 1+host%254),
		ua:    userAgents[rng.IntN(len(userAgents))],
		lang:  languages[rng.IntN(len(languages))],
		token: token,
	}
}

func setBrowserHeaders(req *fasthttp.Request, v visitor) {
	req.Header.Set("User-Agent", v.ua)
	req.Header.Set("Accept-Language", v.lang)
	req.Header.Set("X-Forwarded-For", v.ip)
	req.Header.Set("Sec-Fetch-Mode", "no-cors")
	req.Header.Set("Sec-Fetch-Dest", "empty")
	req.Header.SetContentType("text/plain;charset=UTF-8")
}

// bannerRevision asks the collector for the site's banner revision, which
// a choice must name, as the banner does.
func bannerRevision(client *fasthttp.HostClient, opts Options) (int, error) {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(opts.Target + "/api/banner/" + opts.Site)
	if err := client.Do(req, resp); err != nil {
		return 0, fmt.Errorf("loadgen: banner: %w", err)
	}
	var banner struct{ Revision int }
	if resp.StatusCode() != 200 || json.Unmarshal(resp.Body(), &banner) != nil {
		return 0, fmt.Errorf("loadgen: banner answered %d: %.200s", resp.StatusCode(), resp.Body())
	}
	return banner.Revision, nil
}

// giveConsent has every visitor accept statistics, as the banner would.
func giveConsent(ctx context.Context, client *fasthttp.HostClient, opts Options, visitors []visitor) error {
	revision, err := bannerRevision(client, opts)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	var failed atomic.Value
	next := atomic.Int64{}
	for range min(opts.Concurrency, 32) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			for {
				i := int(next.Add(1)) - 1
				if i >= len(visitors) || ctx.Err() != nil {
					return
				}
				v := &visitors[i]
				req.Reset()
				req.SetRequestURI(opts.Target + "/api/consent")
				req.Header.SetMethod("POST")
				setBrowserHeaders(req, *v)
				body, _ := json.Marshal(map[string]any{
					"site": opts.Site, "categories": map[string]bool{"statistics": true}, "revision": revision,
					"lang": "nb", "url": "https://" + opts.Site + "/",
				})
				req.SetBody(body)
				if err := client.Do(req, resp); err != nil {
					failed.Store(err)
					return
				}
				if resp.StatusCode() != 201 {
					failed.Store(fmt.Errorf("loadgen: consent answered %d: %s", resp.StatusCode(), resp.Body()))
					return
				}
				var answer struct{ Token string }
				if err := json.Unmarshal(resp.Body(), &answer); err != nil || answer.Token == "" {
					failed.Store(fmt.Errorf("loadgen: consent answer has no token"))
					return
				}
				v.token = answer.Token
			}
		}()
	}
	wg.Wait()
	if err, ok := failed.Load().(error); ok {
		return err
	}
	return ctx.Err()
}

// beacons prepares the bodies visitors send: page, referrer and width vary.
type beaconMaker struct {
	opts  Options
	zipf  *rand.Zipf
	rng   *rand.Rand
	paths []string
}

func newBeaconMaker(opts Options, seed uint64) *beaconMaker {
	rng := rand.New(rand.NewPCG(seed, 11))
	paths := make([]string, opts.Pages)
	for i := range paths {
		switch {
		case i == 0:
			paths[i] = "/"
		case i%3 == 0:
			paths[i] = fmt.Sprintf("/stillinger/%d", 1000+i)
		case i%3 == 1:
			paths[i] = fmt.Sprintf("/kandidater/artikkel-%d", i)
		default:
			paths[i] = fmt.Sprintf("/om-oss/side-%d", i)
		}
	}
	return &beaconMaker{opts: opts, rng: rng, paths: paths, zipf: rand.NewZipf(rng, 1.1, 1, uint64(opts.Pages-1))}
}

func (b *beaconMaker) body(v visitor, first bool) []byte {
	path := b.paths[b.zipf.Uint64()]
	ref := ""
	if first {
		ref = referrers[b.rng.IntN(len(referrers))]
	}
	var sb strings.Builder
	sb.Grow(600)
	sb.WriteString(`{"site":"`)
	sb.WriteString(b.opts.Site)
	sb.WriteString(`","name":"pageview","url":"https://`)
	sb.WriteString(b.opts.Site)
	sb.WriteString(path)
	if b.rng.IntN(10) == 0 {
		sb.WriteString("?utm_source=newsletter&utm_medium=email&utm_campaign=nov")
	}
	sb.WriteString(`","referrer":"`)
	sb.WriteString(ref)
	sb.WriteString(`","width":`)
	sb.WriteString([]string{"390", "768", "1280", "1440", "1920"}[b.rng.IntN(5)])
	sb.WriteString(`,"token":"`)
	sb.WriteString(v.token)
	sb.WriteString(`"}`)
	return []byte(sb.String())
}

// send runs the beacon phase.
func send(ctx context.Context, client *fasthttp.HostClient, opts Options, visitors []visitor) (Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if opts.Duration > 0 {
		var c2 context.CancelFunc
		ctx, c2 = context.WithTimeout(ctx, opts.Duration)
		defer c2()
	}
	// Each job is the time a request is due (open loop) or zero.
	jobs := make(chan time.Time, opts.Concurrency*4)
	var sent atomic.Int64
	start := time.Now()
	go func() {
		defer close(jobs)
		if opts.Rate <= 0 {
			for opts.Requests == 0 || int(sent.Load()) < opts.Requests {
				select {
				case jobs <- time.Time{}:
					if sent.Add(1) == int64(opts.Requests) {
						return
					}
				case <-ctx.Done():
					return
				}
			}
			return
		}
		interval := time.Duration(float64(time.Second) / opts.Rate)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		n := 0
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-tick.C:
				// Everything due by now goes out, each stamped with when it
				// was due.
				for due := start.Add(time.Duration(n) * interval); !due.After(now); due = start.Add(time.Duration(n) * interval) {
					select {
					case jobs <- due:
					case <-ctx.Done():
						return
					}
					n++
					sent.Add(1)
					if opts.Requests > 0 && n >= opts.Requests {
						return
					}
				}
			}
		}
	}()

	type workerResult struct {
		lat                     []time.Duration
		accepted, dropped, errs int
		other                   map[int]int
	}
	results := make([]workerResult, opts.Concurrency)
	var nextVisit atomic.Int64
	var wg sync.WaitGroup
	for w := range opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := &results[w]
			r.other = map[int]int{}
			maker := newBeaconMaker(opts, opts.Seed+uint64(w)*7919)
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			var v visitor
			left := 0 // pageviews left in the current visit
			for due := range jobs {
				first := left == 0
				if first {
					n := int(nextVisit.Add(1))
					v = newcomer(maker.rng, n, visitors[n%len(visitors)].token)
					left = 1 + maker.rng.IntN(10)
				}
				left--
				req.Reset()
				req.SetRequestURI(opts.Target + "/api/event")
				req.Header.SetMethod("POST")
				setBrowserHeaders(req, v)
				req.SetBody(maker.body(v, first))
				began := time.Now()
				if due.IsZero() {
					due = began
				}
				err := client.Do(req, resp)
				r.lat = append(r.lat, time.Since(due))
				switch {
				case err != nil:
					r.errs++
				case resp.StatusCode() == 202:
					r.accepted++
				case resp.StatusCode() == 204:
					r.dropped++
				default:
					r.other[resp.StatusCode()]++
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	res := Result{Other: map[int]int{}, Elapsed: elapsed}
	var lat []time.Duration
	for _, r := range results {
		lat = append(lat, r.lat...)
		res.Accepted += r.accepted
		res.Dropped += r.dropped
		res.Errors += r.errs
		for k, v := range r.other {
			res.Other[k] += v
		}
	}
	res.Sent = len(lat)
	res.RPS = float64(res.Sent-res.Errors) / elapsed.Seconds()
	if len(lat) > 0 {
		slices.Sort(lat)
		q := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
		res.P50, res.P90, res.P99, res.Max = q(0.50), q(0.90), q(0.99), lat[len(lat)-1]
	}
	return res, nil
}
