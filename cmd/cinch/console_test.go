package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestServeConsole: cinch serve serves the web console at /ui/ and says
// where; --no-ui turns it off.
func TestServeConsole(t *testing.T) {
	dir := t.TempDir()
	c := runner{t: t, dir: dir}
	c.ok("init")
	get := func(base, path string) (int, string) {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	srv := startServe(t, dir)
	if st, body := get(srv.base, "/ui/"); st != 200 || !strings.Contains(body, `<script type="module" src="js/main.js">`) {
		t.Errorf("/ui/: %d %.200s", st, body)
	}
	if st, _ := get(srv.base, "/ui/js/main.js"); st != 200 {
		t.Errorf("/ui/js/main.js: %d", st)
	}
	if !strings.Contains(srv.log.String(), "web console on "+srv.base+"/ui/") {
		t.Errorf("serve does not say where the console is:\n%s", srv.log)
	}
	off := startServe(t, dir, "--no-ui")
	if st, body := get(off.base, "/ui/"); st != 404 || !strings.Contains(body, "route_not_found") {
		t.Errorf("--no-ui: /ui/ is %d %.200s", st, body)
	}
}
