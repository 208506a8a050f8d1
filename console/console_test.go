package console_test

import (
	"context"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cinchdb/cinch/apikey"
	"github.com/cinchdb/cinch/console"
	"github.com/cinchdb/cinch/local"
	"github.com/cinchdb/cinch/server"
)

// serve runs a real server over a fresh project with the console mounted.
func serve(t *testing.T) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	if err := local.Init(ctx, dir, ""); err != nil {
		t.Fatal(err)
	}
	p, err := local.Open(ctx, local.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	srv := server.New(p, apikey.ForProject(p), server.Config{UI: console.Handler()})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts
}

func get(t *testing.T, ts *httptest.Server, method, path string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, ts.URL+path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	c := ts.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestHandler_ServesTheConsoleWithoutAKey(t *testing.T) {
	ts := serve(t)
	resp, _ := get(t, ts, "GET", "/ui", nil)
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/ui/" {
		t.Fatalf("/ui: %d %v", resp.StatusCode, resp.Header)
	}
	for path, ctype := range map[string]string{
		"/ui/":              "text/html; charset=utf-8",
		"/ui/console.css":   "text/css; charset=utf-8",
		"/ui/js/main.js":    "text/javascript; charset=utf-8",
		"/ui/js/charts.js":  "text/javascript; charset=utf-8",
		"/ui/js/tenants.js": "text/javascript; charset=utf-8",
	} {
		resp, body := get(t, ts, "GET", path, nil)
		h := resp.Header
		if resp.StatusCode != 200 || h.Get("Content-Type") != ctype || body == "" {
			t.Errorf("%s: %d %q %d bytes", path, resp.StatusCode, h.Get("Content-Type"), len(body))
		}
		if h.Get("Content-Security-Policy") != console.ContentSecurityPolicy || h.Get("X-Content-Type-Options") != "nosniff" ||
			h.Get("Cache-Control") != "no-cache" || h.Get("ETag") == "" || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", path, h)
		}
		// Revalidation: the same ETag is a 304 with no body.
		resp, body = get(t, ts, "GET", path, map[string]string{"If-None-Match": h.Get("ETag")})
		if resp.StatusCode != http.StatusNotModified || body != "" {
			t.Errorf("%s with its ETag: %d %q", path, resp.StatusCode, body)
		}
	}
	if resp, _ := get(t, ts, "GET", "/ui/nope.js", nil); resp.StatusCode != 404 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("unknown file: %d %v", resp.StatusCode, resp.Header)
	}
	if resp, _ := get(t, ts, "POST", "/ui/", nil); resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: %d %v", resp.StatusCode, resp.Header)
	}
	if resp, body := get(t, ts, "HEAD", "/ui/", nil); resp.StatusCode != 200 || body != "" {
		t.Errorf("HEAD: %d %q", resp.StatusCode, body)
	}
	// The API is the same server's, and still wants a key.
	if resp, _ := get(t, ts, "GET", "/v1/whoami", nil); resp.StatusCode != 401 {
		t.Errorf("whoami without a key: %d", resp.StatusCode)
	}
}

// TestStatic_CSPClean checks what the Content-Security-Policy would
// otherwise break at run time, and what no-CDN promises: no inline script
// or style, no event-handler attributes, no innerHTML, nothing loaded from
// another origin, and every module import resolving to an embedded file.
func TestStatic_CSPClean(t *testing.T) {
	root := "static"
	inlineScript := regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`)
	handlerAttr := regexp.MustCompile(`(?i)<[^>]+\son[a-z]+\s*=`)
	styleAttr := regexp.MustCompile(`(?i)<[^>]+\sstyle\s*=|<style`)
	remote := regexp.MustCompile(`(?i)(src|href)\s*=\s*"(https?:)?//`)
	imports := regexp.MustCompile(`(?m)^import .* from "([^"]+)";`)
	n := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		src := strings.ReplaceAll(string(data), `"http://www.w3.org/2000/svg"`, "") // a namespace, not a URL to load
		switch filepath.Ext(p) {
		case ".html":
			for _, re := range []*regexp.Regexp{inlineScript, handlerAttr, styleAttr, remote} {
				if m := re.FindString(src); m != "" {
					t.Errorf("%s: %q breaks the CSP or loads from elsewhere", p, m)
				}
			}
		case ".js":
			for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "localStorage", "http://", "https://"} {
				if strings.Contains(src, bad) {
					t.Errorf("%s uses %s", p, bad)
				}
			}
			for _, m := range imports.FindAllStringSubmatch(src, -1) {
				if _, err := os.Stat(filepath.Join(filepath.Dir(p), m[1])); err != nil {
					t.Errorf("%s imports %s, which is not embedded", p, m[1])
				}
			}
		}
		return nil
	})
	if err != nil || n < 5 {
		t.Fatalf("walking %s: %v (%d files)", root, err, n)
	}
}
