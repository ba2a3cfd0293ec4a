// Package browsertest runs tests in a real, headless Chromium through
// chromedp: it finds (or installs) Debian's Chromium, starts one browser
// per test package, gives each test a fresh incognito-like tab, records the
// page's network requests, drives it with real mouse and key events, and
// runs axe-core in it.
//
// Pages present themselves as a regular desktop Chrome of the same version
// (user agent and client hints), not as HeadlessChrome: a real collector
// drops beacons from headless browsers as bots, and tests must see what a
// visitor's browser gets.
//
// A test package shares one browser:
//
//	var browser browsertest.Shared
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		browser.Close()
//		os.Exit(code)
//	}
//
//	func TestX(t *testing.T) {
//		p := browser.Page(t) // skips when Chromium is missing, unless VARDE_REQUIRE_BROWSER=1
//		p.Navigate(url)
//		p.Click(`[data-varde-action="accept-all"]`)
//		p.WaitRequest("pageview beacon", browsertest.Post("/api/event"))
//	}
//
// It must not download a browser of its own: nothing but the Go proxy and
// the npm registry is reachable where the tests run.
package browsertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// RequireEnv names the environment variable that turns a missing browser
// from a skip into a failure (set it to 1 in CI).
const RequireEnv = "VARDE_REQUIRE_BROWSER"

// ErrNoBrowser means Chromium is not installed and could not be installed.
var ErrNoBrowser = errors.New("browsertest: chromium not found")

// Browser is one running headless Chromium.
type Browser struct {
	ctx         context.Context // the browser's first tab; pages derive from it
	cancel      context.CancelFunc
	allocCancel context.CancelFunc
	dataDir     string
	pid         int
	agent       emulation.SetUserAgentOverrideParams // what every page presents as
}

// FindChromium returns the path of Chromium: $VARDE_CHROMIUM, else the
// first of chromium, chromium-browser, google-chrome on PATH. When none is
// there and the process runs as root with apt-get, it installs Debian's
// chromium package (apt-get update first only if the install fails).
func FindChromium() (string, error) {
	if p := os.Getenv("VARDE_CHROMIUM"); p != "" {
		return p, nil
	}
	if p, ok := lookChromium(); ok {
		return p, nil
	}
	if _, err := exec.LookPath("apt-get"); err != nil || os.Geteuid() != 0 {
		return "", fmt.Errorf("%w: install it with `apt-get install -y chromium` or set VARDE_CHROMIUM", ErrNoBrowser)
	}
	install := func(args ...string) ([]byte, error) {
		cmd := exec.Command("apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		return cmd.CombinedOutput()
	}
	if _, err := install("install", "-y", "chromium"); err != nil {
		install("update")
		if out, err := install("install", "-y", "chromium"); err != nil {
			return "", fmt.Errorf("%w: apt-get install -y chromium: %v\n%s", ErrNoBrowser, err, tail(out))
		}
	}
	if p, ok := lookChromium(); ok {
		return p, nil
	}
	return "", fmt.Errorf("%w after apt-get install -y chromium", ErrNoBrowser)
}

func lookChromium() (string, bool) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, true
		}
	}
	return "", false
}

func tail(b []byte) []byte {
	if len(b) > 2000 {
		return b[len(b)-2000:]
	}
	return b
}

// Start finds Chromium and starts it headless with a fresh temporary
// profile. Close it when done.
func Start() (*Browser, error) {
	path, err := FindChromium()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "varde-chromium-")
	if err != nil {
		return nil, fmt.Errorf("browsertest: %w", err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(dir),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-quic", true),
		// Containers have a small /dev/shm; Chromium crashes when it fills.
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.WindowSize(1280, 800),
	}
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	b := &Browser{ctx: ctx, cancel: cancel, allocCancel: allocCancel, dataDir: dir}
	// The first Do starts the browser and ties its life to the context it
	// gets, so it must get ctx itself, not a context with a timeout.
	if err := chromedp.Do(ctx); err != nil {
		b.Close()
		return nil, fmt.Errorf("browsertest: start %s: %w", path, err)
	}
	if c := chromedp.FromContext(ctx); c != nil && c.Browser != nil && c.Browser.Process() != nil {
		b.pid = c.Browser.Process().Pid
	}
	vctx, cancelVersion := context.WithTimeout(ctx, 10*time.Second)
	defer cancelVersion()
	err = chromedp.Do(vctx, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		v, err := cdp.Call(ctx, tg, cdpbrowser.GetVersion, cdp.Empty{})
		b.agent = regularChrome(v.UserAgent, v.Product)
		return err
	}))
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("browsertest: browser version: %w", err)
	}
	return b, nil
}

