package bots

import "testing"

func TestCheck(t *testing.T) {
	// What Chrome 131 sends with navigator.sendBeacon (text/plain body).
	beacon := Request{
		Browser: "Chrome", BrowserVersion: "131",
		AcceptLanguage: "nb-NO,nb;q=0.9,en;q=0.8",
		SecFetchMode:   "no-cors", SecFetchDest: "empty",
		SecCHUA: `"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"`,
	}
	with := func(f func(*Request)) Request {
		r := beacon
		f(&r)
		return r
	}
	tests := []struct {
		name string
		req  Request
		want Reason
	}{
		{"chrome sendBeacon", beacon, ReasonNone},
		{"chrome fetch keepalive", with(func(r *Request) { r.SecFetchMode = "cors" }), ReasonNone},
		{"same-origin fetch", with(func(r *Request) { r.SecFetchMode = "same-origin" }), ReasonNone},
		{"plain http origin: no fetch metadata", with(func(r *Request) { r.SecFetchMode, r.SecFetchDest = "", "" }), ReasonNone},
		{"accept-language stripped", with(func(r *Request) { r.AcceptLanguage = "" }), ReasonNone},
		{"old safari without fetch metadata", Request{Browser: "Safari", BrowserVersion: "15", AcceptLanguage: "nb-NO"}, ReasonNone},
		{"old safari, nothing", Request{Browser: "Safari", BrowserVersion: "15"}, ReasonNone},
		{"firefox beacon", Request{Browser: "Firefox", BrowserVersion: "133", AcceptLanguage: "nb", SecFetchMode: "no-cors", SecFetchDest: "empty"}, ReasonNone},
		{"unknown browser, nothing", Request{}, ReasonNone},
		{"header case", with(func(r *Request) { r.SecFetchMode, r.SecFetchDest = "No-Cors", "Empty" }), ReasonNone},

		{"prerender", with(func(r *Request) { r.Purpose = "prefetch;prerender" }), ReasonPrefetch},
		{"firefox prefetch", with(func(r *Request) { r.Purpose = "prefetch" }), ReasonPrefetch},
		{"link preview", with(func(r *Request) { r.Purpose = "preview" }), ReasonPrefetch},
		{"navigation", with(func(r *Request) { r.SecFetchMode, r.SecFetchDest = "navigate", "document" }), ReasonNotBeacon},
		{"image", with(func(r *Request) { r.SecFetchDest = "image" }), ReasonNotBeacon},
		{"iframe", with(func(r *Request) { r.SecFetchMode, r.SecFetchDest = "navigate", "iframe" }), ReasonNotBeacon},
		{"websocket", with(func(r *Request) { r.SecFetchMode = "websocket" }), ReasonNotBeacon},
		{"headless brand", with(func(r *Request) { r.SecCHUA = `"HeadlessChrome";v="131", "Chromium";v="131"` }), ReasonHeadless},
		{"chrome ua, bare request", Request{Browser: "Chrome", BrowserVersion: "131"}, ReasonMissingHeaders},
		{"firefox ua, bare request", Request{Browser: "Firefox", BrowserVersion: "133", AcceptLanguage: " "}, ReasonMissingHeaders},
		{"old chrome, bare request", Request{Browser: "Chrome", BrowserVersion: "70"}, ReasonNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bot, got := Check(tt.req)
			if got != tt.want || bot != (tt.want != ReasonNone) {
				t.Errorf("Check(%+v) = %v, %q; want %v, %q", tt.req, bot, got, tt.want != ReasonNone, tt.want)
			}
		})
	}
}

func BenchmarkCheck(b *testing.B) {
	r := Request{
		Browser: "Chrome", BrowserVersion: "131",
		AcceptLanguage: "nb-NO,nb;q=0.9", SecFetchMode: "no-cors", SecFetchDest: "empty",
		SecCHUA: `"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"`,
	}
	b.ReportAllocs()
	for b.Loop() {
		_, _ = Check(r)
	}
}
