package server_test

// HTTP conventions (issue 10, item 6): request ids, gzip, JSON bodies only,
// CORS, limit messages that name the serve flag, the tenant-key header in
// encryption errors, and no tenant counts for tenant-scoped keys.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/server"
)

// syncBuffer is a log destination safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// raw sends a request with the given headers and no transparent gzip, and
// returns the response with its body read.
func (e *env) raw(method, path string, headers map[string]string, body string) (*http.Response, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, data
}

func errorOf(t *testing.T, data []byte) server.ErrorDetail {
	t.Helper()
	var eb server.ErrorBody
	if err := json.Unmarshal(data, &eb); err != nil {
		t.Fatalf("error body is not JSON: %s", data)
	}
	return eb.Error
}

const acmeQuery = "/v1/databases/main/branches/main/tenants/acme/query"

func TestRequestID(t *testing.T) {
	logs := &syncBuffer{}
	e := newEnv(t, server.Config{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	auth := map[string]string{"Authorization": "Bearer " + e.keys["full"]}

	// None given: a UUID v7, on success and on errors alike.
	var seen []string
	for _, path := range []string{"/v1/health", "/v1/nope", "/v1/databases/main/branches"} {
		resp, _ := e.raw("GET", path, auth, "")
		id := resp.Header.Get("X-Request-Id")
		u, err := uuid.Parse(id)
		if err != nil || u.Version() != 7 {
			t.Errorf("GET %s: X-Request-Id %q is not a UUID v7", path, id)
		}
		seen = append(seen, id)
	}
	if seen[0] == seen[1] || seen[1] == seen[2] {
		t.Errorf("request ids repeat: %v", seen)
	}
	// A sane one is echoed and logged.
	resp, _ := e.raw("GET", "/v1/health", map[string]string{"X-Request-Id": "trace-42:a/b+c=@d_e.f"}, "")
	if got := resp.Header.Get("X-Request-Id"); got != "trace-42:a/b+c=@d_e.f" {
		t.Errorf("sane id not echoed: %q", got)
	}
	if !strings.Contains(logs.String(), `request_id="trace-42:a/b+c=@d_e.f"`) {
		t.Errorf("request log lacks the id:\n%s", logs)
	}
	for _, id := range seen {
		if !strings.Contains(logs.String(), "request_id="+id) {
			t.Errorf("request log lacks generated id %s", id)
		}
	}
	// Unsafe ones are replaced, never echoed or logged.
	for _, bad := range []string{strings.Repeat("a", 129), "a b", "x\"y", "<script>", "a\tb", "é"} {
		resp, _ := e.raw("GET", "/v1/health", map[string]string{"X-Request-Id": bad}, "")
		got := resp.Header.Get("X-Request-Id")
		if got == bad {
			t.Errorf("unsafe id %q echoed", bad)
		}
		if _, err := uuid.Parse(got); err != nil {
			t.Errorf("unsafe id %q: replacement %q is not a UUID", bad, got)
		}
	}
	if strings.Contains(logs.String(), "<script>") {
		t.Error("an unsafe id reached the log")
	}
}

func TestGzip(t *testing.T) {
	e := newEnv(t, server.Config{})
	plainResp, plain := e.raw("GET", "/v1/openapi.json", nil, "")
	if plainResp.Header.Get("Content-Encoding") != "" {
		t.Fatalf("compressed without Accept-Encoding: %v", plainResp.Header)
	}
	if !strings.Contains(plainResp.Header.Get("Vary"), "Accept-Encoding") {
		t.Errorf("uncompressed JSON lacks Vary: Accept-Encoding: %v", plainResp.Header)
	}
	for _, ae := range []string{"gzip", "deflate, gzip;q=0.5", "br;q=1.0, *;q=0.1", "GZIP"} {
		resp, body := e.raw("GET", "/v1/openapi.json", map[string]string{"Accept-Encoding": ae}, "")
		if resp.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q", ae, resp.Header.Get("Content-Encoding"))
			continue
		}
		if !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") || resp.Header.Get("X-Request-Id") == "" {
			t.Errorf("Accept-Encoding %q: headers %v", ae, resp.Header)
		}
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		unzipped, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(unzipped, plain) || len(body) >= len(plain) {
			t.Errorf("Accept-Encoding %q: gzip body (%d bytes) does not decode to the plain one (%d bytes)", ae, len(body), len(plain))
		}
	}
	for _, ae := range []string{"identity", "gzip;q=0", "*;q=0", "br", ""} {
		resp, body := e.raw("GET", "/v1/openapi.json", map[string]string{"Accept-Encoding": ae}, "")
		if resp.Header.Get("Content-Encoding") != "" || !bytes.Equal(body, plain) {
			t.Errorf("Accept-Encoding %q: compressed anyway (%v)", ae, resp.Header)
		}
	}
	// Small JSON bodies and non-JSON bodies stay as they are.
	resp, body := e.raw("GET", "/v1/health", map[string]string{"Accept-Encoding": "gzip"}, "")
	if resp.Header.Get("Content-Encoding") != "" || !strings.Contains(string(body), `"ok"`) {
		t.Errorf("health: %v %s", resp.Header, body)
	}
	resp, _ = e.raw("DELETE", "/v1/databases/main/branches/main/tenants/acme", map[string]string{
		"Accept-Encoding": "gzip", "Authorization": "Bearer " + e.keys["full"]}, "")
	if resp.StatusCode != 204 || resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("204: %d %v", resp.StatusCode, resp.Header)
	}
	// The Go client's transport asks for gzip and decodes it transparently.
	r := e.do("GET", "/v1/openapi.json", "", nil)
	if !bytes.Equal(r.body, plain) {
		t.Errorf("transparent gzip: %d bytes, want %d", len(r.body), len(plain))
	}
}

