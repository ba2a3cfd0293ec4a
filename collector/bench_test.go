package collector

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/varde/varde/internal/httpapi"
	"github.com/varde/varde/internal/testenv"
)

// BenchmarkEventHandler is the whole beacon path in-process: parse, consent
// check, enrichment (user agent, geo, referrer, visitor hash) and the
// durable spool append (group-committed, so run it in parallel to see the
// cost per beacon rather than fdatasync's latency).
func BenchmarkEventHandler(b *testing.B) {
	h := newHarness(b, harnessOptions{store: testenv.EmbeddedStore(b), rate: 1e9, burst: 1 << 30})
	_, c := h.decide(osloIP, acceptAll("example.no"))
	app := fiber.New(fiber.Config{DisableStartupMessage: true, ErrorHandler: func(c *fiber.Ctx, err error) error { return httpapi.Respond(c, quiet, err) }})
	h.srv.Register(app)
	handler := app.Handler()
	var n atomic.Int64
	// Many beacons in flight share each fdatasync, as under real load.
	b.SetParallelism(32)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var ctx fasthttp.RequestCtx
		for pb.Next() {
			i := n.Add(1)
			ctx.Request.Reset()
			ctx.Response.Reset()
			ctx.Request.SetRequestURI("/api/event")
			ctx.Request.Header.SetMethod("POST")
			ctx.Request.Header.Set("User-Agent", chromeUA)
			ctx.Request.Header.Set("Accept-Language", "nb-NO")
			ctx.Request.Header.Set("Sec-Fetch-Mode", "no-cors")
			ctx.Request.Header.Set("Sec-Fetch-Dest", "empty")
			ctx.Request.SetBodyString(fmt.Sprintf(`{"site":"example.no","name":"pageview","url":"https://example.no/jobs/%d","referrer":"https://www.google.no/","width":1280,"token":"%s"}`, i%300, c.Token))
			handler(&ctx)
			if code := ctx.Response.StatusCode(); code != 202 {
				b.Fatalf("status %d: %s", code, ctx.Response.Body())
			}
		}
	})
}
