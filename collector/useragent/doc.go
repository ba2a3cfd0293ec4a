// Package useragent turns a User-Agent header into the few facts Varde keeps
// (browser family and major version, OS and major version, device class)
// and decides whether the client is a bot, and why.
//
// It owns the parsing, the bot rules that need only the user agent, the
// embedded crawler list and a bounded in-memory cache. It must not log,
// persist or return the user agent: every string in an Agent comes from a
// fixed vocabulary or is a run of digits, so no part of the header itself
// can reach storage. Bot rules that need other request headers live in
// package bots.
package useragent
