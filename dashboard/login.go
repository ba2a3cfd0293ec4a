package dashboard

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/dashboard/access"
	"github.com/varde/varde/dashboard/auth"
)

type loginData struct {
	Email string
	Next  string
	Error string
}

func (d *Dashboard) loginPage(c *fiber.Ctx) error {
	if _, ok := current(c); ok {
		return c.Redirect(localPath(c.Query("next")), http.StatusSeeOther)
	}
	return d.render(c, http.StatusOK, "login", "login.title", loginData{Next: localPath(c.Query("next"))})
}

// login checks an email and password. Unknown accounts and wrong passwords
// get the same answer, in about the same time; failures count against the
// account (in the store, so across nodes) and against the client (in this
// node's memory), and too many lock either out for a while. Attempts made
// while locked out are not even checked.
func (d *Dashboard) login(c *fiber.Ctx) error {
	ctx := c.UserContext()
	now := d.opts.Now()
	email := strings.ToLower(strings.TrimSpace(c.FormValue("email")))
	password := c.FormValue("password")
	data := loginData{Email: email, Next: localPath(c.FormValue("next"))}
	client := d.opts.ClientIP(c)

	if d.clients.locked(client, now) {
		data.Error = "login.locked"
		return d.render(c, http.StatusTooManyRequests, "login", "login.title", data)
	}
	if email == "" || password == "" {
		data.Error = "login.failed"
		return d.render(c, http.StatusUnauthorized, "login", "login.title", data)
	}
	until, err := d.attempts.LockedUntil(ctx, d.opts.Lockout, email, now)
	if err != nil {
		return d.fail(c, err)
	}
	if !until.IsZero() {
		data.Error = "login.locked"
		return d.render(c, http.StatusTooManyRequests, "login", "login.title", data)
	}

	u, err := d.users.Get(ctx, email)
	ok := false
	switch {
	case errors.Is(err, aggregator.ErrNotFound):
		// Spend the time a real check takes, so that timing does not tell
		// which accounts exist.
		auth.CheckPassword(d.dummy(), password)
	case err != nil:
		return d.fail(c, err)
	default:
		ok, err = auth.CheckPassword(u.PasswordHash, password)
		if err != nil {
			d.log.Error("dashboard: a stored password hash is unreadable; reset that password", "err", err)
			ok = false
		}
	}
	if err := d.attempts.Record(ctx, email, ok, now); err != nil {
		return d.fail(c, err)
	}
	if !ok {
		d.clients.fail(client, now)
		data.Error = "login.failed"
		return d.render(c, http.StatusUnauthorized, "login", "login.title", data)
	}

	// A new session at every sign-in: a session id planted before sign-in
	// is never promoted.
	secret, sess, err := d.sessions.Create(ctx, u.Email, now, d.opts.SessionLifetime)
	if err != nil {
		return d.fail(c, err)
	}
	c.Cookie(&fiber.Cookie{
		Name: sessionCookie, Value: secret, Path: "/", Expires: sess.ExpiresAt,
		HTTPOnly: true, Secure: d.opts.Secure, SameSite: fiber.CookieSameSiteLaxMode,
	})
	return c.Redirect(data.Next, http.StatusSeeOther)
}

func (d *Dashboard) logout(c *fiber.Ctx) error {
	if s, ok := current(c); ok {
		if err := d.sessions.Revoke(c.UserContext(), s.session); err != nil {
			return d.fail(c, err)
		}
	}
	d.cache.Remove(c.Cookies(sessionCookie))
	c.Cookie(&fiber.Cookie{
		Name: sessionCookie, Value: "", Path: "/", Expires: time.Unix(1, 0), MaxAge: -1,
		HTTPOnly: true, Secure: d.opts.Secure, SameSite: fiber.CookieSameSiteLaxMode,
	})
	return c.Redirect("/dashboard/login", http.StatusSeeOther)
}

// setLang remembers the visitor's choice of language for a year.
func (d *Dashboard) setLang(c *fiber.Ctx) error {
	lang := c.FormValue("lang")
	if lang != "nb" && lang != "en" {
		lang = ""
	}
	c.Cookie(&fiber.Cookie{
		Name: langCookie, Value: lang, Path: "/dashboard", MaxAge: 365 * 24 * 3600,
		Secure: d.opts.Secure, SameSite: fiber.CookieSameSiteLaxMode, HTTPOnly: true,
	})
	return c.Redirect(localPath(c.FormValue("next")), http.StatusSeeOther)
}

// dummy is a hash to check passwords of unknown accounts against.
func (d *Dashboard) dummy() string {
	d.dummyOnce.Do(func() {
		d.dummyHash, _ = auth.HashPassword(auth.NewSecret())
	})
	return d.dummyHash
}

// clientLimiter counts failed sign-ins per client in memory. The client
// key (an IP address) lives here only: it is never stored or logged.
type clientLimiter struct {
	rule access.Lockout
	mu   sync.Mutex
	seen *lru.Cache[string, []access.Attempt]
}

func newClientLimiter(rule access.Lockout) *clientLimiter {
	c, _ := lru.New[string, []access.Attempt](65536)
	return &clientLimiter{rule: rule, seen: c}
}

func (l *clientLimiter) fail(client string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	prev, _ := l.seen.Get(client)
	keep := prev[:0:0]
	for _, a := range prev {
		if now.Sub(a.Time) < l.rule.Window+l.rule.Duration {
			keep = append(keep, a)
		}
	}
	l.seen.Add(client, append(keep, access.Attempt{Time: now}))
}

func (l *clientLimiter) locked(client string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	prev, _ := l.seen.Get(client)
	return l.rule.LockedUntil(prev).After(now)
}
