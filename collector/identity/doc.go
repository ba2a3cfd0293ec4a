// Package identity derives the daily visitor id: a keyed hash of (salt, site,
// IP, user agent) from which neither the IP nor the user agent can be
// recovered, and which cannot be linked across salts.
//
// It owns the hash and the making of fresh salts. It must not log or keep its
// inputs, and it does not store or rotate salts: the aggregator does that.
package identity
