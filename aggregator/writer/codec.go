package writer

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/varde/varde/aggregator"
)

// An event is a spool record in a hand-written binary layout: about a third
// of its JSON size, and encoded without allocating. Version 1, integers
// little-endian:
//
//	byte     1, the layout's version
//	int64    time, Unix milliseconds
//	uint64   event id, visitor id, previous visitor id
//	uvarint  screen width
//	21 strings, each uvarint length then bytes: site, name, hostname, path,
//	         query, referrer, source, utm_source, utm_medium, utm_campaign,
//	         utm_content, utm_term, country, region, region_name, city,
//	         browser, browser_version, os, os_version, device
//	uvarint  n props, then n keys and n values as strings
//
// A new layout takes a new version byte; the decoder keeps reading the old
// ones, since a spool may outlive an upgrade.
const codecVersion = 1

// fixedLen is the version byte, the time and the three ids.
const fixedLen = 1 + 8 + 3*8

var errBadRecord = errors.New("writer: not an event record")

// appendEvent encodes e onto dst. Props must have as many keys as values.
func appendEvent(dst []byte, e *aggregator.Event) []byte {
	dst = append(dst, codecVersion)
	dst = binary.LittleEndian.AppendUint64(dst, uint64(e.Time.UnixMilli()))
	dst = binary.LittleEndian.AppendUint64(dst, e.ID)
	dst = binary.LittleEndian.AppendUint64(dst, e.VisitorID)
	dst = binary.LittleEndian.AppendUint64(dst, e.PrevVisitorID)
	dst = binary.AppendUvarint(dst, uint64(e.ScreenWidth))
	for _, s := range [...]string{
		e.Site, e.Name, e.Hostname, e.Path, e.Query, e.Referrer, e.Source,
		e.UTMSource, e.UTMMedium, e.UTMCampaign, e.UTMContent, e.UTMTerm,
		e.Country, e.Region, e.RegionName, e.City,
		e.Browser, e.BrowserVersion, e.OS, e.OSVersion, e.Device,
	} {
		dst = appendString(dst, s)
	}
	dst = binary.AppendUvarint(dst, uint64(len(e.PropKeys)))
	for _, s := range e.PropKeys {
		dst = appendString(dst, s)
	}
	for _, s := range e.PropValues {
		dst = appendString(dst, s)
	}
	return dst
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// decodeEvent reads a record written by appendEvent into e. It allocates
// once for all of the event's strings, and once more for its props.
func decodeEvent(b []byte, e *aggregator.Event) error {
	if len(b) < fixedLen || b[0] != codecVersion {
		return errBadRecord
	}
	e.Time = time.UnixMilli(int64(binary.LittleEndian.Uint64(b[1:]))).UTC()
	e.ID = binary.LittleEndian.Uint64(b[9:])
	e.VisitorID = binary.LittleEndian.Uint64(b[17:])
	e.PrevVisitorID = binary.LittleEndian.Uint64(b[25:])
	d := decoder{s: string(b[fixedLen:])}
	width := d.uvarint()
	if width > 0xffff {
		return errBadRecord
	}
	e.ScreenWidth = uint16(width)
	for _, p := range [...]*string{
		&e.Site, &e.Name, &e.Hostname, &e.Path, &e.Query, &e.Referrer, &e.Source,
		&e.UTMSource, &e.UTMMedium, &e.UTMCampaign, &e.UTMContent, &e.UTMTerm,
		&e.Country, &e.Region, &e.RegionName, &e.City,
		&e.Browser, &e.BrowserVersion, &e.OS, &e.OSVersion, &e.Device,
	} {
		*p = d.str()
	}
	n := d.uvarint()
	// Every prop takes at least two bytes, so n is bounded by what is left
	// before anything is allocated for it.
	if d.err || n > uint64(len(d.s)-d.off)/2 {
		return errBadRecord
	}
	e.PropKeys, e.PropValues = nil, nil
	if n > 0 {
		props := make([]string, 2*n)
		for i := range props {
			props[i] = d.str()
		}
		e.PropKeys, e.PropValues = props[:n:n], props[n:]
	}
	if d.err || d.off != len(d.s) {
		return errBadRecord
	}
	return nil
}

// decoder reads varints and strings from one string, so that the strings
// it returns share its memory. Errors are sticky.
type decoder struct {
	s   string
	off int
	err bool
}

func (d *decoder) uvarint() uint64 {
	var v uint64
	for shift := 0; shift < 64; shift += 7 {
		if d.off >= len(d.s) {
			d.err = true
			return 0
		}
		c := d.s[d.off]
		d.off++
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v
		}
	}
	d.err = true
	return 0
}

func (d *decoder) str() string {
	n := d.uvarint()
	if d.err || n > uint64(len(d.s)-d.off) {
		d.err = true
		return ""
	}
	s := d.s[d.off : d.off+int(n)]
	d.off += int(n)
	return s
}
