package spool

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// segFile is what a segment is written through: an *os.File, or in tests a
// file that plays a full disk.
type segFile interface {
	io.Writer
	// Datasync makes the written bytes durable (fdatasync where there is one).
	Datasync() error
	Truncate(size int64) error
	Close() error
}

type osFile struct{ *os.File }

func createFile(path string) (segFile, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

// syncDir makes the directory's entries (a new file's name) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// lockDir takes an exclusive lock on dir/LOCK, so that two processes (or two
// spools in one process) never write the same segments. The kernel drops
// the lock when the process dies, however it dies.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("spool: %s is in use by another spool: %w", dir, err)
	}
	return f, nil
}
