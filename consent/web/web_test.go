package web

import (
	"bytes"
	"testing"

	"github.com/varde/varde/consent/web/internal/bundle"
)

func TestDistUpToDate(t *testing.T) {
	got, err := bundle.Build(".")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, Script) {
		t.Fatalf("dist/varde.js is stale (%d bytes committed, %d built from src/ and ../texts/): run go generate ./consent/web", len(Script), len(got))
	}
}

func TestSizeBudget(t *testing.T) {
	t.Logf("varde.js: %d bytes, %d bytes gzipped", len(Script), GzipSize)
	if GzipSize > Budget {
		t.Errorf("varde.js is %d bytes gzipped, over the budget of %d", GzipSize, Budget)
	}
}

func TestETag(t *testing.T) {
	if len(Hash) != 16 || ETag != `"`+Hash+`"` {
		t.Errorf("got Hash %q and ETag %s, want 16 hex characters, quoted in the ETag", Hash, ETag)
	}
}
