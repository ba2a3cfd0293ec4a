package dashboard

import (
	"context"
	"net/http"
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/varde/varde/aggregator"
)

type siteListData struct {
	Sites []siteSummary
}

type siteSummary struct {
	Site     aggregator.Site
	Visitors string // last 30 days, "–" when unknown
}

// siteList is /dashboard: the sites the account may see, with their
// visitors of the last 30 days. One site only: straight to it.
func (d *Dashboard) siteList(c *fiber.Ctx) error {
	s, _ := current(c)
	all, err := d.sites.List(c.UserContext())
	if err != nil {
		return d.fail(c, err)
	}
	var mine []aggregator.Site
	for _, site := range all {
		if canSee(s.user, site.Domain) {
			mine = append(mine, site)
		}
	}
	if len(mine) == 1 && s.user.Role != aggregator.RoleAdmin {
		return c.Redirect("/dashboard/"+mine[0].Domain, http.StatusSeeOther)
	}
	l := d.lang(c)
	data := siteListData{Sites: make([]siteSummary, len(mine))}
	var wg sync.WaitGroup
	for i, site := range mine {
		data.Sites[i] = siteSummary{Site: site, Visitors: "–"}
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(c.UserContext(), d.opts.PanelTimeout)
			defer cancel()
			v := parseView(nil, site.Location(), d.opts.Now())
			t, err := d.query(ctx, site, request{metrics: []string{"visitors"}, from: v.From, to: v.To})
			if err == nil && len(t.rows) > 0 && len(t.rows[0].vals) > 0 {
				data.Sites[i].Visitors = l.Int(int64(t.rows[0].vals[0]))
			} else if err == nil && t.withheld {
				data.Sites[i].Visitors = l.T("sites.few", site.K)
			} else if err == nil {
				data.Sites[i].Visitors = l.Int(0)
			}
		})
	}
	wg.Wait()
	p := "sites"
	return d.renderNav(c, http.StatusOK, "sites", "sites.title", p, data)
}