// TestGzip_Streaming proves that a handler writing its JSON in pieces with
// Flush reaches a gzip client piece by piece: the handler waits for the
// client to have decoded the first piece before writing the second.
func TestGzip_Streaming(t *testing.T) {
	e := newEnv(t, server.Config{})
	first := `{"columns":["n"],"rows":[[1]`
	gotFirst := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(200)
		io.WriteString(w, first)
		f, ok := w.(http.Flusher)
		if !ok {
			t.Error("the response writer is not an http.Flusher")
			return
		}
		f.Flush()
		select {
		case <-gotFirst:
		case <-time.After(10 * time.Second):
			t.Error("the client never decoded the flushed piece")
			return
		}
		for i := 2; i <= 3; i++ {
			io.WriteString(w, ",["+string(rune('0'+i))+"]")
			if err := http.NewResponseController(w).Flush(); err != nil {
				t.Errorf("ResponseController.Flush: %v", err)
			}
		}
		io.WriteString(w, `],"rows_affected":0,"truncated":false}`)
	})
	ts := httptest.NewServer(e.srv.Observe(h))
	defer ts.Close()
	req, _ := http.NewRequest("POST", ts.URL, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("streamed JSON not gzipped: %v", resp.Header)
	}
	zr, err := gzip.NewReader(bufio.NewReader(resp.Body))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len(first))
	done := make(chan error, 1)
	go func() { _, err := io.ReadFull(zr, buf); done <- err }()
	select {
	case err := <-done:
		if err != nil || string(buf) != first {
			t.Fatalf("first piece: %q, %v", buf, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the flushed piece did not arrive")
	}
	close(gotFirst)
	rest, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(append(buf, rest...), &v); err != nil {
		t.Errorf("streamed body is not JSON: %s%s (%v)", buf, rest, err)
	}
}

func TestUnsupportedMediaType(t *testing.T) {
	e := newEnv(t, server.Config{})
	key := "Bearer " + e.keys["full"]
	body := `{"sql": "SELECT 1 AS x"}`
	for _, tc := range []struct {
		headers map[string]string
		status  int
		want    string
	}{
		{map[string]string{}, 200, ""},
		{map[string]string{"Content-Type": "application/json"}, 200, ""},
		{map[string]string{"Content-Type": "Application/JSON; charset=UTF-8"}, 200, ""},
		{map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415, "--json"},
		{map[string]string{"Content-Type": "text/plain"}, 415, "application/json"},
		{map[string]string{"Content-Type": "multipart/form-data; boundary=x"}, 415, "must be JSON"},
		{map[string]string{"Content-Type": "application/json; charset=latin1"}, 415, "UTF-8"},
		{map[string]string{"Content-Type": "json;;"}, 415, "cannot be read"},
		{map[string]string{"Content-Type": "application/json", "Content-Encoding": "gzip"}, 415, "compressed"},
	} {
		tc.headers["Authorization"] = key
		resp, data := e.raw("POST", acmeQuery, tc.headers, body)
		if resp.StatusCode != tc.status {
			t.Errorf("%v: %d %s, want %d", tc.headers, resp.StatusCode, data, tc.status)
			continue
		}
		if tc.status == 415 {
			ed := errorOf(t, data)
			if ed.Code != server.CodeUnsupportedMediaType || !strings.Contains(ed.Message, tc.want) {
				t.Errorf("%v: %s, want code %s and %q", tc.headers, data, server.CodeUnsupportedMediaType, tc.want)
			}
		}
	}
	// Authentication comes first: no key, no hint about bodies.
	resp, _ := e.raw("POST", acmeQuery, map[string]string{"Content-Type": "text/plain"}, body)
	if resp.StatusCode != 401 {
		t.Errorf("text/plain without a key: %d, want 401", resp.StatusCode)
	}
	// Routes without a body ignore its type.
	resp, _ = e.raw("GET", "/v1/databases/main/branches/main/tables", map[string]string{"Authorization": key, "Content-Type": "text/plain"}, "")
	if resp.StatusCode != 200 {
		t.Errorf("GET with Content-Type text/plain: %d", resp.StatusCode)
	}
}

func TestCORS(t *testing.T) {
	preflight := map[string]string{"Origin": "https://app.example", "Access-Control-Request-Method": "POST",
		"Access-Control-Request-Headers": "authorization, content-type"}
	t.Run("off by default", func(t *testing.T) {
		e := newEnv(t, server.Config{})
		resp, data := e.raw("OPTIONS", acmeQuery, preflight, "")
		if resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" ||
			!strings.Contains(errorOf(t, data).Message, "--cors-origin") {
			t.Errorf("preflight: %d %v %s", resp.StatusCode, resp.Header, data)
		}
		resp, _ = e.raw("GET", "/v1/health", map[string]string{"Origin": "https://app.example"}, "")
		for k := range resp.Header {
			if strings.HasPrefix(k, "Access-Control-") {
				t.Errorf("CORS header %s without CORS configured", k)
			}
		}
	})
	t.Run("listed origins", func(t *testing.T) {
		e := newEnv(t, server.Config{CORSOrigins: []string{"https://app.example", "http://localhost:3000/"}})
		resp, _ := e.raw("OPTIONS", acmeQuery, preflight, "")
		h := resp.Header
		if resp.StatusCode != 204 || h.Get("Access-Control-Allow-Origin") != "https://app.example" ||
			!strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") || !strings.Contains(h.Get("Vary"), "Origin") {
			t.Errorf("preflight: %d %v", resp.StatusCode, h)
		}
		for _, want := range []string{"Authorization", "Content-Type", "X-Cinch-Tenant-Key", "X-Request-Id"} {
			if !strings.Contains(h.Get("Access-Control-Allow-Headers"), want) {
				t.Errorf("allowed headers %q lack %s", h.Get("Access-Control-Allow-Headers"), want)
			}
		}
		// The key is still needed for the real request; the origin is echoed.
		resp, _ = e.raw("POST", acmeQuery, map[string]string{"Origin": "http://localhost:3000",
			"Authorization": "Bearer " + e.keys["full"], "Content-Type": "application/json"}, `{"sql": "SELECT 1 AS x"}`)
		if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "http://localhost:3000" ||
			resp.Header.Get("Access-Control-Expose-Headers") != "X-Request-Id, X-Total-Count" {
			t.Errorf("request from a listed origin: %d %v", resp.StatusCode, resp.Header)
		}
		// Another origin: refused preflight, no CORS header on requests.
		other := map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
		resp, data := e.raw("OPTIONS", acmeQuery, other, "")
		if resp.StatusCode != 403 || resp.Header.Get("Access-Control-Allow-Origin") != "" || !strings.Contains(string(data), "not allowed") {
			t.Errorf("preflight from another origin: %d %v %s", resp.StatusCode, resp.Header, data)
		}
		resp, _ = e.raw("GET", "/v1/health", map[string]string{"Origin": "https://evil.example"}, "")
		if resp.Header.Get("Access-Control-Allow-Origin") != "" || !strings.Contains(resp.Header.Get("Vary"), "Origin") {
			t.Errorf("request from another origin: %v", resp.Header)
		}
		// OPTIONS without a preflight's headers is just an unsupported method.
		resp, _ = e.raw("OPTIONS", acmeQuery, nil, "")
		if resp.StatusCode != 405 {
			t.Errorf("plain OPTIONS: %d", resp.StatusCode)
		}
	})
	t.Run("any origin", func(t *testing.T) {
		e := newEnv(t, server.Config{CORSOrigins: []string{"*"}})
		resp, _ := e.raw("OPTIONS", acmeQuery, preflight, "")
		if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("preflight: %d %v", resp.StatusCode, resp.Header)
		}
	})
	t.Run("validate", func(t *testing.T) {
		for _, ok := range []string{"*", "https://app.example", "http://localhost:3000", "https://a.example/"} {
			if err := server.ValidateCORSOrigin(ok); err != nil {
				t.Errorf("%q: %v", ok, err)
			}
		}
		for _, bad := range []string{"", "app.example", "ftp://x.example", "https://", "https://a.example/path", "https://a.example?q", "https://u@a.example", "*.example.com"} {
			if err := server.ValidateCORSOrigin(bad); err == nil {
				t.Errorf("%q accepted", bad)
			}
		}
	})
}

