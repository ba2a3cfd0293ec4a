package useragent

import "unsafe"

// viewOf returns a string that shares b's memory, as fasthttp's
// zero-copy accessors do.
func viewOf(b []byte) string {
	return unsafe.String(&b[0], len(b))
}
