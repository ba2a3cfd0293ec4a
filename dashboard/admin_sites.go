package dashboard

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/varde/varde/aggregator"
)

type adminSitesData struct {
	Sites     []aggregator.Site
	Timezones []string
	Flash     string
	Problems  []string
	Form      aggregator.Site
}

func (d *Dashboard) adminSitesPage(c *fiber.Ctx) error {
	flash := ""
	if c.Query("done") == "created" {
		flash = "admin_sites.created"
	}
	form := aggregator.NewSite("")
	form.Timezone = "Europe/Oslo"
	return d.showAdminSites(c, http.StatusOK, flash, nil, form)
}

func (d *Dashboard) showAdminSites(c *fiber.Ctx, status int, flash string, problems []string, form aggregator.Site) error {
	sites, err := d.sites.List(c.UserContext())
	if err != nil {
		return d.fail(c, err)
	}
	data := adminSitesData{Sites: sites, Timezones: commonTimezones, Flash: flash, Problems: problems, Form: form}
	return d.renderNav(c, status, "adminsites", "admin_sites.title", "admin-sites", data)
}

func (d *Dashboard) createSite(c *fiber.Ctx) error {
	s, _ := current(c)
	site := aggregator.NewSite(strings.TrimSpace(c.FormValue("domain")))
	if n := strings.TrimSpace(c.FormValue("name")); n != "" {
		site.Name = n
	}
	site.Timezone = strings.TrimSpace(c.FormValue("timezone"))
	site.Geo = c.FormValue("geo")
	var problems []string
	if k, err := strconv.Atoi(c.FormValue("k")); err == nil {
		site.K = k
	} else {
		problems = append(problems, "k must be a whole number")
	}
	if _, err := d.sites.Get(c.UserContext(), site.Domain); err == nil {
		problems = append(problems, d.lang(c).T("admin_sites.exists", site.Domain))
	} else if !errors.Is(err, aggregator.ErrNotFound) {
		return d.fail(c, err)
	}
	if err := site.Validate(); err != nil {
		problems = append(problems, strings.Split(err.Error(), "; ")...)
	}
	if len(problems) > 0 {
		return d.showAdminSites(c, http.StatusUnprocessableEntity, "", problems, site)
	}
	if err := d.sites.Put(c.UserContext(), site); err != nil {
		return d.fail(c, err)
	}
	d.log.Info("admin: site created", "admin", s.user.Email, "site", site.Domain)
	return c.Redirect("/dashboard/admin/sites?done=created", http.StatusSeeOther)
}
