package dashboard

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/consent"
	"github.com/varde/varde/dashboard/access"
)

// adminSite is siteFor for pages only admins may use: a viewer who may
// see the site gets 403, one who may not gets 404, as for any other site.
func (d *Dashboard) adminSite(c *fiber.Ctx) (aggregator.Site, bool, error) {
	site, ok, err := d.siteFor(c)
	if !ok {
		return site, false, err
	}
	if s, _ := current(c); s.user.Role != aggregator.RoleAdmin {
		return site, false, d.errorPage(c, http.StatusForbidden, "error.forbidden")
	}
	return site, true, nil
}

// settingsData is the settings page of one site. Banner texts, category
// labels and descriptions are edited one language at a time (Lang).
type settingsData struct {
	Site       aggregator.Site
	Lang       string
	Langs      []string
	Texts      []textField
	Categories []categoryForm
	Timezones  []string
	QueryAllow string
	Shares     []access.Share
	NewShare   string // a link just made, shown once
	Flash      string
	Problems   []string
	Snippet    string
}

type textField struct {
	Key, Value, Default string
	Long                bool
}

type categoryForm struct {
	Index       int
	Name        string
	Required    bool
	Builtin     bool
	Label       string
	Description string
	DefLabel    string
	DefDesc     string
	Services    []serviceForm
}

type serviceForm struct {
	Index       int
	Name        string
	Description string
	Cookies     []cookieForm
}

type cookieForm struct {
	Index                           int
	Name, Domain, Duration, Purpose string
}

type settingsState struct {
	Lang     string
	NewShare string
	Flash    string
	Problems []string
}

// longTexts are the banner texts edited in a text area.
var longTexts = []string{"body", "settings_body", "gpc_notice", "withdrawn"}

// commonTimezones fill the time zone field's suggestions.
var commonTimezones = []string{"Europe/Oslo", "Europe/Stockholm", "Europe/Copenhagen", "Europe/Helsinki",
	"Europe/Berlin", "Europe/London", "Europe/Paris", "Europe/Amsterdam", "Atlantic/Reykjavik", "UTC",
	"America/New_York", "America/Chicago", "America/Los_Angeles", "Asia/Tokyo", "Australia/Sydney"}

func (d *Dashboard) settingsPage(c *fiber.Ctx) error {
	site, ok, err := d.adminSite(c)
	if !ok {
		return err
	}
	st := settingsState{Lang: c.Query("lang")}
	if saved := c.Query("saved"); saved != "" {
		st.Flash = "settings.saved"
		if saved == "share_revoked" {
			st.Flash = "settings.share_revoked"
		}
	}
	return d.showSettings(c, site, st, http.StatusOK)
}

func (d *Dashboard) showSettings(c *fiber.Ctx, site aggregator.Site, st settingsState, status int) error {
	lang := st.Lang
	if !slices.Contains(consent.Languages(), lang) {
		lang = site.Banner.DefaultLang
	}
	shares, err := d.shares.List(c.UserContext(), site.Domain)
	if err != nil {
		return d.fail(c, err)
	}
	data := settingsData{
		Site: site, Lang: lang, Langs: consent.Languages(), Timezones: commonTimezones,
		QueryAllow: strings.Join(site.QueryAllow, ", "), Shares: shares, NewShare: st.NewShare,
		Flash: st.Flash, Problems: st.Problems,
		Snippet: `<script src="https://YOUR-VARDE-HOST/varde.js" data-site="` + site.Domain + `" defer></script>`,
	}
	defaults := consent.DefaultConfig().Localized(lang)
	for _, key := range consent.TextKeys() {
		data.Texts = append(data.Texts, textField{
			Key: key, Value: site.Banner.Texts[lang][key], Default: defaults.Texts[key], Long: slices.Contains(longTexts, key),
		})
	}
	for i, cat := range site.Banner.Categories {
		cf := categoryForm{
			Index: i, Name: cat.Name, Required: cat.Required,
			Label: cat.Label[lang], Description: cat.Description[lang],
		}
		for _, dc := range defaults.Categories {
			if dc.Name == cat.Name {
				cf.Builtin, cf.DefLabel, cf.DefDesc = true, dc.Label, dc.Description
			}
		}
		if !cf.Builtin {
			cf.DefLabel = cat.Label.In(lang, site.Banner.DefaultLang)
			cf.DefDesc = cat.Description.In(lang, site.Banner.DefaultLang)
		}
		for j, svc := range cat.Services {
			sf := serviceForm{Index: j, Name: svc.Name, Description: svc.Description.In(lang, "")}
			for k, ck := range svc.Cookies {
				sf.Cookies = append(sf.Cookies, cookieForm{Index: k, Name: ck.Name, Domain: ck.Domain,
					Duration: ck.Duration.In(lang, ""), Purpose: ck.Purpose.In(lang, "")})
			}
			cf.Services = append(cf.Services, sf)
		}
		data.Categories = append(data.Categories, cf)
	}
	return d.renderNav(c, status, "settings", "settings.title", "sites", data)
}

