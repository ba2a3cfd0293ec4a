package consent

import (
	"slices"
	"time"
)

// Record is one version of a consent, kept as proof: who (the consent ID,
// a random UUID that says nothing about the visitor), when (server time),
// what was shown (revision, language), what was chosen, from where (page
// path without query string, country) and whether GPC was on.
//
// A record holds no IP address and no user-agent string, by design: the
// country is resolved from the IP and the browser family from the user
// agent before both are thrown away. History is append-only: a change adds
// version N+1; a withdrawal erases the consent's records.
//
// As JSON (the receipt of GET /api/consent/{id}):
//
//	{"consent_id":"…","version":2,"site":"example.com",
//	 "time":"2026-03-01T12:00:00Z","revision":3,"lang":"nb",
//	 "granted":["necessary","statistics"],"refused":["marketing"],
//	 "action":"custom","gpc":false,"page_path":"/jobs","country":"NO",
//	 "browser":"Firefox"}
type Record struct {
	ConsentID string    `json:"consent_id"`
	Version   int       `json:"version"`
	Site      string    `json:"site"`
	Time      time.Time `json:"time"`
	Revision  int       `json:"revision"`
	Lang      string    `json:"lang"`
	Granted   []string  `json:"granted"`
	Refused   []string  `json:"refused"`
	Action    Action    `json:"action"`
	GPC       bool      `json:"gpc"`
	PagePath  string    `json:"page_path"`
	Country   string    `json:"country"` // ISO 3166-1 alpha-2, or ""
	Browser   string    `json:"browser"` // family such as "Firefox", or ""
}

// Withdrawal returns the record of withdrawing the consent a verified
// token carries, at time now: version after the token's, only necessary
// granted, every other category of the site refused. The erase flow deletes
// the consent's records; this record is what the daily consent counts see
// (action withdraw) and what Revocation turns into a revocation.
func (c Config) Withdrawal(cl Claims, now time.Time) Record {
	refused := make([]string, 0, len(c.Categories))
	for _, cat := range c.Categories {
		if cat.Name != Necessary {
			refused = append(refused, cat.Name)
		}
	}
	slices.Sort(refused)
	return Record{
		ConsentID: cl.ConsentID,
		Version:   cl.Version + 1,
		Site:      cl.Site,
		Time:      now.UTC(),
		Revision:  cl.Revision,
		Granted:   []string{Necessary},
		Refused:   refused,
		Action:    ActionWithdraw,
	}
}

// Revocation is the fact that tokens of a consent below some version stop
// working. The store keeps them; every node's RevocationCache loads them.
type Revocation struct {
	ConsentID    string
	BelowVersion int // RevokeAll for a withdrawal
	At           time.Time
}

// Revocation returns what recording r revokes: a withdrawal revokes every
// version; a change to version N revokes the tokens of versions below N.
// A first version revokes nothing (BelowVersion 1).
func (r Record) Revocation() Revocation {
	below := r.Version
	if r.Action == ActionWithdraw {
		below = RevokeAll
	}
	return Revocation{ConsentID: r.ConsentID, BelowVersion: below, At: r.Time}
}

// Claims returns the token claims for r, valid for lifetime from the
// record's time (Config.Lifetime). Times are whole seconds, as in the token.
func (r Record) Claims(lifetime time.Duration) Claims {
	iat := r.Time.Truncate(time.Second).UTC()
	return Claims{
		ConsentID:  r.ConsentID,
		Site:       r.Site,
		Categories: slices.Clone(r.Granted),
		Revision:   r.Revision,
		Version:    r.Version,
		IssuedAt:   iat,
		ExpiresAt:  iat.Add(lifetime),
	}
}
