package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// DefaultTimeout bounds every wait of a Page.
const DefaultTimeout = 10 * time.Second

// Page is one tab in its own browser context (no cookies or storage shared
// with other pages). Its methods fail the test on error, so a test reads
// as a list of steps.
type Page struct {
	t   testing.TB
	ctx context.Context

	// Timeout bounds each wait; DefaultTimeout unless changed.
	Timeout time.Duration

	mu   sync.Mutex
	reqs []*Request
	byID map[network.RequestID]*Request
}

// Request is a network request the page made, as Chromium reported it.
type Request struct {
	Method string
	URL    string
	Type   string // Document, Script, Fetch, Ping (sendBeacon), ...
	Body   string // the request body, when Chromium reports it
	Status int64  // 0 until the response arrives
	Err    string // set when loading failed, e.g. net::ERR_ABORTED
}

func (r Request) String() string {
	s := fmt.Sprintf("%s %s (%s) → %d", r.Method, r.URL, r.Type, r.Status)
	if r.Err != "" {
		s += " " + r.Err
	}
	return s
}

// NewPage opens a tab in a new browser context, presenting as a regular
// Chrome (Browser.UserAgent). The tab closes when the test ends; a failed
// test leaves a screenshot in artifacts/.
func (b *Browser) NewPage(t testing.TB) *Page {
	t.Helper()
	p := &Page{t: t, Timeout: DefaultTimeout, byID: make(map[network.RequestID]*Request)}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext(), chromedp.WithListener(p.listen))
	p.ctx = ctx
	t.Cleanup(func() {
		if t.Failed() {
			p.screenshot(t.Name())
		}
		cancel()
	})
	// The first Do opens the tab and ties its life to the context it gets,
	// so it runs on p.ctx itself, not on a context with a timeout.
	err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{MaxPostDataSize: new(int64(64 << 10))}); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, tg, emulation.SetUserAgentOverride, b.agent); err != nil {
			return err
		}
		// Focus and :focus-visible behave as in a focused window although
		// the tab runs headless next to others.
		_, err := cdp.Call(ctx, tg, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
		return err
	}))
	if err != nil {
		t.Fatalf("open tab: %v", err)
	}
	return p
}

// listen records requests; it runs on chromedp's event loop, so it only
// copies fields.
func (p *Page) listen(ev any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		r := &Request{Method: ev.Request.Method, URL: ev.Request.URL, Type: string(ev.Type)}
		for _, e := range ev.Request.PostDataEntries {
			r.Body += string(e.Bytes)
		}
		p.reqs = append(p.reqs, r)
		p.byID[ev.RequestID] = r
	case *network.EventResponseReceived:
		if r := p.byID[ev.RequestID]; r != nil && ev.Response != nil {
			r.Status = ev.Response.Status
		}
	case *network.EventLoadingFailed:
		if r := p.byID[ev.RequestID]; r != nil {
			r.Err = ev.ErrorText
		}
	}
}

func (p *Page) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, p.Timeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
}

// Context is the page's chromedp context, for actions this type lacks.
func (p *Page) Context() context.Context { return p.ctx }

// AddInitScript runs js in every document the page loads from now on,
// before the page's own scripts.
func (p *Page) AddInitScript(js string) {
	p.t.Helper()
	p.do("add init script", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: js})
		return err
	}))
}

// SetGPC makes navigator.globalPrivacyControl true in every document the
// page loads from now on, as a browser with Global Privacy Control on.
func (p *Page) SetGPC() {
	p.t.Helper()
	p.AddInitScript(`Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true, configurable: true})`)
}

// ShiftClock moves the clock of every document the page loads from now on
// d ahead (Date.now and new Date()), as for a visitor who comes back d
// later. Only the page's scripts see it: cookie expiry and the servers
// keep the real time.
func (p *Page) ShiftClock(d time.Duration) {
	p.t.Helper()
	p.AddInitScript(fmt.Sprintf(`(() => {
		const D = Date, ahead = %d
		function Shifted(...a) { return new.target ? (a.length ? new D(...a) : new D(D.now() + ahead)) : new D(D.now() + ahead).toString() }
		Shifted.prototype = D.prototype
		Shifted.now = () => D.now() + ahead
		Shifted.parse = D.parse
		Shifted.UTC = D.UTC
		globalThis.Date = Shifted
	})()`, d.Milliseconds()))
}

// SetViewport resizes the viewport; mobile also sets a device scale of 2
// and the mobile meta-viewport behaviour. Call it before Navigate.
func (p *Page) SetViewport(width, height int64, mobile bool) {
	p.t.Helper()
	opts := []chromedp.EmulateViewportOption{}
	if mobile {
		opts = append(opts, chromedp.EmulateScale(2), chromedp.EmulateMobile)
	}
	p.do("set viewport", chromedp.EmulateViewport(width, height, opts...))
}

// EmulateMedia sets a CSS media feature, e.g. ("prefers-color-scheme",
// "dark") or ("prefers-reduced-motion", "reduce").
func (p *Page) EmulateMedia(feature, value string) {
	p.t.Helper()
	p.do("emulate "+feature, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: feature, Value: value}},
		})
		return err
	}))
}

// Navigate loads url and waits for its load event.
func (p *Page) Navigate(url string) {
	p.t.Helper()
	p.do("navigate to "+url, chromedp.Navigate(url))
}

// Reload reloads the page and waits for its load event.
func (p *Page) Reload() {
	p.t.Helper()
	p.do("reload", chromedp.Reload())
}

