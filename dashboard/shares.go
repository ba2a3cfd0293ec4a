package dashboard

import (
	"errors"
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/dashboard/access"
)

// sharedSite resolves a shared link's token to its site. An unknown or
// revoked token is a plain 404.
// When ok is false the answer is written, and err is what to return.
func (d *Dashboard) sharedSite(c *fiber.Ctx) (site aggregator.Site, base string, ok bool, err error) {
	token := c.Params("token")
	sh, err := d.shares.Lookup(c.UserContext(), token)
	if errors.Is(err, access.ErrNotFound) {
		return site, "", false, d.errorPage(c, http.StatusNotFound, "error.share_gone")
	}
	if err != nil {
		return site, "", false, d.fail(c, err)
	}
	site, err = d.sites.Get(c.UserContext(), sh.Site)
	if errors.Is(err, aggregator.ErrNotFound) {
		return site, "", false, d.errorPage(c, http.StatusNotFound, "error.share_gone")
	}
	if err != nil {
		return site, "", false, d.fail(c, err)
	}
	return site, "/dashboard/share/" + token, true, nil
}

// sharedOverview is /dashboard/share/{token}: the site's overview, read
// only, for anyone with the link: no settings, no other sites, no account.
func (d *Dashboard) sharedOverview(c *fiber.Ctx) error {
	site, base, ok, err := d.sharedSite(c)
	if !ok {
		return err
	}
	data := d.buildOverview(c.UserContext(), site, d.parseViewOf(c, site), d.lang(c), base)
	data.Shared = true
	return d.renderShared(c, data)
}

func (d *Dashboard) sharedExport(c *fiber.Ctx) error {
	site, _, ok, err := d.sharedSite(c)
	if !ok {
		return err
	}
	return d.writeCSV(c, site)
}

// renderShared renders the overview as a visitor without an account sees
// it, even when the browser happens to be signed in: the page shows the
// link's site and nothing of the account.
func (d *Dashboard) renderShared(c *fiber.Ctx, data overviewData) error {
	t := d.pages["overview"]
	p := d.pageFor(c, "overview.title", data)
	p.User = nil
	return d.execute(c, http.StatusOK, t, p)
}

type shareCreated struct {
	URL string
}

// createShare makes a shared link of the site (admins only) and shows it
// once, on the settings page.
func (d *Dashboard) createShare(c *fiber.Ctx) error {
	site, ok, err := d.adminSite(c)
	if !ok {
		return err
	}
	s, _ := current(c)
	token, sh, err := d.shares.Create(c.UserContext(), site.Domain, s.user.Email, d.opts.Now())
	if err != nil {
		return d.fail(c, err)
	}
	d.log.Info("admin: shared link created", "admin", s.user.Email, "site", site.Domain, "link", sh.ID)
	return d.showSettings(c, site, settingsState{NewShare: "/dashboard/share/" + token, Flash: "settings.share_created"}, http.StatusOK)
}

func (d *Dashboard) revokeShare(c *fiber.Ctx) error {
	site, ok, err := d.adminSite(c)
	if !ok {
		return err
	}
	s, _ := current(c)
	id := c.FormValue("id")
	err = d.shares.Revoke(c.UserContext(), site.Domain, id)
	if errors.Is(err, access.ErrNotFound) {
		return d.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	if err != nil {
		return d.fail(c, err)
	}
	d.log.Info("admin: shared link revoked", "admin", s.user.Email, "site", site.Domain, "link", id)
	return c.Redirect("/dashboard/"+site.Domain+"/settings?saved=share_revoked#shares", http.StatusSeeOther)
}
