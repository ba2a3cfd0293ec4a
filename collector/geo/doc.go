// Package geo turns an IP address into a coarse location (country, region,
// city) from a MaxMind-format City or Country database, at the precision a
// site allows.
//
// It owns opening the database and decoding only the fields it needs. It
// must not log, keep or return the address, nor anything finer than a city:
// no coordinates, postal codes or networks leave this package.
package geo
