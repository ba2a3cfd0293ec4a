// Package referrer turns the page URL and referrer of a beacon into what
// Varde stores: the page's host, path and allow-listed query, the traffic
// source ("Google", "Facebook", "Email", "news.ycombinator.com",
// "Direct / None") with the referring domain, and the UTM tags.
//
// It owns URL parsing and the table of known sources. It must not log or
// keep what it parses, and it keeps only the referrer's domain: a
// referrer's path or query can name a person (a search, a webmail folder),
// so it never leaves this package.
package referrer