// UserAgent is the User-Agent header and navigator.userAgent of every page:
// the browser's own, as a regular Chrome.
func (b *Browser) UserAgent() string { return b.agent.UserAgent }

// regularChrome is the user agent override that makes headless Chromium
// look like the desktop Chrome of the same version: "HeadlessChrome" out
// of the User-Agent, and client hints (Sec-CH-UA, navigator.userAgentData)
// naming Chromium and Google Chrome. ua and product come from
// Browser.getVersion, e.g. "HeadlessChrome/156.0.8078.108".
func regularChrome(ua, product string) emulation.SetUserAgentOverrideParams {
	full := product[strings.IndexByte(product, '/')+1:]
	major, _, _ := strings.Cut(full, ".")
	brands := func(v string) []*emulation.UserAgentBrandVersion {
		return []*emulation.UserAgentBrandVersion{
			{Brand: "Chromium", Version: v}, {Brand: "Google Chrome", Version: v}, {Brand: "Not.A/Brand", Version: "99"},
		}
	}
	return emulation.SetUserAgentOverrideParams{
		UserAgent: strings.ReplaceAll(ua, "HeadlessChrome/", "Chrome/"),
		Platform:  "Linux x86_64",
		UserAgentMetadata: &emulation.UserAgentMetadata{
			Brands:          brands(major),
			FullVersionList: brands(full),
			Platform:        "Linux",
			Architecture:    "x86",
			Bitness:         "64",
		},
	}
}

// Close stops the browser: a graceful close, then SIGKILL by PID for the
// main process and for any of its children still using the profile, then
// the profile is removed.
func (b *Browser) Close() {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	chromedp.Cancel(ctx)
	cancel()
	b.cancel()
	b.allocCancel()
	if b.pid > 0 && syscall.Kill(b.pid, 0) == nil {
		syscall.Kill(b.pid, syscall.SIGKILL)
	}
	killProfileUsers(b.dataDir)
	os.RemoveAll(b.dataDir)
}

// killProfileUsers kills, by PID, the processes whose command line names
// dir as their profile: Chromium's children (zygote, renderers) can
// outlive the main process. Linux only; elsewhere it finds nothing.
func killProfileUsers(dir string) {
	want := []byte("--user-data-dir=" + dir)
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		for arg := range bytes.SplitSeq(cmdline, []byte{0}) {
			if bytes.Equal(arg, want) {
				syscall.Kill(pid, syscall.SIGKILL)
				break
			}
		}
	}
}

// Shared starts one browser for a whole test package, on first use.
// Call Close from TestMain after m.Run.
type Shared struct {
	once sync.Once
	b    *Browser
	err  error
}

// Page returns a new page in the shared browser. When Chromium is missing
// and cannot be installed, it skips t, or fails it if VARDE_REQUIRE_BROWSER=1.
func (s *Shared) Page(t testing.TB) *Page {
	t.Helper()
	s.once.Do(func() { s.b, s.err = Start() })
	if s.err != nil {
		if errors.Is(s.err, ErrNoBrowser) && os.Getenv(RequireEnv) != "1" {
			t.Skipf("browser test skipped: %v (set %s=1 to make this a failure)", s.err, RequireEnv)
		}
		t.Fatalf("browser: %v", s.err)
	}
	return s.b.NewPage(t)
}

// Close stops the shared browser if it was started.
func (s *Shared) Close() {
	if s.b != nil {
		s.b.Close()
	}
}
