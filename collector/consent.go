package collector

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/net/publicsuffix"

	"github.com/varde/varde/aggregator"
	"github.com/varde/varde/collector/geo"
	"github.com/varde/varde/consent"
	"github.com/varde/varde/internal/httpapi"
)

// CookieName is the first-party cookie that holds the consent token on the
// site's domain; the script reads and writes it too.
const CookieName = "varde_consent"

// postConsent records a choice and answers with a token. The record is in
// the store before the token leaves: no token without proof.
func (s *Server) postConsent(c *fiber.Ctx) error {
	now := s.Now()
	body := c.Body()
	if len(body) > consent.MaxChoiceSize {
		return httpapi.Errorf(http.StatusRequestEntityTooLarge, "a consent choice may be at most 4 KB")
	}
	choice, err := consent.ParseChoice(body)
	if err != nil {
		return inputError(err)
	}
	site, ok := s.Sites.Get(choice.Site)
	if !ok {
		return httpapi.Errorf(http.StatusNotFound, "unknown site "+quoteSite(choice.Site))
	}
	decision, err := site.Banner.Decide(choice, now)
	if err != nil {
		return inputError(err)
	}
	id, version := consent.NewConsentID(), 1
	if choice.Changing() {
		claims, err := s.Verifier.Owner(choice.Token, choice.ConsentID, now)
		if err != nil {
			return tokenError(err)
		}
		if claims.Site != site.Domain {
			return httpapi.Errorf(http.StatusForbidden, "the consent token is for another site")
		}
		id, version = claims.ConsentID, claims.Version+1
	}
	rec := decision.Record(id, version)
	// From where, coarsely: the country of the address and the browser
	// family; the address and the user agent go no further.
	rec.Country = s.Geo.Lookup(s.ClientIP(c), geo.Country).CountryCode
	rec.Browser = s.Agents.Parse(c.Get(fiber.HeaderUserAgent)).Browser
	if err := s.Consents.Put(c.UserContext(), rec); err != nil {
		return storeUnavailable(c, err)
	}
	if version > 1 {
		// The older versions' tokens stop working: here at once, on other
		// nodes when they next load revocations.
		rev := rec.Revocation()
		if err := s.Consents.Revoke(c.UserContext(), rev); err != nil {
			return storeUnavailable(c, err)
		}
		s.Revoked.Add(rev.ConsentID, rev.BelowVersion, rev.At)
	}
	claims := rec.Claims(site.Banner.Lifetime())
	token, err := s.Verifier.Sign(claims)
	if err != nil {
		return err
	}
	s.metrics.consents.WithLabelValues(string(rec.Action)).Inc()
	s.setCookie(c, site, token, claims.ExpiresAt)
	return c.Status(http.StatusCreated).JSON(fiber.Map{
		"consent_id": rec.ConsentID,
		"version":    rec.Version,
		"token":      token,
		"expires_at": claims.ExpiresAt.UTC().Format(time.RFC3339),
		"categories": rec.Granted,
		"refused":    rec.Refused,
		"action":     rec.Action,
	})
}

// getConsent is the visitor's receipt: every version of the consent.
func (s *Server) getConsent(c *fiber.Ctx) error {
	claims, err := s.Verifier.Owner(bearer(c), c.Params("id"), s.Now())
	if err != nil {
		return tokenError(err)
	}
	history, err := s.Consents.History(c.UserContext(), claims.ConsentID)
	if err != nil {
		return storeUnavailable(c, err)
	}
	if len(history) == 0 {
		return httpapi.Errorf(http.StatusNotFound, "no records of this consent are kept")
	}
	return c.JSON(fiber.Map{"consent_id": claims.ConsentID, "site": claims.Site, "versions": history})
}

