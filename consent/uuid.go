package consent

import (
	"crypto/rand"
	"encoding/hex"
)

// NewConsentID returns a random (version 4) UUID in its canonical
// lowercase form. It carries nothing about the visitor.
func NewConsentID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails; crypto/rand crashes the program instead
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

// validConsentID reports whether s is a UUID in canonical lowercase form
// (8-4-4-4-12 hex digits). Any version is accepted, so IDs made elsewhere
// (an import) still work.
func validConsentID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}
