// Command build writes dist/varde.js from src/ (run by go generate in
// consent/web). The file is committed; a test in package web fails when
// it is stale.
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/varde/varde/consent/web/internal/bundle"
)

func main() {
	dir := flag.String("dir", ".", "the consent/web directory")
	flag.Parse()
	js, err := bundle.Build(*dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out := filepath.Join(*dir, "dist", "varde.js")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "build:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(out, js, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "build:", err)
		os.Exit(1)
	}
	var gz bytes.Buffer
	w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	w.Write(js)
	w.Close()
	fmt.Printf("%s: %d bytes, %d bytes gzipped\n", out, len(js), gz.Len())
}
