package consent

import (
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Claims is what a consent token says. In the token (a JWT) the fields are
// short, because the token rides in a cookie and in every beacon:
//
//	header  {"alg":"HS256","kid":"<key id>"}
//	payload {"cid":"<consent id>","site":"example.com",
//	         "cat":["necessary","statistics"],"rev":3,"ver":2,
//	         "iat":1767225600,"exp":1782950400}
//
// There is no nbf: a token is valid from iat, which Verify checks with a
// minute's tolerance for nodes whose clocks differ.
type Claims struct {
	ConsentID  string    // cid
	Site       string    // site
	Categories []string  // cat: granted categories, necessary included
	Revision   int       // rev: banner revision the visitor answered
	Version    int       // ver: version of the consent record
	IssuedAt   time.Time // iat, whole seconds
	ExpiresAt  time.Time // exp, whole seconds
}

// Grants reports whether the consent grants the category. necessary is
// always granted.
func (c Claims) Grants(category string) bool {
	return category == Necessary || slices.Contains(c.Categories, category)
}

// wireClaims is the JWT payload. It implements jwt.Claims only to satisfy
// the parser: time checks are done by Keyring.Verify with the caller's
// clock, not by the library.
type wireClaims struct {
	CID  string   `json:"cid"`
	Site string   `json:"site"`
	Cat  []string `json:"cat"`
	Rev  int      `json:"rev"`
	Ver  int      `json:"ver"`
	IAT  int64    `json:"iat"`
	EXP  int64    `json:"exp"`
}

func (w *wireClaims) GetExpirationTime() (*jwt.NumericDate, error) {
	return jwt.NewNumericDate(time.Unix(w.EXP, 0)), nil
}
func (w *wireClaims) GetIssuedAt() (*jwt.NumericDate, error) {
	return jwt.NewNumericDate(time.Unix(w.IAT, 0)), nil
}
func (w *wireClaims) GetNotBefore() (*jwt.NumericDate, error) { return nil, nil }
func (w *wireClaims) GetIssuer() (string, error)              { return "", nil }
func (w *wireClaims) GetSubject() (string, error)             { return "", nil }
func (w *wireClaims) GetAudience() (jwt.ClaimStrings, error)  { return nil, nil }

func (c Claims) wire() *wireClaims {
	return &wireClaims{
		CID:  c.ConsentID,
		Site: c.Site,
		Cat:  c.Categories,
		Rev:  c.Revision,
		Ver:  c.Version,
		IAT:  c.IssuedAt.Unix(),
		EXP:  c.ExpiresAt.Unix(),
	}
}

func (w *wireClaims) claims() Claims {
	return Claims{
		ConsentID:  w.CID,
		Site:       w.Site,
		Categories: w.Cat,
		Revision:   w.Rev,
		Version:    w.Ver,
		IssuedAt:   time.Unix(w.IAT, 0).UTC(),
		ExpiresAt:  time.Unix(w.EXP, 0).UTC(),
	}
}

// check reports what makes claims unfit to sign or to trust, or "".
func (c Claims) check() string {
	switch {
	case !validConsentID(c.ConsentID):
		return "cid is not a UUID"
	case c.Site == "":
		return "site is missing"
	case c.Revision < 1:
		return "rev is not positive"
	case c.Version < 1:
		return "ver is not positive"
	case c.IssuedAt.Unix() <= 0:
		return "iat is missing"
	case !c.ExpiresAt.After(c.IssuedAt):
		return "exp is not after iat"
	case !slices.Contains(c.Categories, Necessary):
		return "cat lacks necessary"
	}
	return ""
}
