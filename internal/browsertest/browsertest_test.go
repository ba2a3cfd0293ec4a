package browsertest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
)

var shared Shared

func TestMain(m *testing.M) {
	code := m.Run()
	shared.Close()
	os.Exit(code)
}

func TestPageBasics(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ping" {
			w.WriteHeader(http.StatusAccepted)
			return
		}
		fmt.Fprint(w, `<!doctype html><html lang="en"><title>t</title><main><h1>Hi</h1><button id="b" onclick="navigator.sendBeacon('/ping', 'x=1')">Go</button></main></html>`)
	}))
	defer srv.Close()
	p := shared.Page(t)
	p.Navigate(srv.URL)
	p.Click("#b")
	r := p.WaitRequest("beacon", Post("/ping"))
	if r.Status != http.StatusAccepted || r.Body != "x=1" || r.Type != "Ping" {
		t.Errorf("beacon: got %s body %q, want 202 Ping with x=1", r, r.Body)
	}
}
