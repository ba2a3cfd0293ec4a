package spool

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ErrFull means the spool holds its limit of unacknowledged bytes, or the
// disk is full: nothing of the refused append was kept. The caller should
// answer "try again later" (HTTP 503 with Retry-After).
var ErrFull = errors.New("spool: full")

// ErrClosed is returned by calls on a closed spool.
var ErrClosed = errors.New("spool: closed")

// Options configures a spool. Zero fields take the defaults stated here,
// filled in by fill.
type Options struct {
	// Dir holds the segment files; it is created if missing. Required.
	Dir string
	// SegmentRecords seals a segment once it holds at least this many
	// records (a group commit may carry it a little past). Default: 10,000.
	SegmentRecords int
	// SegmentAge seals a segment this long after its first record, so that
	// records reach the consumer even when traffic is light. Default: 1 s.
	SegmentAge time.Duration
	// SegmentBytes seals a segment once it holds this many bytes, bounding
	// what the consumer reads into memory at once. Default: 32 MiB.
	SegmentBytes int64
	// MaxBytes bounds the unacknowledged bytes on disk; an append that
	// would go past it gets ErrFull. Default: 256 MiB.
	MaxBytes int64
	// Logger hears about segments repaired at Open and failed writes.
	// Default: discard.
	Logger *slog.Logger

	// create opens a new segment file; tests replace it to play a full disk.
	create func(path string) (segFile, error)
}

func (o *Options) fill() error {
	if o.Dir == "" {
		return errors.New("spool: no directory given")
	}
	if o.SegmentRecords <= 0 {
		o.SegmentRecords = 10_000
	}
	if o.SegmentAge <= 0 {
		o.SegmentAge = time.Second
	}
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = 32 << 20
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 256 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.create == nil {
		o.create = createFile
	}
	return nil
}

// Segment is a sealed segment, handed to the consumer by Next.
type Segment struct {
	// ID is the batch identity: unique within the spool, across restarts.
	ID uint64
	// Records and Bytes are what the segment holds (Bytes as on disk).
	Records int
	Bytes   int64
	// Replayed marks a segment found on disk at Open: an earlier run may
	// have stored some or all of it without acknowledging it.
	Replayed bool
	path     string
}

// Stats is what the spool holds that its consumer has not acknowledged.
type Stats struct {
	Bytes    int64 // on disk, and pending the next write
	Records  int64
	Segments int   // sealed, and the one being written if it has records
	Syncs    int64 // fdatasync calls since Open: far fewer than appends under load
}

// Spool is a write-ahead log of records in segment files. Append is safe
// for concurrent use; one goroutine, started by Open and stopped by Close,
// writes everything pending, syncs once and answers every waiting appender
// (group commit).
type Spool struct {
	opts Options
	lock *os.File

	mu       sync.Mutex
	pending  []byte  // framed records for the next write
	pendRecs int     // records in pending
	next     *commit // the write pending goes out in; nil when nothing is pending
	used     int64   // unacknowledged bytes: on disk plus pending
	records  int64   // unacknowledged records
	segments int     // segment files with records, not acknowledged
	queue    []Segment
	closed   bool

	kick     chan struct{}   // something is pending (capacity 1)
	ready    chan struct{}   // the queue is not empty (capacity 1)
	ctl      chan chan error // seal requests
	quit     chan chan error // the close request
	done     chan struct{}   // the committer has returned
	shutdown chan struct{}   // closed by CloseAppends, wakes Next
	unlock   sync.Once
	syncs    atomic.Int64

	// Owned by the committer goroutine.
	cur      segFile
	curID    uint64
	curRecs  int
	curBytes int64
	lastID   uint64
	spare    []byte
	timer    *time.Timer
}

// commit is one write-and-sync; its appenders wait on done.
type commit struct {
	done chan struct{}
	err  error
}

// Open opens or creates the spool in opts.Dir. Segments left by an earlier
// run (sealed, or the one being written when it stopped, which is sealed
// now) are queued for Next in the order they were written, with torn tails
// cut off.
func Open(opts Options) (*Spool, error) {
	if err := opts.fill(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	lock, err := lockDir(opts.Dir)
	if err != nil {
		return nil, err
	}
	s := &Spool{
		opts:     opts,
		lock:     lock,
		kick:     make(chan struct{}, 1),
		ready:    make(chan struct{}, 1),
		ctl:      make(chan chan error),
		quit:     make(chan chan error),
		done:     make(chan struct{}),
		shutdown: make(chan struct{}),
		timer:    time.NewTimer(time.Hour),
	}
	s.timer.Stop()
	if err := s.replay(); err != nil {
		lock.Close()
		return nil, err
	}
	go s.run()
	return s, nil
}

// Append writes the payloads as records and returns once they are on disk.
// It batches with concurrent appenders into one write and one fdatasync.
// Past the size limit it returns ErrFull at once and writes nothing; a full
// disk also gives an error that is ErrFull. When ctx ends first, Append
// returns its error but the records may still be written and delivered.
func (s *Spool) Append(ctx context.Context, payloads ...[]byte) error {
	if len(payloads) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("spool: append: %w", err)
	}
	n := 0
	for _, p := range payloads {
		if len(p) > MaxRecordBytes {
			return fmt.Errorf("spool: a record of %d bytes is over the limit of %d", len(p), MaxRecordBytes)
		}
		n += headerLen + len(p)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if s.used+int64(n) > s.opts.MaxBytes {
		s.mu.Unlock()
		return ErrFull
	}
	s.used += int64(n)
	s.records += int64(len(payloads))
	for _, p := range payloads {
		s.pending = appendRecord(s.pending, p)
	}
	s.pendRecs += len(payloads)
	c := s.next
	if c == nil {
		c = &commit{done: make(chan struct{})}
		s.next = c
	}
	s.mu.Unlock()
	select {
	case s.kick <- struct{}{}:
	default: // the committer is already told
	}
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		return fmt.Errorf("spool: append: %w", ctx.Err())
	}
}

