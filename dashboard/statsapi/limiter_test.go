package statsapi

import (
	"testing"
	"time"
	"unsafe"
)

// A key that pointed into a request's buffer (Fiber's strings do) keeps
// its bucket after the server reuses the buffer for another request.
func TestLimiterKeepsItsKeys(t *testing.T) {
	l := newLimiter(1.0/60, 2)
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	buf := []byte("aaaaaaaaaaaa")
	key := unsafe.String(&buf[0], len(buf))
	for range 2 {
		if wait := l.take(key, now); wait != 0 {
			t.Fatalf("within the burst: wait %v", wait)
		}
	}
	copy(buf, "bbbbbbbbbbbb") // the next request
	if wait := l.take("aaaaaaaaaaaa", now); wait == 0 {
		t.Error("the key's spent bucket was lost when its request's buffer was reused")
	}
	if wait := l.take("bbbbbbbbbbbb", now); wait != 0 {
		t.Errorf("another key is limited: wait %v", wait)
	}
}