// Click sends a real mouse click to the centre of the first element that
// matches the CSS selector, once it is visible.
func (p *Page) Click(sel string) {
	p.t.Helper()
	p.do("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// Press sends key events, as a keyboard would, to whatever has focus. Keys
// are from chromedp's kb package (kb.Tab, kb.Enter, kb.Escape) or plain
// characters (" " is Space); modifiers such as kb.ModifierShift apply to
// every key.
func (p *Page) Press(keys string, mods ...chromedp.Modifier) {
	p.t.Helper()
	p.do(fmt.Sprintf("press %q", keys), chromedp.KeyEvent(keys, chromedp.KeyModifiers(mods...)))
}

// Eval evaluates js in the page and decodes its JSON value into out, which
// may be nil. A promise is awaited.
func (p *Page) Eval(js string, out any) {
	p.t.Helper()
	if err := p.eval(js, out); err != nil {
		p.t.Fatalf("eval %s: %v", short(js), err)
	}
}

func (p *Page) eval(js string, out any) error {
	ctx, cancel := context.WithTimeout(p.ctx, p.Timeout)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](js, chromedp.EvalAwaitPromise))
	if err != nil || out == nil {
		return err
	}
	if len(raw) == 0 {
		raw = []byte("null") // undefined
	}
	return json.Unmarshal(raw, out)
}

// Bool evaluates a JavaScript expression to a bool.
func (p *Page) Bool(js string) bool {
	p.t.Helper()
	var v bool
	p.Eval(js, &v)
	return v
}

// String evaluates a JavaScript expression to a string.
func (p *Page) String(js string) string {
	p.t.Helper()
	var v string
	p.Eval(js, &v)
	return v
}

// WaitFor polls the JavaScript condition until it is true, and fails the
// test after Timeout, naming what it waited for.
func (p *Page) WaitFor(what, cond string) {
	p.t.Helper()
	deadline := time.Now().Add(p.Timeout)
	for {
		var ok bool
		err := p.eval("!!("+cond+")", &ok)
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("timed out after %v waiting for %s (%s); last error: %v", p.Timeout, what, short(cond), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// WaitVisible waits until an element matching sel is rendered.
func (p *Page) WaitVisible(sel string) {
	p.t.Helper()
	p.WaitFor(sel+" visible", fmt.Sprintf(`(e => e && e.getClientRects().length > 0)(document.querySelector(%q))`, sel))
}

// WaitGone waits until no element matches sel.
func (p *Page) WaitGone(sel string) {
	p.t.Helper()
	p.WaitFor(sel+" gone", fmt.Sprintf(`!document.querySelector(%q)`, sel))
}

// Requests returns a copy of the requests the page made so far, in order.
func (p *Page) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Request, len(p.reqs))
	for i, r := range p.reqs {
		out[i] = *r
	}
	return out
}

// Match selects requests.
type Match func(Request) bool

// Post matches POST requests whose URL path ends with path.
func Post(path string) Match {
	return func(r Request) bool { return r.Method == "POST" && urlPathHasSuffix(r.URL, path) }
}

// URLContains matches requests whose URL contains s.
func URLContains(s string) Match {
	return func(r Request) bool { return strings.Contains(r.URL, s) }
}

func urlPathHasSuffix(u, path string) bool {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	return strings.HasSuffix(u, path)
}

// Filter returns the requests so far that match m.
func (p *Page) Filter(m Match) []Request {
	var out []Request
	for _, r := range p.Requests() {
		if m(r) {
			out = append(out, r)
		}
	}
	return out
}

// WaitRequest waits for the n-th (1-based; 1 when omitted) request that
// matches m to be answered or to fail, and returns it.
func (p *Page) WaitRequest(what string, m Match, n ...int) Request {
	p.t.Helper()
	want := 1
	if len(n) > 0 {
		want = n[0]
	}
	deadline := time.Now().Add(p.Timeout)
	for {
		got := p.Filter(m)
		if len(got) >= want && (got[want-1].Status != 0 || got[want-1].Err != "") {
			return got[want-1]
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("timed out after %v waiting for %s (request #%d); the page made:\n%s", p.Timeout, what, want, p.requestLog())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (p *Page) requestLog() string {
	var b strings.Builder
	for _, r := range p.Requests() {
		fmt.Fprintf(&b, "  %s\n", r)
	}
	return b.String()
}

// RequestLog lists the page's requests, one a line, for failure messages.
func (p *Page) RequestLog() string { return p.requestLog() }

// Screenshot saves a PNG of the viewport as artifacts/NAME.png at the
// module root and returns its path.
func (p *Page) Screenshot(name string) string {
	p.t.Helper()
	path, err := p.screenshotErr(name)
	if err != nil {
		p.t.Errorf("screenshot: %v", err)
	}
	return path
}

func (p *Page) screenshot(name string) {
	if path, err := p.screenshotErr(name); err == nil {
		p.t.Logf("screenshot: %s", path)
	}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func (p *Page) screenshotErr(name string) (string, error) {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return "", err
	}
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, "artifacts")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, unsafeName.ReplaceAllString(name, "_")+".png")
	return path, os.WriteFile(path, buf, 0o644)
}

// ModuleRoot returns the directory of the nearest go.mod above the working
// directory (tests run in their package directory).
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("browsertest: no go.mod above the working directory")
		}
		dir = parent
	}
}

func short(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		return s[:160] + "…"
	}
	return s
}
