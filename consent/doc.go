// Package consent owns Varde's consent domain: a site's banner
// configuration and its texts in every supported language, the visitor's
// choice and the decision made from it, the consent record kept as proof,
// and the signed consent token with its keys, verification and revocation.
//
// It does no I/O of its own: no network, no files, no database, no clock
// (only crypto/rand, for consent IDs and keys). Callers pass the time in,
// keep records, revocations and keys in the store, and map the typed errors
// here (*InputError, *TokenError, *ConfigError) to HTTP answers. The
// banner's front end lives in consent/web and is not part of this package.
//
// The flows, as the collector calls them:
//
//	banner:   cfg.Localized(ResolveLang(tags, cfg)).Encode() → body, ETag
//	choice:   ParseChoice(body) → cfg.Decide(choice, now) → decision;
//	          when choice.Changing(): verifier.Owner(token, id, now) and
//	          compare claims.Site; decision.Record(id, version) → store it
//	          (and record.Revocation() when version > 1) → verifier.Sign(
//	          record.Claims(cfg.Lifetime()))
//	event:    verifier.Allow(token, site, Statistics, now)
//	receipt:  verifier.Owner(token, id, now)
//	withdraw: verifier.Owner(token, id, now) → cfg.Withdrawal(claims, now)
//	          → erase, store its Revocation, RevocationCache.Add at once
package consent