// Seal seals the segment being written, if it has records, and queues it
// for Next. Records appended before the call are in it.
func (s *Spool) Seal() error {
	reply := make(chan error, 1)
	select {
	case s.ctl <- reply:
		return <-reply
	case <-s.done:
		return ErrClosed
	}
}

// Next waits for the next sealed segment, in order. Each segment is handed
// out once per Open; the consumer keeps it until it has acknowledged it
// (once). After CloseAppends, an empty queue gives ErrClosed.
func (s *Spool) Next(ctx context.Context) (Segment, error) {
	for {
		if seg, ok := s.TryNext(); ok {
			return seg, nil
		}
		select {
		case <-s.ready:
		case <-s.shutdown:
			if seg, ok := s.TryNext(); ok {
				return seg, nil
			}
			return Segment{}, ErrClosed
		case <-ctx.Done():
			return Segment{}, ctx.Err()
		}
	}
}

// TryNext is Next without waiting.
func (s *Spool) TryNext() (Segment, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 {
		return Segment{}, false
	}
	seg := s.queue[0]
	s.queue[0] = Segment{}
	s.queue = s.queue[1:]
	if len(s.queue) > 0 {
		s.signalReady()
	}
	return seg, true
}

func (s *Spool) signalReady() {
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// Read returns the payloads of a sealed segment, in the order they were
// appended. They share one buffer. When fewer records than the segment held
// can be read (the file was damaged after it was written), Read returns
// those it could read and an error.
func (s *Spool) Read(seg Segment) ([][]byte, error) {
	data, err := os.ReadFile(seg.path)
	if err != nil {
		return nil, fmt.Errorf("spool: read batch %d: %w", seg.ID, err)
	}
	out := make([][]byte, 0, seg.Records)
	scan(data, func(p []byte) { out = append(out, p) })
	if len(out) != seg.Records {
		return out, fmt.Errorf("spool: read batch %d: %d of its %d records are readable", seg.ID, len(out), seg.Records)
	}
	return out, nil
}

// Ack tells that a segment is safely stored: its file is deleted and its
// bytes no longer count against the limit.
func (s *Spool) Ack(seg Segment) error {
	if err := os.Remove(seg.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("spool: ack batch %d: %w", seg.ID, err)
	}
	// Losing the removal in a crash is harmless: the segment is replayed
	// and its consumer finds its records already stored. So no dir sync.
	s.mu.Lock()
	s.used -= seg.Bytes
	s.records -= int64(seg.Records)
	s.segments--
	s.mu.Unlock()
	return nil
}

// Stats reports what the spool holds.
func (s *Spool) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{Bytes: s.used, Records: s.records, Segments: s.segments, Syncs: s.syncs.Load()}
}

// CloseAppends refuses further appends (ErrClosed), writes what is pending
// and seals the last segment. The segments stay readable through Next,
// TryNext, Read and Ack, and the directory stays locked, until Close: a
// consumer can drain the spool knowing that nothing more will come.
func (s *Spool) CloseAppends() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.done
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	reply := make(chan error, 1)
	s.quit <- reply
	err := <-reply
	<-s.done
	close(s.shutdown)
	return err
}

// Close is CloseAppends, then releases the directory. Segments not yet
// acknowledged stay on disk for the next Open.
func (s *Spool) Close() error {
	err := s.CloseAppends()
	s.unlock.Do(func() {
		if lerr := s.lock.Close(); err == nil && lerr != nil {
			err = fmt.Errorf("spool: %w", lerr)
		}
	})
	return err
}

// run is the committer: the one goroutine that writes segment files.
func (s *Spool) run() {
	defer close(s.done)
	for {
		select {
		case <-s.kick:
			s.commitPending()
		case <-s.timer.C:
			s.commitPending()
			s.sealCurrent()
		case reply := <-s.ctl:
			s.commitPending()
			reply <- s.sealCurrent()
		case reply := <-s.quit:
			s.commitPending()
			reply <- s.sealCurrent()
			return
		}
	}
}

