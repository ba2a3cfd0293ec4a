package dashboard

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/dashboard/i18n"
)

//go:embed templates/*.html
var templateFiles embed.FS

// page is what every template gets: the language, the account (nil before
// sign-in and on shared links), the CSRF token for its forms, and the
// page's own data.
type page struct {
	L      i18n.Lang
	Title  string
	User   *aggregator.User
	CSRF   string
	Path   string // this page's path and query, for the language switch
	Assets *assets
	Nav    string // the section of the header to mark as current
	Data   any
}

// IsAdmin is for templates.
func (p page) IsAdmin() bool { return p.User != nil && p.User.Role == aggregator.RoleAdmin }

// parseTemplates reads templates/*.html: _*.html are partials every page
// may use, each other file a page that defines "content" inside the
// layout.
func parseTemplates() map[string]*template.Template {
	sub, err := fs.Sub(templateFiles, "templates")
	if err != nil {
		panic(err)
	}
	base := template.Must(template.New("").Funcs(funcs).ParseFS(sub, "_*.html"))
	names, err := fs.Glob(sub, "*.html")
	if err != nil {
		panic(err)
	}
	pages := map[string]*template.Template{}
	for _, name := range names {
		if strings.HasPrefix(name, "_") {
			continue
		}
		t := template.Must(template.Must(base.Clone()).ParseFS(sub, name))
		pages[strings.TrimSuffix(name, ".html")] = t
	}
	return pages
}

// render writes the page in the request's language with status.
func (d *Dashboard) render(c *fiber.Ctx, status int, name, titleKey string, data any) error {
	return d.renderNav(c, status, name, titleKey, "", data)
}

// renderNav is render with a section of the header marked as current.
func (d *Dashboard) renderNav(c *fiber.Ctx, status int, name, titleKey, nav string, data any) error {
	t, ok := d.pages[name]
	if !ok {
		return d.fail(c, errUnknownTemplate(name))
	}
	p := d.pageFor(c, titleKey, data)
	p.Nav = nav
	return d.execute(c, status, t, p)
}

func (d *Dashboard) execute(c *fiber.Ctx, status int, t *template.Template, p page) error {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return d.fail(c, err)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(status).Send(buf.Bytes())
}

func (d *Dashboard) pageFor(c *fiber.Ctx, titleKey string, data any) page {
	l := d.lang(c)
	p := page{L: l, Title: l.T(titleKey), CSRF: d.csrfToken(c), Path: string(c.Request().RequestURI()), Assets: d.assets, Data: data}
	if s, ok := current(c); ok {
		u := s.user
		p.User = &u
	}
	return p
}

func (d *Dashboard) lang(c *fiber.Ctx) i18n.Lang {
	return i18n.Pick(c.Cookies(langCookie), c.Get(fiber.HeaderAcceptLanguage))
}

type errorData struct {
	Status  int
	Message string
}

// errorPage answers with a page that says what went wrong, in a sentence
// from the catalog.
func (d *Dashboard) errorPage(c *fiber.Ctx, status int, msgKey string) error {
	l := d.lang(c)
	return d.render(c, status, "error", "error.title", errorData{Status: status, Message: l.T(msgKey)})
}

// fail logs an unexpected error and answers 500 without its details.
func (d *Dashboard) fail(c *fiber.Ctx, err error) error {
	d.log.Error("dashboard: request failed", "method", c.Method(), "path", c.Route().Path, "err", err)
	t, ok := d.pages["error"]
	if !ok {
		return c.Status(http.StatusInternalServerError).SendString("internal error")
	}
	p := d.pageFor(c, "error.title", errorData{Status: http.StatusInternalServerError, Message: d.lang(c).T("error.internal")})
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return c.Status(http.StatusInternalServerError).SendString("internal error")
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(http.StatusInternalServerError).Send(buf.Bytes())
}

type errUnknownTemplate string

func (e errUnknownTemplate) Error() string { return "dashboard: no template " + string(e) }
