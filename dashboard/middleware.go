package dashboard

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/dashboard/access"
	"github.com/varde/varde/dashboard/auth"
)

// contentSecurityPolicy allows scripts, styles and images from the
// dashboard itself only: no inline script, no inline style, no framing.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// headers sets the security headers on every answer under /dashboard, the
// error pages included. Pages hold private numbers: nothing is cached
// (the asset handler overrides that for its immutable files).
func (d *Dashboard) headers(c *fiber.Ctx) error {
	c.Set("Content-Security-Policy", contentSecurityPolicy)
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("X-Frame-Options", "DENY")
	// no-referrer: a shared link's token must never leave in a Referer.
	c.Set("Referrer-Policy", "no-referrer")
	c.Set("Cross-Origin-Opener-Policy", "same-origin")
	c.Set("Cross-Origin-Resource-Policy", "same-origin")
	c.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
	c.Set("X-Robots-Tag", "noindex, nofollow")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Next()
}

// Cookie names.
const (
	sessionCookie = "varde_session"
	// preCSRFCookie carries the CSRF token of forms shown before sign-in
	// (the sign-in form itself, the language switch): double submit.
	preCSRFCookie = "varde_csrf"
	langCookie    = "varde_lang"
)

// signedIn is the account behind a request's session cookie.
type signedIn struct {
	session access.Session
	user    aggregator.User
}

const localUser = "dashboard.user"

// identify looks up the session cookie, if any, and remembers the account
// for the handlers. A session whose account is gone counts as none.
func (d *Dashboard) identify(c *fiber.Ctx) error {
	s, ok, err := d.lookup(c)
	if err != nil {
		return d.fail(c, err)
	}
	if ok {
		c.Locals(localUser, s)
	}
	return c.Next()
}

// lookup finds the account of the request's session cookie.
func (d *Dashboard) lookup(c *fiber.Ctx) (signedIn, bool, error) {
	secret := c.Cookies(sessionCookie)
	if secret == "" {
		return signedIn{}, false, nil
	}
	if s, ok := d.cache.Get(secret); ok {
		return s, true, nil
	}
	sess, err := d.sessions.Get(c.UserContext(), secret, d.opts.Now())
	if errors.Is(err, access.ErrNotFound) {
		return signedIn{}, false, nil
	}
	if err != nil {
		return signedIn{}, false, err
	}
	u, err := d.users.Get(c.UserContext(), sess.Email)
	if errors.Is(err, aggregator.ErrNotFound) {
		return signedIn{}, false, nil
	}
	if err != nil {
		return signedIn{}, false, err
	}
	s := signedIn{session: sess, user: u}
	d.cache.Add(secret, s)
	return s, true, nil
}

// SessionSite tells the stats API (dashboard/statsapi's Options.SessionSite)
// whether the request carries a dashboard session, and whether its account
// may query site. The session cookie is SameSite=Lax, so another site's
// page cannot make a browser send it with a POST.
func (d *Dashboard) SessionSite(c *fiber.Ctx, site string) (allowed, authenticated bool) {
	s, ok, err := d.lookup(c)
	if err != nil {
		d.log.Error("dashboard: session lookup for the stats API", "err", err)
		return false, false
	}
	if !ok {
		return false, false
	}
	return canSee(s.user, strings.ToLower(site)), true
}

func current(c *fiber.Ctx) (signedIn, bool) {
	s, ok := c.Locals(localUser).(signedIn)
	return s, ok
}

// requireUser sends a request without a session to the sign-in page,
// which brings the visitor back afterwards.
func (d *Dashboard) requireUser(c *fiber.Ctx) error {
	if _, ok := current(c); ok {
		return c.Next()
	}
	if c.Method() != http.MethodGet && c.Method() != http.MethodHead {
		return d.errorPage(c, http.StatusForbidden, "error.signed_out")
	}
	return c.Redirect("/dashboard/login?next="+url.QueryEscape(string(c.Request().RequestURI())), http.StatusSeeOther)
}

// requireAdmin answers 403 to everyone but admins.
func (d *Dashboard) requireAdmin(c *fiber.Ctx) error {
	s, _ := current(c)
	if s.user.Role != aggregator.RoleAdmin {
		return d.errorPage(c, http.StatusForbidden, "error.forbidden")
	}
	return c.Next()
}

// canSee reports whether the account may see the site's numbers.
func canSee(u aggregator.User, site string) bool {
	return u.Role == aggregator.RoleAdmin || slices.Contains(u.Sites, site)
}

// checkCSRF is the one CSRF check: every request that is not a GET or HEAD
// must carry the synchronizer token of its session (as the _csrf form
// field or an X-CSRF-Token header), or, before sign-in, the token of the
// pre-session cookie. SameSite=Lax on the session cookie is a second line.
func (d *Dashboard) checkCSRF(c *fiber.Ctx) error {
	switch c.Method() {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return c.Next()
	}
	want := c.Cookies(preCSRFCookie)
	if s, ok := current(c); ok {
		want = s.session.CSRF
	}
	got := c.FormValue("_csrf")
	if got == "" {
		got = c.Get("X-CSRF-Token")
	}
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return d.errorPage(c, http.StatusForbidden, "error.csrf")
	}
	return c.Next()
}

// csrfToken is the token the page's forms carry; before sign-in it sets
// the pre-session cookie when the browser has none.
func (d *Dashboard) csrfToken(c *fiber.Ctx) string {
	if s, ok := current(c); ok {
		return s.session.CSRF
	}
	if t := c.Cookies(preCSRFCookie); len(t) >= 32 {
		return t
	}
	t := auth.NewSecret()
	c.Cookie(&fiber.Cookie{
		Name: preCSRFCookie, Value: t, Path: "/dashboard", HTTPOnly: true,
		Secure: d.opts.Secure, SameSite: fiber.CookieSameSiteStrictMode,
	})
	return t
}

// localPath returns next when it is a path on the dashboard, else the
// dashboard's start: a sign-in must never send anyone elsewhere.
func localPath(next string) string {
	if strings.HasPrefix(next, "/dashboard") && !strings.HasPrefix(next, "//") &&
		!strings.ContainsAny(next, "\\\r\n") && !strings.HasPrefix(next, "/dashboard/login") {
		return next
	}
	return "/dashboard"
}

func (d *Dashboard) notFound(c *fiber.Ctx) error {
	return d.errorPage(c, http.StatusNotFound, "error.not_found")
}
