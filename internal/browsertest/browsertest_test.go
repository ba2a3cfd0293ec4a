package browsertest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

var shared Shared

func TestMain(m *testing.M) {
	code := m.Run()
	shared.Close()
	os.Exit(code)
}

func TestPageBasics(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ping" {
			w.WriteHeader(http.StatusAccepted)
			return
		}
		fmt.Fprint(w, `<!doctype html><html lang="en"><title>t</title><main><h1>Hi</h1><button id="b" onclick="navigator.sendBeacon('/ping', 'x=1')">Go</button></main></html>`)
	}))
	defer srv.Close()
	p := shared.Page(t)
	p.Navigate(srv.URL)
	p.Click("#b")
	r := p.WaitRequest("beacon", Post("/ping"))
	if r.Status != http.StatusAccepted || r.Body != "x=1" || r.Type != "Ping" {
		t.Errorf("beacon: got %s body %q, want 202 Ping with x=1", r, r.Body)
	}
}

// A page presents as a regular Chrome: a collector that drops headless
// browsers as bots must see the beacons of the tests as a visitor's.
func TestPresentsAsRegularChrome(t *testing.T) {
	headers := make(chan http.Header, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ping" {
			headers <- r.Header.Clone()
			w.WriteHeader(http.StatusAccepted)
			return
		}
		fmt.Fprint(w, `<!doctype html><html lang="en"><title>t</title><main><h1>Hi</h1></main></html>`)
	}))
	defer srv.Close()
	p := shared.Page(t)
	p.Navigate(srv.URL)
	p.Eval(`navigator.sendBeacon('/ping', 'x=1')`, nil)
	p.WaitRequest("beacon", Post("/ping"))
	h := <-headers
	if ua := h.Get("User-Agent"); strings.Contains(ua, "Headless") || !strings.Contains(ua, " Chrome/") || ua != shared.b.UserAgent() {
		t.Errorf("User-Agent: got %q, want the browser's own as Chrome, %q", ua, shared.b.UserAgent())
	}
	if ch := h.Get("Sec-CH-UA"); strings.Contains(ch, "Headless") || !strings.Contains(ch, `"Google Chrome"`) {
		t.Errorf("Sec-CH-UA: got %q, want Google Chrome and no HeadlessChrome", ch)
	}
	if got := p.String(`navigator.userAgent + ' ' + navigator.userAgentData.brands.map(b => b.brand).join()`); strings.Contains(got, "Headless") {
		t.Errorf("navigator: got %q, want no Headless", got)
	}
}

func TestShiftClock(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><html lang="en"><title>t</title><main><h1>Hi</h1></main></html>`)
	}))
	defer srv.Close()
	p := shared.Page(t)
	p.ShiftClock(100 * 24 * time.Hour)
	p.Navigate(srv.URL)
	var days [2]float64
	p.Eval(`[(Date.now() - `+fmt.Sprint(time.Now().UnixMilli())+`) / 864e5, (new Date().getTime() - Date.now()) / 864e5]`, &days)
	if days[0] < 99.9 || days[0] > 100.1 || days[1] < -0.01 || days[1] > 0.01 {
		t.Errorf("clock ahead by %.2f days (new Date() %.2f from Date.now()), want 100 and 0", days[0], days[1])
	}
	if !p.Bool(`new Date(0).getTime() === 0 && new Date() instanceof Date && typeof Date() === 'string'`) {
		t.Error("Date with arguments, instanceof or as a function behaves unlike Date")
	}
}
