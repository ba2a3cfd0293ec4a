package identity

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"net/netip"
	"sync"
)

// SaltSize is the length of a salt from NewSalt: SHA-256's output size, the
// key length RFC 2104 recommends for HMAC-SHA256.
const SaltSize = 32

// NewSalt returns SaltSize random bytes from crypto/rand.
func NewSalt() ([]byte, error) {
	salt := make([]byte, SaltSize)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("identity: new salt: %w", err)
	}
	return salt, nil
}

// macs keeps one HMAC per salt in flight so that the hot path neither
// re-derives the HMAC pads nor allocates. Salts change once a day, so a
// pooled entry is reused many times before its key goes stale.
var macs = sync.Pool{New: func() any { return new(mac) }}

type mac struct {
	key []byte
	h   hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

// VisitorID returns HMAC-SHA256(salt, encode(site, ip, userAgent)) truncated
// to its first 64 bits. Each field is length-prefixed so that no two
// different inputs share an encoding ("ab"+"c" and "a"+"bc" differ), and the
// IP is hashed in its 16-byte form so that 1.2.3.4 and ::ffff:1.2.3.4 are the
// same visitor. An invalid ip hashes as 16 zero bytes.
//
// It is safe for concurrent use. The salt must not be modified while calls
// that use it are in flight.
func VisitorID(salt []byte, site string, ip netip.Addr, userAgent string) uint64 {
	m := macs.Get().(*mac)
	if m.h == nil || !hmac.Equal(m.key, salt) {
		// A new key costs a fresh HMAC; keep a private copy of the salt so
		// that the comparison above never aliases the caller's slice.
		m.key = append(m.key[:0], salt...)
		m.h = hmac.New(sha256.New, m.key)
	} else {
		m.h.Reset()
	}
	b := m.buf[:0]
	b = appendField(b, site)
	ip16 := ip.As16()
	if !ip.IsValid() {
		ip16 = [16]byte{}
	}
	b = append(b, ip16[:]...)
	b = appendField(b, userAgent)
	m.h.Write(b)
	sum := m.h.Sum(m.sum[:0])
	id := binary.BigEndian.Uint64(sum[:8])
	// Do not keep the user agent in a pooled buffer any longer than needed.
	clear(b)
	m.buf = b[:0]
	macs.Put(m)
	return id
}

func appendField(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}
