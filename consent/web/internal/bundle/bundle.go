// Package bundle builds varde.js from consent/web/src with esbuild: the
// JavaScript modules bundled and minified into one IIFE for ES2017, the
// CSS minified and injected as a string, and the built-in nb and en texts
// injected from consent/texts, the files the server's defaults come from.
//
// Only the build program and the staleness test use it, so esbuild never
// ends up in the varde binary.
package bundle

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

// Languages whose texts ship inside the script, for the first paint and
// as the fallback of any key the banner config lacks. Every other
// language comes with the config; the size budget has room for two.
var Languages = []string{"nb", "en"}

// Build returns varde.js built from webDir (consent/web). It reads
// webDir/src and webDir/../texts and writes nothing.
func Build(webDir string) ([]byte, error) {
	src := filepath.Join(webDir, "src")
	texts, err := builtinTexts(filepath.Join(webDir, "..", "texts"))
	if err != nil {
		return nil, err
	}
	css, err := minifyCSS(filepath.Join(src, "banner.css"))
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(src)
	if err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	res := api.Build(api.BuildOptions{
		EntryPoints:       []string{filepath.Join(abs, "main.js")},
		AbsWorkingDir:     abs,
		Bundle:            true,
		Write:             false,
		Format:            api.FormatIIFE,
		Target:            api.ES2017,
		MinifyWhitespace:  true,
		MinifyIdentifiers: true,
		MinifySyntax:      true,
		Charset:           api.CharsetUTF8, // æøå as themselves: fewer bytes than \u escapes
		LegalComments:     api.LegalCommentsNone,
		Define: map[string]string{
			"__VARDE_TEXTS__": texts,
			"__VARDE_CSS__":   css,
		},
		LogLevel: api.LogLevelSilent,
	})
	if err := buildErr("bundle varde.js", res.Errors); err != nil {
		return nil, err
	}
	if len(res.OutputFiles) != 1 {
		return nil, fmt.Errorf("bundle: esbuild wrote %d files, want 1", len(res.OutputFiles))
	}
	return res.OutputFiles[0].Contents, nil
}

// builtinTexts returns {"nb":{...},"en":{...}} as JSON for Define, from
// the "texts" object of dir/LANG.json, and checks that both languages
// have the same keys so no text is missing at first paint.
func builtinTexts(dir string) (string, error) {
	all := make(map[string]map[string]string, len(Languages))
	var keys []string
	for _, lang := range Languages {
		b, err := os.ReadFile(filepath.Join(dir, lang+".json"))
		if err != nil {
			return "", fmt.Errorf("bundle: built-in texts: %w", err)
		}
		var f struct {
			Texts map[string]string `json:"texts"`
		}
		if err := json.Unmarshal(b, &f); err != nil {
			return "", fmt.Errorf("bundle: built-in texts %s: %w", lang, err)
		}
		if len(f.Texts) == 0 {
			return "", fmt.Errorf("bundle: built-in texts %s: no \"texts\" object", lang)
		}
		k := sortedKeys(f.Texts)
		if keys != nil && !slices.Equal(k, keys) {
			return "", fmt.Errorf("bundle: built-in texts: %s has keys %s, %s has %s", Languages[0], strings.Join(keys, ","), lang, strings.Join(k, ","))
		}
		keys = k
		all[lang] = f.Texts
	}
	b, err := json.Marshal(all) // map keys sorted: the output is deterministic
	if err != nil {
		return "", fmt.Errorf("bundle: built-in texts: %w", err)
	}
	return string(b), nil
}

func sortedKeys(m map[string]string) []string {
	k := make([]string, 0, len(m))
	for key := range m {
		k = append(k, key)
	}
	slices.Sort(k)
	return k
}

// minifyCSS returns the minified style sheet as a JSON string literal.
func minifyCSS(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("bundle: %w", err)
	}
	res := api.Transform(string(b), api.TransformOptions{
		Loader:           api.LoaderCSS,
		MinifyWhitespace: true,
		MinifySyntax:     true,
		Charset:          api.CharsetUTF8,
		// The browsers that run ES2017: inset and the like get lowered.
		Engines: []api.Engine{
			{Name: api.EngineChrome, Version: "61"},
			{Name: api.EngineFirefox, Version: "60"},
			{Name: api.EngineSafari, Version: "11"},
			{Name: api.EngineEdge, Version: "79"},
		},
		LogLevel: api.LogLevelSilent,
	})
	if err := buildErr("minify banner.css", res.Errors); err != nil {
		return "", err
	}
	s, err := json.Marshal(strings.TrimSpace(string(res.Code)))
	if err != nil {
		return "", fmt.Errorf("bundle: %w", err)
	}
	return string(s), nil
}

func buildErr(what string, msgs []api.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	var b strings.Builder
	for _, m := range msgs {
		if m.Location != nil {
			fmt.Fprintf(&b, "\n%s:%d:%d: %s", m.Location.File, m.Location.Line, m.Location.Column, m.Text)
		} else {
			fmt.Fprintf(&b, "\n%s", m.Text)
		}
	}
	return fmt.Errorf("bundle: %s:%s", what, b.String())
}