// TestLimitMessages: a refused request says which limit and which flag of
// cinch serve sets it, never a Go field name.
func TestLimitMessages(t *testing.T) {
	check := func(t *testing.T, r response, status int, wants ...string) {
		t.Helper()
		if r.status != status {
			t.Fatalf("got %v, want %d", r, status)
		}
		for _, w := range append(wants, "cinch serve --") {
			if !strings.Contains(r.msg, w) {
				t.Errorf("message %q lacks %q", r.msg, w)
			}
		}
		if strings.Contains(r.msg, "Config.") || strings.Contains(r.msg, "MaxBody") {
			t.Errorf("message %q names a Go field", r.msg)
		}
	}
	t.Run("body", func(t *testing.T) {
		e := newEnv(t, server.Config{MaxBodyBytes: 4 << 10})
		r := e.do("POST", acmeQuery, e.keys["full"], `{"sql": "SELECT ?", "params": ["`+strings.Repeat("x", 5000)+`"]}`)
		check(t, r, 413, "larger than the server's limit of 4 KiB", "--max-body")
	})
	t.Run("timeout", func(t *testing.T) {
		e := newEnv(t, server.Config{QueryTimeout: 50 * time.Millisecond})
		r := e.do("POST", acmeQuery, e.keys["full"], `{"sql": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c"}`)
		check(t, r, 408, "50ms", "--query-timeout")
	})
	t.Run("rate", func(t *testing.T) {
		e := newEnv(t, server.Config{RatePerKey: 0.5, RateBurst: 1})
		e.do("GET", "/v1/databases/main/branches", e.keys["full"], nil)
		resp, data := e.raw("GET", "/v1/databases/main/branches", map[string]string{"Authorization": "Bearer " + e.keys["full"]}, "")
		r := response{status: resp.StatusCode, body: data, msg: errorOf(t, data).Message}
		check(t, r, 429, "0.5 requests per second", "--rate", "--burst")
		if got := resp.Header.Get("Retry-After"); got != "2" {
			t.Errorf("Retry-After %q, want 2", got)
		}
	})
}

