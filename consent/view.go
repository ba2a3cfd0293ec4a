package consent

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
)

// BannerView is the body of GET /api/banner/{site}?lang=: the site's
// configuration with every text resolved for one language.
//
//	{"revision":3,"lang":"nb","policy_url":"https://example.com/personvern",
//	 "lifetime_days":182,"floating_button":true,"reload_on_withdraw":false,
//	 "hash_routing":false,"track_outbound":false,"track_downloads":false,
//	 "categories":[{"name":"necessary","required":true,"label":"Nødvendige",
//	   "description":"...","services":[{"name":"Varde","description":"...",
//	   "cookies":[{"name":"varde_consent","domain":"","duration":"6 måneder",
//	   "purpose":"..."}]}]}, ...],
//	 "texts":{"title":"...","body":"...", ...every key of TextKeys}}
type BannerView struct {
	Revision         int               `json:"revision"`
	Lang             string            `json:"lang"`
	PolicyURL        string            `json:"policy_url"`
	LifetimeDays     int               `json:"lifetime_days"`
	FloatingButton   bool              `json:"floating_button"`
	ReloadOnWithdraw bool              `json:"reload_on_withdraw"`
	HashRouting      bool              `json:"hash_routing"`
	TrackOutbound    bool              `json:"track_outbound"`
	TrackDownloads   bool              `json:"track_downloads"`
	Categories       []CategoryView    `json:"categories"`
	Texts            map[string]string `json:"texts"`
}

// CategoryView is a category with its texts in the view's language.
type CategoryView struct {
	Name        string        `json:"name"`
	Required    bool          `json:"required"`
	Label       string        `json:"label"`
	Description string        `json:"description"`
	Services    []ServiceView `json:"services"`
}

// ServiceView is a service with its texts in the view's language.
type ServiceView struct {
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Cookies     []CookieView `json:"cookies"`
}

// CookieView is a cookie with its texts in the view's language.
type CookieView struct {
	Name     string `json:"name"`
	Domain   string `json:"domain"`
	Duration string `json:"duration"`
	Purpose  string `json:"purpose"`
}

// Localized returns the banner payload in lang: built-in texts overlaid
// with the site's overrides for lang. An unsupported lang falls back to the
// site's default language, so callers may pass ResolveLang's answer or a
// raw query parameter. Texts the site gives only in its default language
// (or for every language) are used where lang has none.
func (c Config) Localized(lang string) BannerView {
	if !supportedLang(lang) {
		lang = c.DefaultLang
		if !supportedLang(lang) {
			lang = DefaultLang
		}
	}
	texts := make(map[string]string, len(textKeys))
	for _, key := range textKeys {
		texts[key] = builtin[lang].Texts[key]
		if s := c.Texts[lang][key]; s != "" {
			texts[key] = s
		}
	}
	v := BannerView{
		Revision:         c.Revision,
		Lang:             lang,
		PolicyURL:        c.PolicyURL,
		LifetimeDays:     c.LifetimeDays,
		FloatingButton:   c.FloatingButton,
		ReloadOnWithdraw: c.ReloadOnWithdraw,
		HashRouting:      c.HashRouting,
		TrackOutbound:    c.TrackOutbound,
		TrackDownloads:   c.TrackDownloads,
		Categories:       make([]CategoryView, 0, len(c.Categories)),
		Texts:            texts,
	}
	in := func(t Text) string { return t.In(lang, c.DefaultLang) }
	for _, cat := range c.Categories {
		def := builtin[lang].Categories[cat.Name]
		cv := CategoryView{
			Name:        cat.Name,
			Required:    cat.Name == Necessary,
			Label:       orDefault(in(cat.Label), def.Label),
			Description: orDefault(in(cat.Description), def.Description),
			Services:    make([]ServiceView, 0, len(cat.Services)),
		}
		for _, svc := range cat.Services {
			sv := ServiceView{
				Name:        svc.Name,
				Description: in(svc.Description),
				Cookies:     make([]CookieView, 0, len(svc.Cookies)),
			}
			for _, ck := range svc.Cookies {
				sv.Cookies = append(sv.Cookies, CookieView{
					Name:     ck.Name,
					Domain:   ck.Domain,
					Duration: in(ck.Duration),
					Purpose:  in(ck.Purpose),
				})
			}
			cv.Services = append(cv.Services, sv)
		}
		v.Categories = append(v.Categories, cv)
	}
	return v
}

func orDefault(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// Encode returns the view's JSON and a strong ETag for it. The JSON is
// canonical (struct fields in a fixed order, map keys sorted), so equal
// views always get equal ETags, on every node and across restarts.
func (v BannerView) Encode() (body []byte, etag string) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only strings, ints and bools: Marshal cannot fail.
		panic("consent: encode banner view: " + err.Error())
	}
	sum := sha256.Sum256(body)
	return body, `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
}

// ETag returns the strong ETag of the view's JSON (see Encode).
func (v BannerView) ETag() string {
	_, etag := v.Encode()
	return etag
}
