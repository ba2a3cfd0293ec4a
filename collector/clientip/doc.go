// Package clientip decides which address a request came from: the TCP peer,
// or, when that peer is a trusted proxy, the right-most X-Forwarded-For entry
// that is not itself a trusted proxy.
//
// It owns the parsing of the trusted-proxy list and of X-Forwarded-For. It
// must not log or keep any address: callers use the answer for geo lookup and
// the visitor hash, then drop it.
package clientip
