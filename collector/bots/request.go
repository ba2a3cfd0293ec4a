package bots

import (
	"strconv"
	"strings"
)

// Request holds the facts about a beacon that the rules read. Header fields
// take the raw header value, "" when the header is absent.
type Request struct {
	// Browser and BrowserVersion come from useragent.Agent (family name
	// and major version).
	Browser        string
	BrowserVersion string

	AcceptLanguage string
	SecFetchMode   string // Sec-Fetch-Mode
	SecFetchDest   string // Sec-Fetch-Dest
	SecCHUA        string // Sec-CH-UA, the brand list
	// Purpose is the first non-empty of Sec-Purpose, Purpose, X-Purpose
	// and X-Moz: the headers browsers put on speculative loads.
	Purpose string
}

// Reason names the rule that flagged a request. The set is fixed so that it
// can label a metric.
type Reason string

const (
	// ReasonNone is the reason of a request no rule flagged.
	ReasonNone Reason = ""
	// ReasonPrefetch: a speculative load (prefetch, prerender, link
	// preview). Nobody has seen the page yet; the tracker waits for
	// activation before it sends a pageview.
	ReasonPrefetch Reason = "prefetch"
	// ReasonNotBeacon: Fetch Metadata says this is a navigation, an image,
	// a frame, ... while navigator.sendBeacon and fetch() always send
	// Sec-Fetch-Dest "empty" with mode cors, no-cors or same-origin.
	ReasonNotBeacon Reason = "not-a-beacon"
	// ReasonHeadless: the client-hint brand list names HeadlessChrome,
	// which survives a rewritten User-Agent header.
	ReasonHeadless Reason = "headless"
	// ReasonMissingHeaders: the user agent claims a browser that sends
	// Fetch Metadata and Accept-Language on every request, and the request
	// has neither. Scripts that borrow a browser's user agent rarely copy
	// its other headers. Either header alone may be missing for honest
	// reasons (Sec-Fetch-* is only sent to HTTPS origins; an extension may
	// strip Accept-Language), so only both together count.
	ReasonMissingHeaders Reason = "missing-browser-headers"
)

// Reasons lists every Reason but ReasonNone, e.g. to pre-register metric
// labels.
func Reasons() []Reason {
	return []Reason{ReasonPrefetch, ReasonNotBeacon, ReasonHeadless, ReasonMissingHeaders}
}

// Check applies the rules in order and returns the first that fires.
func Check(r Request) (bool, Reason) {
	switch {
	case isSpeculative(r.Purpose):
		return true, ReasonPrefetch
	case r.SecFetchDest != "" && !strings.EqualFold(r.SecFetchDest, "empty"):
		return true, ReasonNotBeacon
	case r.SecFetchMode != "" && !isBeaconMode(r.SecFetchMode):
		return true, ReasonNotBeacon
	case strings.Contains(r.SecCHUA, "HeadlessChrome"):
		return true, ReasonHeadless
	case r.SecFetchMode == "" && strings.TrimSpace(r.AcceptLanguage) == "" &&
		sendsFetchMetadata(r.Browser, r.BrowserVersion):
		return true, ReasonMissingHeaders
	}
	return false, ReasonNone
}

func isSpeculative(purpose string) bool {
	p := strings.ToLower(purpose)
	return strings.Contains(p, "prefetch") || strings.Contains(p, "prerender") ||
		strings.Contains(p, "preview")
}

func isBeaconMode(mode string) bool {
	return strings.EqualFold(mode, "cors") || strings.EqualFold(mode, "no-cors") ||
		strings.EqualFold(mode, "same-origin")
}

// fetchMetadataSince is the first major version of each family that sends
// Sec-Fetch-* on every request, with a margin: Chromium shipped it in 76,
// Firefox in 90, Safari in 16.4.
var fetchMetadataSince = map[string]int{
	"Chrome":           80,
	"Edge":             80,
	"Opera":            67,
	"Samsung Internet": 13,
	"Firefox":          90,
	"Safari":           17,
}

func sendsFetchMetadata(browser, version string) bool {
	since, ok := fetchMetadataSince[browser]
	if !ok {
		return false
	}
	v, err := strconv.Atoi(version)
	return err == nil && v >= since
}
