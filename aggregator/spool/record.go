package spool

import (
	"encoding/binary"
	"hash/crc32"
)

// magic starts every segment file; the digit is the format's version.
const magic = "VSPOOL1\n"

// headerLen is the length and checksum in front of each payload.
const headerLen = 8

// MaxRecordBytes bounds one payload. A length above it in a file is read as
// corruption rather than trusted into a huge allocation.
const MaxRecordBytes = 1 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// appendRecord frames p onto dst. The checksum is taken over dst's copy so
// that neither p nor a header array escapes to the heap.
func appendRecord(dst, p []byte) []byte {
	start := len(dst)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(p)))
	dst = append(dst, 0, 0, 0, 0)
	dst = append(dst, p...)
	crc := crc32.Update(0, castagnoli, dst[start:start+4])
	crc = crc32.Update(crc, castagnoli, dst[start+headerLen:])
	binary.LittleEndian.PutUint32(dst[start+4:start+8], crc)
	return dst
}

// scan walks the records of a segment file's contents, calling fn (when not
// nil) with each payload, a slice of data. It returns the length of the
// valid prefix and the number of records in it; valid < len(data) means a
// torn or corrupt tail. A file without the magic has no valid prefix.
func scan(data []byte, fn func(p []byte)) (valid int, records int) {
	if len(data) < len(magic) || string(data[:len(magic)]) != magic {
		return 0, 0
	}
	off := len(magic)
	for len(data)-off >= headerLen {
		n := binary.LittleEndian.Uint32(data[off : off+4])
		if n > MaxRecordBytes || int(n) > len(data)-off-headerLen {
			break
		}
		end := off + headerLen + int(n)
		crc := crc32.Update(0, castagnoli, data[off:off+4])
		crc = crc32.Update(crc, castagnoli, data[off+headerLen:end])
		if crc != binary.LittleEndian.Uint32(data[off+4:off+8]) {
			break
		}
		if fn != nil {
			fn(data[off+headerLen : end : end])
		}
		off = end
		records++
	}
	return off, records
}
