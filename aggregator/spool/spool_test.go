package spool_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/varde/varde/aggregator/spool"
)

func open(t *testing.T, opts spool.Options) *spool.Spool {
	t.Helper()
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	s, err := spool.Open(opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func appendAll(t *testing.T, s *spool.Spool, payloads ...[]byte) {
	t.Helper()
	if err := s.Append(context.Background(), payloads...); err != nil {
		t.Fatalf("append: %v", err)
	}
}

// drain seals and reads every queued segment, acknowledging each when ack is
// set, and returns the segments and all their records in order.
func drain(t *testing.T, s *spool.Spool, ack bool) ([]spool.Segment, [][]byte) {
	t.Helper()
	if err := s.Seal(); err != nil && !errors.Is(err, spool.ErrClosed) {
		t.Fatalf("seal: %v", err)
	}
	var segs []spool.Segment
	var recs [][]byte
	for {
		seg, ok := s.TryNext()
		if !ok {
			return segs, recs
		}
		got, err := s.Read(seg)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if len(got) != seg.Records {
			t.Errorf("batch %d: read %d records, want %d", seg.ID, len(got), seg.Records)
		}
		segs = append(segs, seg)
		recs = append(recs, got...)
		if ack {
			if err := s.Ack(seg); err != nil {
				t.Fatalf("ack: %v", err)
			}
		}
	}
}

func payload(i int) []byte { return fmt.Appendf(nil, "record %06d", i) }

// files lists the segment files of dir.
func files(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.Name() != "LOCK" {
			out = append(out, e.Name())
		}
	}
	return out
}

// crashCopy copies a live spool's files to a new directory, as a crash
// would leave them: the segment being written is still unsealed.
func crashCopy(t *testing.T, dir string) string {
	t.Helper()
	dst := t.TempDir()
	for _, name := range files(t, dir) {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, name), data, 0o640); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func TestRoundTrip(t *testing.T) {
	s := open(t, spool.Options{})
	want := [][]byte{
		{},
		{0},
		[]byte("hello"),
		bytes.Repeat([]byte{0xff, 0x00}, 50_000),
		make([]byte, spool.MaxRecordBytes),
	}
	appendAll(t, s, want[0])
	appendAll(t, s, want[1:3]...)
	appendAll(t, s, want[3:]...)
	if err := s.Append(context.Background(), make([]byte, spool.MaxRecordBytes+1)); err == nil {
		t.Error("a record over MaxRecordBytes: got no error, want one")
	}
	st := s.Stats()
	if st.Records != 5 || st.Segments != 1 || st.Bytes <= spool.MaxRecordBytes {
		t.Errorf("stats before ack: got %+v, want 5 records in 1 segment", st)
	}
	segs, got := drain(t, s, true)
	if len(segs) != 1 || segs[0].Replayed {
		t.Errorf("got segments %+v, want one fresh segment", segs)
	}
	if !slices.EqualFunc(got, want, bytes.Equal) {
		t.Errorf("records read back differ from those appended")
	}
	if st := s.Stats(); st.Records != 0 || st.Bytes != 0 || st.Segments != 0 {
		t.Errorf("stats after ack: got %+v, want all zero but syncs", st)
	}
	if f := files(t, s.Dir()); len(f) != 0 {
		t.Errorf("files after ack: got %v, want none", f)
	}
}

// TestGroupCommit: many concurrent appenders all land, each appender's
// records in its order, with far fewer syncs than appends.
func TestGroupCommit(t *testing.T) {
	s := open(t, spool.Options{SegmentRecords: 1000})
	const writers, each = 64, 200
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := s.Append(context.Background(), fmt.Appendf(nil, "%d/%d", w, i)); err != nil {
					t.Errorf("append: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	syncs := s.Stats().Syncs
	segs, recs := drain(t, s, true)
	if len(recs) != writers*each {
		t.Fatalf("got %d records, want %d", len(recs), writers*each)
	}
	next := make([]int, writers)
	for _, r := range recs {
		var w, i int
		fmt.Sscanf(string(r), "%d/%d", &w, &i)
		if i != next[w] {
			t.Fatalf("writer %d: got record %d, want %d (lost, doubled or reordered)", w, i, next[w])
		}
		next[w]++
	}
	if syncs >= writers*each/2 {
		t.Errorf("syncs: got %d for %d appends, want group commit to need far fewer", syncs, writers*each)
	}
	for _, seg := range segs[:len(segs)-1] {
		if seg.Records < 1000 {
			t.Errorf("batch %d sealed with %d records, want at least 1000", seg.ID, seg.Records)
		}
	}
	t.Logf("%d appends, %d syncs, %d segments", writers*each, syncs, len(segs))
}

func TestSealByCount(t *testing.T) {
	s := open(t, spool.Options{SegmentRecords: 10, SegmentAge: time.Hour})
	for i := range 25 {
		appendAll(t, s, payload(i))
	}
	var counts []int
	for range 2 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		seg, err := s.Next(ctx)
		cancel()
		if err != nil {
			t.Fatalf("next: %v", err)
		}
		counts = append(counts, seg.Records)
	}
	segs, _ := drain(t, s, false)
	for _, seg := range segs {
		counts = append(counts, seg.Records)
	}
	if want := []int{10, 10, 5}; !slices.Equal(counts, want) {
		t.Errorf("segment sizes: got %v, want %v", counts, want)
	}
}

func TestSealByAge(t *testing.T) {
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		s, err := spool.Open(spool.Options{Dir: dir, SegmentAge: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		start := time.Now()
		appendAll(t, s, payload(1))
		time.Sleep(500 * time.Millisecond)
		appendAll(t, s, payload(2))
		seg, err := s.Next(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if waited := time.Since(start); waited != time.Second {
			t.Errorf("sealed after %v, want 1s after the first record", waited)
		}
		if seg.Records != 2 {
			t.Errorf("got %d records, want 2", seg.Records)
		}
	})
}

func TestReplay(t *testing.T) {
	dir := t.TempDir()
	s := open(t, spool.Options{Dir: dir})
	appendAll(t, s, payload(0), payload(1))
	if err := s.Seal(); err != nil {
		t.Fatal(err)
	}
	appendAll(t, s, payload(2))
	crashed := crashCopy(t, dir)
	appendAll(t, s, payload(3))
	s.Close()

	for _, c := range []struct {
		name string
		dir  string
		want int
	}{
		{"after close", dir, 4},
		{"after crash", crashed, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := open(t, spool.Options{Dir: c.dir})
			if st := r.Stats(); st.Records != int64(c.want) || st.Segments != 2 {
				t.Errorf("stats: got %+v, want %d records in 2 segments", st, c.want)
			}
			// New records go after the replayed ones, in a later batch.
			appendAll(t, r, payload(99))
			segs, recs := drain(t, r, true)
			if len(segs) != 3 || !segs[0].Replayed || !segs[1].Replayed || segs[2].Replayed {
				t.Fatalf("got segments %+v, want two replayed then one fresh", segs)
			}
			if !(segs[0].ID < segs[1].ID && segs[1].ID < segs[2].ID) {
				t.Errorf("batch ids not increasing: %d, %d, %d", segs[0].ID, segs[1].ID, segs[2].ID)
			}
			var want [][]byte
			for i := range c.want {
				want = append(want, payload(i))
			}
			want = append(want, payload(99))
			if !slices.EqualFunc(recs, want, bytes.Equal) {
				t.Errorf("got records %q, want %q", recs, want)
			}
		})
	}
}

func TestTornTail(t *testing.T) {
	dir := t.TempDir()
	s := open(t, spool.Options{Dir: dir})
	for i := range 3 {
		appendAll(t, s, payload(i))
	}
	base := crashCopy(t, dir)
	wal := files(t, base)[0]
	orig, err := os.ReadFile(filepath.Join(base, wal))
	if err != nil {
		t.Fatal(err)
	}
	last := len(orig) - len(payload(2)) - 8 // where the last record starts
	for _, c := range []struct {
		name string
		data []byte
		want int
	}{
		{"intact", orig, 3},
		{"cut in the last header", orig[:last+5], 2},
		{"cut in the last payload", orig[:len(orig)-1], 2},
		{"flipped bit in the last payload", flip(orig, len(orig)-3), 2},
		{"flipped bit in the last length", flip(orig, last), 2},
		{"garbage after the last record", append(slices.Clone(orig), "\x05\x00\x00\x00garbage"...), 3},
		{"zeros after the last record", append(slices.Clone(orig), make([]byte, 4096)...), 3},
		{"huge length after the last record", append(slices.Clone(orig), 0xff, 0xff, 0xff, 0x7f, 1, 2, 3, 4), 3},
		{"torn magic", orig[:5], 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := t.TempDir()
			if err := os.WriteFile(filepath.Join(d, wal), c.data, 0o640); err != nil {
				t.Fatal(err)
			}
			r := open(t, spool.Options{Dir: d})
			_, recs := drain(t, r, false)
			var want [][]byte
			for i := range c.want {
				want = append(want, payload(i))
			}
			if !slices.EqualFunc(recs, want, bytes.Equal) {
				t.Errorf("got records %q, want %q", recs, want)
			}
			// The tail is cut on disk, and appends after it read back.
			appendAll(t, r, payload(7))
			r.Close()
			r2 := open(t, spool.Options{Dir: d})
			_, recs = drain(t, r2, false)
			if want := append(want, payload(7)); !slices.EqualFunc(recs, want, bytes.Equal) {
				t.Errorf("after reopening: got records %q, want %q", recs, want)
			}
		})
	}
}

func flip(b []byte, i int) []byte {
	b = slices.Clone(b)
	b[i] ^= 0x10
	return b
}

func TestFull(t *testing.T) {
	rec := make([]byte, 92) // 100 bytes framed
	s := open(t, spool.Options{MaxBytes: 8 + 10*100})
	for range 10 {
		appendAll(t, s, rec)
	}
	before := s.Stats()
	for _, n := range []int{1, 3} {
		recs := slices.Repeat([][]byte{rec}, n)
		if err := s.Append(context.Background(), recs...); !errors.Is(err, spool.ErrFull) {
			t.Fatalf("append past the limit: got %v, want ErrFull", err)
		}
	}
	if after := s.Stats(); after != before {
		t.Errorf("a refused append changed the spool: got %+v, want %+v", after, before)
	}
	segs, recs := drain(t, s, false)
	if len(recs) != 10 {
		t.Errorf("got %d records, want the 10 accepted", len(recs))
	}
	if err := s.Append(context.Background(), rec); !errors.Is(err, spool.ErrFull) {
		t.Errorf("append before acknowledging: got %v, want ErrFull", err)
	}
	for _, seg := range segs {
		if err := s.Ack(seg); err != nil {
			t.Fatal(err)
		}
	}
	for range 10 {
		appendAll(t, s, rec)
	}
}

func TestLocked(t *testing.T) {
	s := open(t, spool.Options{})
	if _, err := spool.Open(spool.Options{Dir: s.Dir()}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("second open of one directory: got %v, want an in-use error", err)
	}
}

func TestClosedAndCancelled(t *testing.T) {
	s := open(t, spool.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Append(ctx, payload(1)); !errors.Is(err, context.Canceled) {
		t.Errorf("append with a cancelled context: got %v, want context.Canceled", err)
	}
	if st := s.Stats(); st.Records != 0 {
		t.Errorf("a cancelled append was kept: %+v", st)
	}
	appendAll(t, s, payload(2))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(context.Background(), payload(3)); !errors.Is(err, spool.ErrClosed) {
		t.Errorf("append after close: got %v, want ErrClosed", err)
	}
	// The segment sealed by Close is still there to be read.
	seg, err := s.Next(context.Background())
	if err != nil || seg.Records != 1 {
		t.Errorf("next after close: got %+v, %v, want the sealed segment", seg, err)
	}
	if _, err := s.Next(context.Background()); !errors.Is(err, spool.ErrClosed) {
		t.Errorf("next on an empty closed spool: got %v, want ErrClosed", err)
	}
}

// TestCloseAppends: a consumer drains a spool that takes no more appends,
// and the directory stays locked meanwhile.
func TestCloseAppends(t *testing.T) {
	s := open(t, spool.Options{})
	appendAll(t, s, payload(1), payload(2))
	if err := s.CloseAppends(); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(context.Background(), payload(3)); !errors.Is(err, spool.ErrClosed) {
		t.Errorf("append after CloseAppends: got %v, want ErrClosed", err)
	}
	if _, err := spool.Open(spool.Options{Dir: s.Dir()}); err == nil {
		t.Error("open while the first spool drains: got no error, want the directory locked")
	}
	_, recs := drain(t, s, true)
	if len(recs) != 2 {
		t.Errorf("drained %d records, want 2", len(recs))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	r := open(t, spool.Options{Dir: s.Dir()})
	if st := r.Stats(); st.Records != 0 {
		t.Errorf("after draining and reopening: got %+v, want an empty spool", st)
	}
}
