package collector

import (
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/varde/varde/consent"
	"github.com/varde/varde/internal/httpapi"
)

// banner serves a site's banner configuration in one language: categories,
// texts, revision, policy URL. Every cache must revalidate it by ETag
// (a 304 when unchanged): a choice made from a stale revision is refused,
// so a new revision must reach visitors at once.
func (s *Server) banner(c *fiber.Ctx) error {
	site, ok := s.Sites.Get(c.Params("site"))
	if !ok {
		return httpapi.Errorf(http.StatusNotFound, "unknown site "+quoteSite(c.Params("site")))
	}
	var asked []string
	if l := c.Query("lang"); l != "" {
		asked = append(asked, l)
	}
	asked = append(asked, consent.ParseAcceptLanguage(c.Get(fiber.HeaderAcceptLanguage))...)
	lang := consent.ResolveLang(asked, site.Banner)
	view := site.Banner.Localized(lang)
	body, etag := view.Encode()
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Vary(fiber.HeaderAcceptLanguage)
	if match := c.Get(fiber.HeaderIfNoneMatch); match != "" && strings.Contains(match, etag) {
		return c.SendStatus(http.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(body)
}
