package main

import (
	"encoding/json"
	"log"

	"github.com/gofiber/fiber/v2"
)

// referenceBeacon is the same JSON the collector decodes.
type referenceBeacon struct {
	Site     string          `json:"site"`
	Name     string          `json:"name"`
	URL      string          `json:"url"`
	Referrer string          `json:"referrer"`
	Width    json.Number     `json:"width"`
	Props    json.RawMessage `json:"props"`
	Token    string          `json:"token"`
}

// serveReference is the bar to measure against: a Fiber app that decodes
// the beacon and answers 202, doing nothing else.
func serveReference(addr string) {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Post("/api/event", func(c *fiber.Ctx) error {
		var b referenceBeacon
		if err := json.Unmarshal(c.Body(), &b); err != nil {
			return c.SendStatus(400)
		}
		return c.SendStatus(202)
	})
	log.Fatal(app.Listen(addr))
}
