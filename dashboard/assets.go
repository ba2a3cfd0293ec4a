package dashboard

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"
)

//go:embed assets
var assetFiles embed.FS

// assets are the embedded CSS, JavaScript and icons, each served at a URL
// that carries a hash of its content, so browsers may keep them forever
// and a new build is fetched at once.
type assets struct {
	byURL  map[string]asset // "app.1a2b3c4d.css" → file
	byName map[string]string
}

type asset struct {
	body []byte
	mime string
}

func loadAssets() *assets {
	a := &assets{byURL: map[string]asset{}, byName: map[string]string{}}
	entries, err := assetFiles.ReadDir("assets")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		body, err := assetFiles.ReadFile("assets/" + e.Name())
		if err != nil {
			panic(err)
		}
		if e.Name() == "app.css" {
			body = append(body, widthClasses()...)
		}
		sum := sha256.Sum256(body)
		ext := path.Ext(e.Name())
		hashed := strings.TrimSuffix(e.Name(), ext) + "." + hex.EncodeToString(sum[:])[:12] + ext
		a.byURL[hashed] = asset{body: body, mime: mime.TypeByExtension(ext)}
		a.byName[e.Name()] = "/dashboard/assets/" + hashed
	}
	return a
}

// widthClasses are the bar widths of the breakdown tables: the CSP allows
// no inline style, so a row's share is a class, w0 to w100.
func widthClasses() []byte {
	var b strings.Builder
	b.WriteString("\n/* generated: bar widths */\n")
	for i := 0; i <= 100; i++ {
		fmt.Fprintf(&b, ".w%d{width:%d%%}", i, i)
	}
	b.WriteByte('\n')
	return []byte(b.String())
}

// URL is the hashed URL of an asset, for templates.
func (a *assets) URL(name string) string {
	if u, ok := a.byName[name]; ok {
		return u
	}
	panic("dashboard: no asset " + name)
}

func (d *Dashboard) asset(c *fiber.Ctx) error {
	f, ok := d.assets.byURL[c.Params("name")]
	if !ok {
		return d.errorPage(c, http.StatusNotFound, "error.not_found")
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	c.Set(fiber.HeaderContentType, f.mime)
	return c.Send(f.body)
}