func TestEncryptionKeyHint(t *testing.T) {
	e := newEnv(t, server.Config{})
	ctx := context.Background()
	db, err := e.p.Connect(cinch.Target{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Tenants().Create(ctx, "vault", cinch.TenantCreateOptions{Encrypt: true, Key: "right key"}); err != nil {
		t.Fatal(err)
	}
	q := "/v1/databases/main/branches/main/tenants/vault/query"
	auth := "Bearer " + e.keys["full"]
	for _, key := range []string{"", "wrong key"} {
		h := map[string]string{"Authorization": auth}
		if key != "" {
			h["X-Cinch-Tenant-Key"] = key
		}
		resp, data := e.raw("POST", q, h, `{"sql": "SELECT 1 AS x"}`)
		ed := errorOf(t, data)
		if resp.StatusCode != 403 || ed.Code != "encryption_key" || !strings.Contains(ed.Message, "X-Cinch-Tenant-Key header") ||
			strings.Contains(ed.Message, "--key") || strings.Contains(ed.Message, "CINCHDB_TENANT_KEY") {
			t.Errorf("key %q: %d %s", key, resp.StatusCode, data)
		}
	}
	resp, data := e.raw("POST", q, map[string]string{"Authorization": auth, "X-Cinch-Tenant-Key": "right key"}, `{"sql": "SELECT 1 AS x"}`)
	if resp.StatusCode != 200 {
		t.Errorf("right key: %d %s", resp.StatusCode, data)
	}
}

// TestTenantKey_NoTenantCount: a key limited to one tenant learns nothing
// about how many tenants its branch has, on any route it may use.
func TestTenantKey_NoTenantCount(t *testing.T) {
	e := newEnv(t, server.Config{})
	branch := "/v1/databases/main/branches/main"
	r := e.do("GET", branch, e.keys["full"], nil)
	if r.status != 200 || !strings.Contains(string(r.body), `"tenants":2`) {
		t.Fatalf("full key: %v", r)
	}
	n := 0
	for _, rt := range routesFromDoc(t, e) {
		if rt.method != "GET" || rt.public || expectAuth("tenant_acme", rt) != 0 {
			continue
		}
		n++
		r := e.do("GET", samplePath(rt.path), e.keys["tenant_acme"], nil)
		var v any
		json.Unmarshal(r.body, &v)
		if hasKey(v, "tenants") {
			t.Errorf("GET %s with a tenant key shows a tenant count: %s", rt.path, r.body)
		}
	}
	if n < 5 {
		t.Errorf("only %d GET routes open to a tenant key", n)
	}
	r = e.do("GET", branch, e.keys["tenant_acme"], nil)
	if r.status != 200 || !strings.Contains(string(r.body), `"name":"main"`) || strings.Contains(string(r.body), "tenants") {
		t.Errorf("branch info with a tenant key: %v", r)
	}
}

func hasKey(v any, key string) bool {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if k == key || hasKey(x, key) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if hasKey(x, key) {
				return true
			}
		}
	}
	return false
}
