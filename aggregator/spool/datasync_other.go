//go:build !linux

package spool

func (f osFile) Datasync() error { return f.Sync() }
