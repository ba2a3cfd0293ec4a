// Package demo is the sample page `varde serve --demo` shows: the job
// listings of a staffing company, carrying the Varde script.
package demo

import (
	"embed"
	"io/fs"
)

// Site is the demo's site, created at start when missing.
const Site = "demo.localhost"

//go:embed demo.html demo.css app.js marketing.js
var files embed.FS

// Files are the page and its assets.
var Files fs.FS = files
