package collector

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/varde/varde/consent"
)

// Limits on a beacon: what a person's browser sends is far below them.
const (
	// MaxBeaconSize is the largest body POST /api/event reads.
	MaxBeaconSize = 4 << 10
	maxNameLen    = 120
	maxProps      = 30
	maxPropKey    = 64
	maxPropValue  = 256
	maxTokenLen   = 2048
)

// beacon is the body of POST /api/event:
//
//	{"site":"example.com","name":"pageview","url":"https://example.com/jobs/123",
//	 "referrer":"https://www.google.com/","width":1280,"props":{"plan":"pro"},"token":"…"}
//
// Fields a newer script may add are ignored, so an old server keeps
// counting a new script's beacons.
type beacon struct {
	Site     string          `json:"site"`
	Name     string          `json:"name"`
	URL      string          `json:"url"`
	Referrer string          `json:"referrer"`
	Width    json.RawMessage `json:"width"`
	Props    json.RawMessage `json:"props"`
	Token    string          `json:"token"`
}

// errBeacon is a beacon that cannot be counted, with a sentence saying why.
type errBeacon struct{ msg string }

func (e errBeacon) Error() string { return e.msg }

func badBeacon(format string, args ...any) error { return errBeacon{fmt.Sprintf(format, args...)} }

// parsedBeacon is a beacon checked and reduced to what the event keeps.
type parsedBeacon struct {
	Site, Name, URL, Referrer, Token string
	Width                            uint16
	PropKeys, PropValues             []string
}

// parseBeacon reads and checks a beacon body.
func parseBeacon(body []byte) (parsedBeacon, error) {
	var b beacon
	// Unmarshal allocates less than a Decoder (no reader, no buffer) on
	// every beacon; a body it refuses goes through the Decoder, which
	// tells a second value from broken JSON, for the answer's sentence.
	if json.Unmarshal(body, &b) != nil {
		return parsedBeacon{}, beaconSyntaxError(body)
	}
	var p parsedBeacon
	switch {
	case b.Site == "":
		return p, badBeacon("the event has no site")
	case b.Name == "":
		return p, badBeacon("the event has no name")
	case b.URL == "":
		return p, badBeacon("the event has no url")
	case len(b.Name) > maxNameLen || !utf8.ValidString(b.Name) || strings.ContainsFunc(b.Name, isControl):
		return p, badBeacon("the event name must be at most %d characters of text", maxNameLen)
	case len(b.Token) > maxTokenLen:
		return p, badBeacon("the consent token is too long")
	}
	p.Site, p.Name, p.URL, p.Referrer, p.Token = strings.ToLower(b.Site), strings.TrimSpace(b.Name), b.URL, b.Referrer, b.Token
	if len(b.Width) > 0 && string(b.Width) != "null" {
		w, err := strconv.ParseFloat(string(b.Width), 64)
		if err != nil || w < 0 || math.IsInf(w, 0) {
			return p, badBeacon("width must be a number of pixels")
		}
		p.Width = uint16(min(w, math.MaxUint16))
	}
	if len(b.Props) > 0 && string(b.Props) != "null" {
		keys, values, err := parseProps(b.Props)
		if err != nil {
			return p, err
		}
		p.PropKeys, p.PropValues = keys, values
	}
	return p, nil
}

// beaconSyntaxError says what is wrong with a body json.Unmarshal refused.
func beaconSyntaxError(body []byte) error {
	var b beacon
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&b); err != nil {
		return badBeacon("the body is not a JSON object of an event: %s", consent.JSONProblem(err))
	}
	if dec.More() {
		return badBeacon("the body holds more than one JSON value")
	}
	// The Decoder stops after the object; Unmarshal also refuses what
	// follows it, such as a stray "]".
	return badBeacon("the body has characters after its JSON object")
}

// parseProps reads a flat object of string, number and boolean values.
func parseProps(raw json.RawMessage) (keys, values []string, err error) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, nil, badBeacon("props must be an object of strings, numbers and booleans")
	}
	if len(m) > maxProps {
		return nil, nil, badBeacon("an event may carry at most %d props, not %d", maxProps, len(m))
	}
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	values = make([]string, len(keys))
	for i, k := range keys {
		if k == "" || len(k) > maxPropKey || !utf8.ValidString(k) {
			return nil, nil, badBeacon("prop names must be 1 to %d characters", maxPropKey)
		}
		var v string
		switch x := m[k].(type) {
		case string:
			v = x
		case json.Number:
			v = x.String()
		case bool:
			v = strconv.FormatBool(x)
		default:
			return nil, nil, badBeacon("prop %q must be a string, a number or a boolean", k)
		}
		if len(v) > maxPropValue || !utf8.ValidString(v) {
			return nil, nil, badBeacon("prop %q must be at most %d characters of text", k, maxPropValue)
		}
		values[i] = v
	}
	return keys, values, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
