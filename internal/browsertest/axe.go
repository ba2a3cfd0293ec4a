package browsertest

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// AxeVersion is the axe-core release the accessibility checks run. It is
// fetched with `npm pack` into .cache/ at the module root when missing.
const AxeVersion = "4.14.1"

// AxeTags are the axe-core rule tags checked: WCAG 2.0, 2.1 and 2.2 at
// levels A and AA, plus axe's best practices (landmarks, heading order,
// and the like), which a banner that lands on every page should also pass.
var AxeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"}

var axeOnce = sync.OnceValues(loadAxe)

// AxeSource returns the source of axe.min.js, fetching the package first
// when .cache/axe-core-VERSION.tgz is missing.
func AxeSource() (string, error) { return axeOnce() }

func loadAxe() (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	cache := filepath.Join(root, ".cache")
	tgz := filepath.Join(cache, "axe-core-"+AxeVersion+".tgz")
	if _, err := os.Stat(tgz); err != nil {
		if err := os.MkdirAll(cache, 0o755); err != nil {
			return "", fmt.Errorf("browsertest: %w", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "npm", "pack", "axe-core@"+AxeVersion, "--pack-destination", cache)
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("browsertest: npm pack axe-core@%s: %v\n%s", AxeVersion, err, tail(out))
		}
	}
	f, err := os.Open(tgz)
	if err != nil {
		return "", fmt.Errorf("browsertest: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return "", fmt.Errorf("browsertest: %s: %w", tgz, err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return "", fmt.Errorf("browsertest: %s has no package/axe.min.js", tgz)
		}
		if err != nil {
			return "", fmt.Errorf("browsertest: %s: %w", tgz, err)
		}
		if h.Name == "package/axe.min.js" {
			b, err := io.ReadAll(tr)
			if err != nil {
				return "", fmt.Errorf("browsertest: %s: %w", tgz, err)
			}
			return string(b), nil
		}
	}
}

// Violation is one failed axe-core rule and the elements that fail it.
type Violation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"` // CSS target and axe's failure summary
}

func (v Violation) String() string {
	return fmt.Sprintf("%s (%s): %s\n    %s", v.ID, v.Impact, v.Help, strings.Join(v.Nodes, "\n    "))
}

// Axe injects axe-core (once per document) and runs it on the whole page
// with AxeTags, returning the violations.
func (p *Page) Axe() []Violation {
	p.t.Helper()
	src, err := AxeSource()
	if err != nil {
		p.t.Fatalf("axe: %v", err)
	}
	var loaded bool
	p.Eval(`typeof axe !== 'undefined'`, &loaded)
	if !loaded {
		p.Eval(src+"\n;true", nil)
	}
	tags, _ := json.Marshal(AxeTags)
	var vs []Violation
	p.Eval(`axe.run(document, {runOnly: {type: 'tag', values: `+string(tags)+`}, resultTypes: ['violations']}).then(r => r.violations.map(v => ({
		id: v.id, impact: v.impact || '', help: v.help,
		nodes: v.nodes.map(n => n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\s+/g, ' '))
	})))`, &vs)
	return vs
}

// AssertNoAxeViolations fails the test, listing each rule and element,
// when axe-core finds any violation on the page; where names the state
// of the page in the message.
func (p *Page) AssertNoAxeViolations(where string) {
	p.t.Helper()
	vs := p.Axe()
	if len(vs) == 0 {
		return
	}
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, "\n  %s", v)
	}
	p.t.Errorf("axe-core %s: got %d violations, want 0:%s", where, len(vs), b.String())
}
