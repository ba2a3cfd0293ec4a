// Package web holds varde.js, the banner and tracker script that sites
// embed: built from src/ by ./build (esbuild) into dist/varde.js, which is
// committed and embedded here. The collector serves these bytes; this
// package does no I/O and imports nothing heavy.
package web

//go:generate go run ./build

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
)

// Script is dist/varde.js. Do not modify it.
//
//go:embed dist/varde.js
var Script []byte

var (
	// Hash is a hex content hash of Script (16 characters), for
	// content-hashed URLs and cache busting.
	Hash = contentHash(Script)
	// ETag is Hash as a strong HTTP entity tag, quotes included.
	ETag = `"` + Hash + `"`
	// Gzipped is Script gzipped at the best compression, to serve with
	// Content-Encoding: gzip. Do not modify it.
	Gzipped = gzipped(Script)
	// GzipSize is len(Gzipped), the figure the size budget applies to.
	GzipSize = len(Gzipped)
)

// Budget is the most varde.js may weigh gzipped: banner, tracker, CSS and
// the nb and en texts.
const Budget = 8192

func contentHash(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(b) // writes to a bytes.Buffer do not fail
	w.Close()
	return buf.Bytes()
}