// saveSettings takes one section of the settings page. An invalid change
// is shown again with every problem listed, and nothing is saved.
func (d *Dashboard) saveSettings(c *fiber.Ctx) error {
	site, ok, err := d.adminSite(c)
	if !ok {
		return err
	}
	s, _ := current(c)
	section := c.FormValue("section")
	lang := c.FormValue("lang")
	if !slices.Contains(consent.Languages(), lang) {
		lang = site.Banner.DefaultLang
	}
	before := site.Banner.Revision
	var problems []string
	switch section {
	case "site":
		problems = formSite(c, &site)
	case "banner":
		problems = formBanner(c, &site.Banner)
	case "texts":
		formTexts(c, &site.Banner, lang)
	case "categories":
		problems = formCategories(c, &site.Banner, lang)
	case "revision":
		site.Banner.Revision++
	default:
		return d.errorPage(c, http.StatusBadRequest, "settings.unknown_section")
	}
	if len(problems) == 0 {
		if err := site.Validate(); err != nil {
			problems = strings.Split(err.Error(), "; ")
		}
	}
	if len(problems) > 0 {
		return d.showSettings(c, site, settingsState{Lang: lang, Problems: problems}, http.StatusUnprocessableEntity)
	}
	if err := d.sites.Put(c.UserContext(), site); err != nil {
		return d.fail(c, err)
	}
	if section == "revision" {
		d.log.Info("admin: banner revision raised", "admin", s.user.Email, "site", site.Domain, "from", before, "to", site.Banner.Revision)
	} else {
		d.log.Info("admin: site settings changed", "admin", s.user.Email, "site", site.Domain, "section", section)
	}
	return c.Redirect("/dashboard/"+site.Domain+"/settings?lang="+lang+"&saved="+section+"#"+section, http.StatusSeeOther)
}

func formInt(c *fiber.Ctx, name string, dst *int, problems *[]string, label string) {
	v := strings.TrimSpace(c.FormValue(name))
	n, err := strconv.Atoi(v)
	if err != nil {
		*problems = append(*problems, label+" must be a whole number, not "+strconv.Quote(v))
		return
	}
	*dst = n
}

func formSite(c *fiber.Ctx, site *aggregator.Site) []string {
	var p []string
	site.Name = strings.TrimSpace(c.FormValue("name"))
	if site.Name == "" {
		site.Name = site.Domain
	}
	site.Timezone = strings.TrimSpace(c.FormValue("timezone"))
	formInt(c, "k", &site.K, &p, "k")
	formInt(c, "retention_days", &site.RetentionDays, &p, "retention")
	formInt(c, "consent_retention_days", &site.ConsentRetentionDays, &p, "consent retention")
	site.Geo = c.FormValue("geo")
	site.QueryAllow = []string{}
	for _, q := range strings.FieldsFunc(c.FormValue("query_allow"), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' }) {
		if !slices.Contains(site.QueryAllow, q) {
			site.QueryAllow = append(site.QueryAllow, q)
		}
	}
	return p
}

func formBanner(c *fiber.Ctx, b *consent.Config) []string {
	var p []string
	b.PolicyURL = strings.TrimSpace(c.FormValue("policy_url"))
	formInt(c, "lifetime_days", &b.LifetimeDays, &p, "lifetime_days")
	b.DefaultLang = c.FormValue("default_lang")
	b.FloatingButton = c.FormValue("floating_button") == "on"
	b.ReloadOnWithdraw = c.FormValue("reload_on_withdraw") == "on"
	b.HashRouting = c.FormValue("hash_routing") == "on"
	b.TrackOutbound = c.FormValue("track_outbound") == "on"
	b.TrackDownloads = c.FormValue("track_downloads") == "on"
	return p
}

