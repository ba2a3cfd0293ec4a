package spool

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// replay queues the segments an earlier run left, oldest first. A torn or
// corrupt tail is cut off; the segment that was being written is sealed.
func (s *Spool) replay() error {
	entries, err := os.ReadDir(s.opts.Dir)
	if err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	type found struct {
		id   uint64
		name string
	}
	var files []found
	for _, e := range entries {
		name := e.Name()
		ext := filepath.Ext(name)
		if ext != walExt && ext != sealedExt || !e.Type().IsRegular() {
			continue
		}
		id, err := strconv.ParseUint(strings.TrimSuffix(name, ext), 16, 64)
		if err != nil {
			continue // not ours
		}
		files = append(files, found{id, name})
	}
	slices.SortFunc(files, func(a, b found) int {
		if a.id != b.id {
			if a.id < b.id {
				return -1
			}
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
	changed := false
	for _, f := range files {
		s.lastID = max(s.lastID, f.id)
		path := filepath.Join(s.opts.Dir, f.name)
		seg, dirty, err := s.recover(f.id, path)
		if err != nil {
			return err
		}
		changed = changed || dirty
		if seg.Records == 0 {
			continue
		}
		s.queue = append(s.queue, seg)
		s.used += seg.Bytes
		s.records += int64(seg.Records)
		s.segments++
	}
	if changed {
		if err := syncDir(s.opts.Dir); err != nil {
			return fmt.Errorf("spool: %w", err)
		}
	}
	if len(s.queue) > 0 {
		s.signalReady()
		s.opts.Logger.Info("spool replaying segments", "segments", len(s.queue), "records", s.records)
	}
	return nil
}

// recover checks one segment file left on disk: it cuts off a torn tail,
// removes a file with no records, and seals an unsealed one. dirty tells
// that the directory changed.
func (s *Spool) recover(id uint64, path string) (seg Segment, dirty bool, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Segment{}, false, fmt.Errorf("spool: replay: %w", err)
	}
	valid, records := scan(data, nil)
	if records == 0 {
		// Nothing was synced into it before the crash, or nothing readable
		// is left: no appender was answered for it.
		if err := os.Remove(path); err != nil {
			return Segment{}, false, fmt.Errorf("spool: replay: %w", err)
		}
		if len(data) > len(magic) {
			s.opts.Logger.Warn("spool dropped a segment with no readable record", "batch", id, "bytes", len(data))
		}
		return Segment{}, true, nil
	}
	if valid < len(data) {
		if err := cut(path, int64(valid)); err != nil {
			return Segment{}, false, fmt.Errorf("spool: replay: cut torn tail of batch %d: %w", id, err)
		}
		s.opts.Logger.Warn("spool cut a torn tail", "batch", id, "records", records, "bytes_cut", len(data)-valid)
	}
	seg = Segment{ID: id, Records: records, Bytes: int64(valid), Replayed: true, path: path}
	if filepath.Ext(path) == walExt {
		seg.path = strings.TrimSuffix(path, walExt) + sealedExt
		if err := os.Rename(path, seg.path); err != nil {
			return Segment{}, false, fmt.Errorf("spool: replay: seal batch %d: %w", id, err)
		}
		dirty = true
	}
	return seg, dirty, nil
}

// cut truncates a file to size and syncs it.
func cut(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
