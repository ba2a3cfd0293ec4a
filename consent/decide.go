package consent

import (
	"slices"
	"strings"
	"time"
)

// Action is what a consent record says the visitor did.
type Action string

const (
	ActionAcceptAll Action = "accept-all" // every category granted
	ActionRejectAll Action = "reject-all" // only necessary granted
	ActionCustom    Action = "custom"     // anything in between
	ActionWithdraw  Action = "withdraw"   // consent withdrawn and erased
)

// Decision is a choice checked against the site's configuration: what is
// granted and refused, and the facts the consent record keeps.
type Decision struct {
	Site      string
	Time      time.Time // server time, UTC
	Revision  int
	Lang      string
	Granted   []string // sorted; always includes necessary
	Refused   []string // sorted; every category not granted
	Action    Action
	GPC       bool
	PagePath  string
	ConsentID string // the consent being changed, or "" for a new one
}

// Decide checks a parsed choice against the site's configuration at time
// now. The banner must have shown the current revision, and every category
// named must exist on the site; either failing is an *InputError (400).
//
// necessary is always granted: a choice that sets it to false is not an
// error, the false is ignored, because a visitor cannot refuse what the
// site needs to work (and a banner cannot be blamed for sending it).
// Every category the choice does not mention is refused, so nothing is
// ever granted by default. GPC is recorded as the browser sent it; a
// visitor with GPC on may still opt in from the settings.
func (c Config) Decide(ch Choice, now time.Time) (Decision, error) {
	if ch.Revision != c.Revision {
		return Decision{}, badInput("stale revision %d, the banner is at revision %d; reload the banner and choose again", ch.Revision, c.Revision)
	}
	var unknown []string
	for name := range ch.Categories {
		if _, ok := c.Category(name); !ok {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		names := make([]string, len(c.Categories))
		for i, cat := range c.Categories {
			names[i] = cat.Name
		}
		return Decision{}, badInput("unknown category %q; this site has %s", unknown[0], strings.Join(names, ", "))
	}
	d := Decision{
		Site:      ch.Site,
		Time:      now.UTC(),
		Revision:  c.Revision,
		Lang:      ch.Lang,
		GPC:       ch.GPC,
		PagePath:  PagePath(ch.URL),
		ConsentID: ch.ConsentID,
	}
	if d.Lang == "" {
		d.Lang = c.DefaultLang
	}
	for _, cat := range c.Categories {
		if cat.Name == Necessary || ch.Categories[cat.Name] {
			d.Granted = append(d.Granted, cat.Name)
		} else {
			d.Refused = append(d.Refused, cat.Name)
		}
	}
	slices.Sort(d.Granted)
	slices.Sort(d.Refused)
	d.Action = actionOf(d.Granted, d.Refused)
	if d.Refused == nil {
		d.Refused = []string{}
	}
	return d, nil
}

// actionOf names a decision: nothing refused is accept-all (also on a site
// whose only category is necessary), only necessary granted is reject-all.
func actionOf(granted, refused []string) Action {
	switch {
	case len(refused) == 0:
		return ActionAcceptAll
	case len(granted) == 1:
		return ActionRejectAll
	}
	return ActionCustom
}

// Record returns the consent record of the decision, as version version
// of consent consentID. The caller adds Country and Browser from its
// enrichment of the request.
func (d Decision) Record(consentID string, version int) Record {
	return Record{
		ConsentID: consentID,
		Version:   version,
		Site:      d.Site,
		Time:      d.Time,
		Revision:  d.Revision,
		Lang:      d.Lang,
		Granted:   slices.Clone(d.Granted),
		Refused:   slices.Clone(d.Refused),
		Action:    d.Action,
		GPC:       d.GPC,
		PagePath:  d.PagePath,
	}
}
