package dashboard

import (
	"testing"
	"time"
	"unsafe"
)

// A session cookie that pointed into a request's buffer (Fiber's strings
// do) still finds its own session, and only its own, after the server
// reuses the buffer for another request.
func TestSessionCacheKeepsItsKeys(t *testing.T) {
	c := newSessionCache(time.Minute, 10)
	buf := []byte("cookie-of-ann")
	c.Add(unsafe.String(&buf[0], len(buf)), signedIn{})
	copy(buf, "cookie-of-bob") // the next request
	if _, ok := c.Get("cookie-of-ann"); !ok {
		t.Error("ann's cached session was lost when her request's buffer was reused")
	}
	if _, ok := c.Get("cookie-of-bob"); ok {
		t.Error("bob's cookie finds a session he never signed in to")
	}
}