// deleteConsent withdraws the consent and erases its records. The
// withdrawal is counted (anonymously) before the records go, and the
// tokens stop working after they are gone, so a failed erasure can be
// retried with the same token.
func (s *Server) deleteConsent(c *fiber.Ctx) error {
	now := s.Now()
	claims, err := s.Verifier.Owner(bearer(c), c.Params("id"), now)
	if err != nil {
		return tokenError(err)
	}
	site, ok := s.Sites.Get(claims.Site)
	if !ok {
		return httpapi.Errorf(http.StatusNotFound, "unknown site "+quoteSite(claims.Site))
	}
	withdrawal := site.Banner.Withdrawal(claims, now)
	ctx := c.UserContext()
	if err := s.Consents.Put(ctx, withdrawal); err != nil {
		return storeUnavailable(c, err)
	}
	if err := s.Consents.Erase(ctx, claims.ConsentID); err != nil {
		return storeUnavailable(c, err)
	}
	rev := withdrawal.Revocation()
	if err := s.Consents.Revoke(ctx, rev); err != nil {
		return storeUnavailable(c, err)
	}
	s.Revoked.Add(rev.ConsentID, rev.BelowVersion, rev.At)
	s.metrics.consents.WithLabelValues(string(consent.ActionWithdraw)).Inc()
	s.setCookie(c, site, "", time.Time{})
	return c.SendStatus(http.StatusNoContent)
}

// setCookie stores the token in the site's first-party cookie when this
// collector is served from the site's own registrable domain (Safari caps
// cookies set by scripts at 7 days; one set by the server lives as long as
// the consent). An empty token deletes the cookie. Not HttpOnly: the
// script reads it.
func (s *Server) setCookie(c *fiber.Ctx, site aggregator.Site, token string, expires time.Time) {
	host := strings.ToLower(c.Hostname())
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.Contains(host[i:], "]") {
		host = host[:i]
	}
	siteDomain, err1 := publicsuffix.EffectiveTLDPlusOne(site.Domain)
	ours, err2 := publicsuffix.EffectiveTLDPlusOne(host)
	if err1 != nil || err2 != nil || siteDomain != ours {
		return
	}
	ck := &fiber.Cookie{Name: CookieName, Value: token, Path: "/", Domain: siteDomain, SameSite: fiber.CookieSameSiteLaxMode, Secure: c.Protocol() == "https"}
	if token == "" {
		ck.Expires = time.Unix(0, 0)
		ck.MaxAge = -1
	} else {
		ck.Expires = expires
	}
	c.Cookie(ck)
}

// inputError answers a consent package *InputError with its own status.
func inputError(err error) error {
	var ie *consent.InputError
	if errors.As(err, &ie) {
		return httpapi.Errorf(ie.Status, ie.Msg)
	}
	return httpapi.Errorf(http.StatusBadRequest, err.Error())
}

// tokenError maps a refused token: 401 when the caller must present a
// valid token, 403 when the token is valid but not for this.
func tokenError(err error) error {
	var te *consent.TokenError
	if !errors.As(err, &te) {
		return err
	}
	switch te.Reason {
	case consent.ReasonNoToken, consent.ReasonMalformed, consent.ReasonExpired, consent.ReasonBadSignature:
		return httpapi.Errorf(http.StatusUnauthorized, te.Reason.String())
	}
	return httpapi.Errorf(http.StatusForbidden, te.Reason.String())
}

// storeUnavailable answers a store failure on the consent path, where the
// visitor must not get a token without a stored record.
func storeUnavailable(c *fiber.Ctx, err error) error {
	c.Set(fiber.HeaderRetryAfter, "5")
	return &storeError{err}
}

type storeError struct{ err error }

func (e *storeError) Error() string { return "store: " + e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }

// syncRevocations loads the revocations other nodes stored, every
// interval: a withdrawn consent's token stops working on this node within
// about interval plus a store round trip.
func (s *Server) syncRevocations(ctx context.Context, interval time.Duration) {
	// At start, everything a valid token could still need.
	since := s.Now().Add(-consent.MaxLifetimeDays * 24 * time.Hour)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		started := s.Now()
		revs, err := s.Consents.RevocationsSince(ctx, since)
		if err == nil {
			for _, r := range revs {
				s.Revoked.Add(r.ConsentID, r.BelowVersion, r.At)
			}
			// Overlap the next window: rows stored while this query ran
			// may carry an earlier time.
			since = started.Add(-10 * time.Second)
		} else if ctx.Err() == nil {
			s.Log.Warn("loading revocations failed; will retry", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
