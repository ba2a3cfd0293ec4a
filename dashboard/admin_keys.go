package dashboard

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/dashboard/auth"
)

type keysData struct {
	Keys     []aggregator.APIKey
	Sites    []aggregator.Site
	NewKey   string // the key just made, shown this once
	NewSite  string
	Flash    string
	Problems []string
}

func (d *Dashboard) keysPage(c *fiber.Ctx) error {
	flash := ""
	if c.Query("done") == "revoked" {
		flash = "keys.revoked"
	}
	return d.showKeys(c, http.StatusOK, keysData{Flash: flash})
}

func (d *Dashboard) showKeys(c *fiber.Ctx, status int, data keysData) error {
	sites, err := d.sites.List(c.UserContext())
	if err != nil {
		return d.fail(c, err)
	}
	data.Sites = sites
	for _, s := range sites {
		keys, err := d.keys.List(c.UserContext(), s.Domain)
		if err != nil {
			return d.fail(c, err)
		}
		data.Keys = append(data.Keys, keys...)
	}
	return d.renderNav(c, status, "keys", "keys.title", "admin-keys", data)
}

// createKey makes a stats API key and shows it in this answer only: the
// store keeps a hash of its secret, and the page is not cached.
func (d *Dashboard) createKey(c *fiber.Ctx) error {
	s, _ := current(c)
	site, err := d.sites.Get(c.UserContext(), c.FormValue("site"))
	if errors.Is(err, aggregator.ErrNotFound) {
		return d.showKeys(c, http.StatusUnprocessableEntity, keysData{Problems: []string{d.lang(c).T("keys.no_site")}})
	}
	if err != nil {
		return d.fail(c, err)
	}
	id, key, hash := auth.NewAPIKey()
	name := strings.TrimSpace(c.FormValue("name"))
	if len(name) > 200 {
		name = name[:200]
	}
	if err := d.keys.Put(c.UserContext(), aggregator.APIKey{ID: id, Site: site.Domain, Name: name, SecretHash: hash}); err != nil {
		return d.fail(c, err)
	}
	d.log.Info("admin: api key created", "admin", s.user.Email, "site", site.Domain, "key", id)
	return d.showKeys(c, http.StatusOK, keysData{NewKey: key, NewSite: site.Domain, Flash: "keys.created"})
}

func (d *Dashboard) revokeKey(c *fiber.Ctx) error {
	s, _ := current(c)
	k, err := d.keys.Get(c.UserContext(), c.FormValue("id"))
	if errors.Is(err, aggregator.ErrNotFound) {
		return d.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	if err != nil {
		return d.fail(c, err)
	}
	k.Revoked = true
	if err := d.keys.Put(c.UserContext(), k); err != nil {
		return d.fail(c, err)
	}
	d.log.Info("admin: api key revoked", "admin", s.user.Email, "site", k.Site, "key", k.ID)
	return c.Redirect("/dashboard/admin/keys?done=revoked", http.StatusSeeOther)
}
