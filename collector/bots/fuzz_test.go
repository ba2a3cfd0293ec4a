package bots

import (
	"slices"
	"testing"
)

func FuzzCheck(f *testing.F) {
	f.Add("Chrome", "131", "nb-NO", "no-cors", "empty", `"Chromium";v="131"`, "")
	f.Add("Firefox", "133", "", "", "", "", "prefetch")
	f.Add("Safari", "15", "", "navigate", "document", "", "")
	f.Fuzz(func(t *testing.T, browser, version, lang, mode, dest, chua, purpose string) {
		r := Request{browser, version, lang, mode, dest, chua, purpose}
		bot, reason := Check(r)
		if bot != (reason != ReasonNone) {
			t.Fatalf("Check(%+v) = %v, %q: bot and reason disagree", r, bot, reason)
		}
		if bot && !slices.Contains(Reasons(), reason) {
			t.Fatalf("Check(%+v) reason %q is not in Reasons()", r, reason)
		}
		// A well-formed beacon header set is never flagged, whatever the
		// user agent claims.
		good := Request{browser, version, "en", "no-cors", "empty", `"Chromium";v="131"`, ""}
		if bot, reason := Check(good); bot {
			t.Fatalf("Check(%+v) = %q, want no bot", good, reason)
		}
	})
}
