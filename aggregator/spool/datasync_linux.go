package spool

import "syscall"

// Datasync uses fdatasync: the data and the size, without the timestamps
// that fsync would also write.
func (f osFile) Datasync() error {
	return syscall.Fdatasync(int(f.Fd()))
}