// maxSpare is the largest write buffer kept for reuse.
const maxSpare = 4 << 20

// commitPending writes everything appended so far in one write and one
// fdatasync, then wakes the appenders.
func (s *Spool) commitPending() {
	s.mu.Lock()
	c, buf, recs := s.next, s.pending, s.pendRecs
	if c == nil {
		s.mu.Unlock()
		return
	}
	s.pending, s.pendRecs, s.next = s.spare[:0], 0, nil
	s.spare = nil
	s.mu.Unlock()

	c.err = s.write(buf, recs)
	if c.err != nil {
		s.mu.Lock()
		s.used -= int64(len(buf))
		s.records -= int64(recs)
		s.mu.Unlock()
		s.opts.Logger.Error("spool write failed", "records", recs, "err", c.err)
	}
	close(c.done)
	if cap(buf) <= maxSpare {
		s.spare = buf
	}
	if s.cur != nil && (s.curRecs >= s.opts.SegmentRecords || s.curBytes >= s.opts.SegmentBytes) {
		s.sealCurrent()
	}
}

// write appends framed records to the current segment, creating one when
// needed, and syncs. On failure the segment is given up: what it held
// before stays (sealed), and the next write starts a new file, because a
// file whose write or sync failed cannot be trusted with more.
func (s *Spool) write(buf []byte, recs int) error {
	fresh := s.cur == nil
	if fresh {
		if err := s.create(); err != nil {
			return err
		}
	}
	if _, err := s.cur.Write(buf); err != nil {
		s.abandon()
		return ioError("write", err)
	}
	if err := s.cur.Datasync(); err != nil {
		s.abandon()
		return ioError("sync", err)
	}
	s.syncs.Add(1)
	if fresh {
		// The new file's name must survive a crash as well as its data.
		if err := syncDir(s.opts.Dir); err != nil {
			s.abandon()
			return ioError("sync directory", err)
		}
	}
	if s.curRecs == 0 {
		s.timer.Reset(s.opts.SegmentAge)
		s.mu.Lock()
		s.segments++
		s.mu.Unlock()
	}
	s.curRecs += recs
	s.curBytes += int64(len(buf))
	return nil
}

// create starts a new segment file with its magic, to be synced with its
// first records.
func (s *Spool) create() error {
	id := uint64(time.Now().UnixMicro())
	if id <= s.lastID {
		id = s.lastID + 1
	}
	s.lastID = id
	path := s.path(id, walExt)
	f, err := s.opts.create(path)
	if err != nil {
		return ioError("create segment", err)
	}
	if _, err := io.WriteString(f, magic); err != nil {
		f.Close()
		os.Remove(path)
		return ioError("create segment", err)
	}
	s.cur, s.curID, s.curRecs, s.curBytes = f, id, 0, int64(len(magic))
	s.mu.Lock()
	s.used += int64(len(magic))
	s.mu.Unlock()
	return nil
}

// abandon gives up the current segment after a failed write or sync: it
// cuts the file back to the records already synced and seals it, or
// removes it when it has none.
func (s *Spool) abandon() {
	if err := s.cur.Truncate(s.curBytes); err != nil {
		// The reader stops at the torn tail; the records before it were
		// synced.
		s.opts.Logger.Warn("spool: cannot cut back a failed write", "batch", s.curID, "err", err)
	}
	s.sealCurrent()
}

// sealCurrent closes the current segment and queues it for Next.
func (s *Spool) sealCurrent() error {
	s.timer.Stop()
	if s.cur == nil {
		return nil
	}
	f, id := s.cur, s.curID
	s.cur = nil
	err := f.Close()
	wal := s.path(id, walExt)
	if s.curRecs == 0 {
		os.Remove(wal)
		s.mu.Lock()
		s.used -= s.curBytes
		s.mu.Unlock()
		return err
	}
	seg := Segment{ID: id, Records: s.curRecs, Bytes: s.curBytes, path: s.path(id, sealedExt)}
	// The rename need not be synced: a segment that comes back as .wal
	// after a crash is sealed again, under the same id, at Open.
	if rerr := os.Rename(wal, seg.path); rerr != nil {
		seg.path = wal
		err = errors.Join(err, rerr)
	}
	s.mu.Lock()
	s.queue = append(s.queue, seg)
	s.signalReady()
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("spool: seal batch %d: %w", id, err)
	}
	return nil
}

// ioError wraps a file error; a full disk or quota is also ErrFull.
func ioError(op string, err error) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return fmt.Errorf("spool: %s: %w: %w", op, ErrFull, err)
	}
	return fmt.Errorf("spool: %s: %w", op, err)
}

const (
	walExt    = ".wal"
	sealedExt = ".seg"
)

func (s *Spool) path(id uint64, ext string) string {
	return filepath.Join(s.opts.Dir, fmt.Sprintf("%016x%s", id, ext))
}

// Dir is the spool's directory.
func (s *Spool) Dir() string { return s.opts.Dir }