// formTexts sets the overrides of one language; an empty field means the
// built-in text.
func formTexts(c *fiber.Ctx, b *consent.Config, lang string) {
	texts := map[string]string{}
	for _, key := range consent.TextKeys() {
		if v := strings.TrimSpace(c.FormValue("text." + key)); v != "" {
			texts[key] = v
		}
	}
	all := map[string]map[string]string{}
	for l, t := range b.Texts {
		all[l] = t
	}
	if len(texts) == 0 {
		delete(all, lang)
	} else {
		all[lang] = texts
	}
	if len(all) == 0 {
		all = nil
	}
	b.Texts = all
}

// setText sets one language of a text; "" removes it.
func setText(t consent.Text, lang, v string) consent.Text {
	v = strings.TrimSpace(v)
	out := consent.Text{}
	for k, s := range t {
		out[k] = s
	}
	if v == "" {
		delete(out, lang)
	} else {
		out[lang] = v
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// formCategories reads the categories, their services and cookies, in
// lang. Each list ends with an empty row to add one; a ticked "remove"
// drops an entry (necessary cannot be removed).
func formCategories(c *fiber.Ctx, b *consent.Config, lang string) []string {
	var p []string
	var cats []consent.Category
	for i, cat := range b.Categories {
		key := "cat." + strconv.Itoa(i)
		if c.FormValue(key+".remove") == "on" && !cat.Required {
			continue
		}
		cat.Label = setText(cat.Label, lang, c.FormValue(key+".label"))
		cat.Description = setText(cat.Description, lang, c.FormValue(key+".description"))
		var svcs []consent.Service
		for j, svc := range cat.Services {
			sk := key + ".svc." + strconv.Itoa(j)
			if c.FormValue(sk+".remove") == "on" {
				continue
			}
			svc.Name = strings.TrimSpace(c.FormValue(sk + ".name"))
			svc.Description = setText(svc.Description, lang, c.FormValue(sk+".description"))
			var cks []consent.Cookie
			for k, ck := range svc.Cookies {
				ckk := sk + ".ck." + strconv.Itoa(k)
				if c.FormValue(ckk+".remove") == "on" {
					continue
				}
				ck.Name = strings.TrimSpace(c.FormValue(ckk + ".name"))
				ck.Domain = strings.TrimSpace(c.FormValue(ckk + ".domain"))
				ck.Duration = setText(ck.Duration, lang, c.FormValue(ckk+".duration"))
				ck.Purpose = setText(ck.Purpose, lang, c.FormValue(ckk+".purpose"))
				cks = append(cks, ck)
			}
			if n := strings.TrimSpace(c.FormValue(sk + ".ck.new.name")); n != "" {
				cks = append(cks, consent.Cookie{
					Name: n, Domain: strings.TrimSpace(c.FormValue(sk + ".ck.new.domain")),
					Duration: setText(nil, lang, c.FormValue(sk+".ck.new.duration")),
					Purpose:  setText(nil, lang, c.FormValue(sk+".ck.new.purpose")),
				})
			}
			svc.Cookies = cks
			svcs = append(svcs, svc)
		}
		if n := strings.TrimSpace(c.FormValue(key + ".svc.new.name")); n != "" {
			svcs = append(svcs, consent.Service{Name: n, Description: setText(nil, lang, c.FormValue(key+".svc.new.description"))})
		}
		cat.Services = svcs
		cats = append(cats, cat)
	}
	if n := strings.TrimSpace(c.FormValue("cat.new.name")); n != "" {
		for _, cat := range cats {
			if cat.Name == n {
				p = append(p, "a category named "+strconv.Quote(n)+" exists already")
			}
		}
		cats = append(cats, consent.Category{
			Name:        n,
			Label:       setText(nil, lang, c.FormValue("cat.new.label")),
			Description: setText(nil, lang, c.FormValue("cat.new.description")),
		})
	}
	b.Categories = cats
	return p
}
