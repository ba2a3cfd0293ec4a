// Package bots flags beacons that no person's browser would send, judged
// from request headers other than the user agent (package useragent judges
// that one).
//
// Every rule here must let through every real beacon from a current
// browser: a false positive silently loses a consented visitor, while a
// missed bot is one more row that other rules may catch. So each rule looks
// only at facts a browser's beacon always has, or never has, and says why.
// The package must not log or keep the headers it is given.
package bots
