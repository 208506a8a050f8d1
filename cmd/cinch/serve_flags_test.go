package main

// cinch serve's limit and CORS flags reach the server, bad values are
// refused before anything listens, and the errors a limit causes name the
// flag that sets it.

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestServeFlags(t *testing.T) {
	dir := t.TempDir()
	c := runner{t: t, dir: dir}
	c.ok("init")
	c.ok("table", "create", "users", "name:TEXT")
	key := lastLine(c.ok("key", "create").stdout)

	// Bad values are refused before the server starts, naming the flag.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--max-body", "12XB"}, "--max-body"},
		{[]string{"--max-body", "0"}, "--max-body"},
		{[]string{"--max-result-bytes", "-1MiB"}, "--max-result-bytes"},
		{[]string{"--max-rows", "0"}, "--max-rows"},
		{[]string{"--query-timeout", "-1s"}, "--query-timeout"},
		{[]string{"--rate", "-5"}, "--rate"},
		{[]string{"--burst", "0"}, "--burst"},
		{[]string{"--kv-sweep", "-1m"}, "--kv-sweep"},
		{[]string{"--cors-origin", "app.example.com"}, "--cors-origin"},
		{[]string{"--cors-origin", "https://ok.example,https://x.example/path"}, "https://x.example/path"},
	} {
		c.fail(append([]string{"serve", "--addr", "127.0.0.1:0"}, tc.args...), tc.want)
	}

	// Checked after the server stopped (cleanups run last first).
	var log *lockedBuffer
	t.Cleanup(func() {
		if !strings.Contains(log.String(), "request_id=serve-flags-test-1") {
			t.Errorf("serve log lacks the request id:\n%s", log)
		}
	})
	srv := startServe(t, dir, "--max-body", "1KiB", "--max-rows", "2", "--query-timeout", "5s",
		"--rate", "0", "--burst", "1", "--cors-origin", "https://app.example", "--cors-origin", "http://localhost:3000")
	log = srv.log
	do := func(method, path, body string, headers map[string]string) (*http.Response, string) {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, srv.base+path, rd)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+key)
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp, string(data)
	}
	const q = "/v1/databases/main/branches/main/tenants/main/query"
	// --max-body: 413, and the message says the limit and the flag.
	resp, body := do("POST", q, `{"sql": "SELECT ?", "params": ["`+strings.Repeat("x", 2000)+`"]}`, nil)
	if resp.StatusCode != 413 || !strings.Contains(body, "limit of 1 KiB") || !strings.Contains(body, "cinch serve --max-body") {
		t.Errorf("--max-body: %d %s", resp.StatusCode, body)
	}
	// --max-rows: cut at 2.
	_, body = do("POST", q, `{"sql": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c LIMIT 10) SELECT x FROM c"}`, nil)
	var res struct {
		Rows      []json.RawMessage `json:"rows"`
		Truncated bool              `json:"truncated"`
	}
	if json.Unmarshal([]byte(body), &res); len(res.Rows) != 2 || !res.Truncated {
		t.Errorf("--max-rows 2: %s", body)
	}
	// --rate 0 turns the limit off: burst 1 would refuse the second request.
	for i := range 5 {
		if resp, body := do("GET", "/v1/databases/main/branches", "", nil); resp.StatusCode != 200 {
			t.Fatalf("--rate 0, request %d: %d %s", i, resp.StatusCode, body)
		}
	}
	// --cors-origin, twice: both origins allowed, others not.
	for origin, want := range map[string]int{"https://app.example": 204, "http://localhost:3000": 204, "https://evil.example": 403} {
		resp, body := do("OPTIONS", q, "", map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST"})
		if resp.StatusCode != want {
			t.Errorf("preflight from %s: %d %s, want %d", origin, resp.StatusCode, body, want)
		}
	}
	// Content-Type: curl -d's form type is refused.
	resp, body = do("POST", q, `{"sql": "SELECT 1"}`, map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if resp.StatusCode != 415 || !strings.Contains(body, "application/json") {
		t.Errorf("form body: %d %s", resp.StatusCode, body)
	}
	// Request ids reach the log.
	resp, _ = do("GET", "/v1/health", "", map[string]string{"X-Request-Id": "serve-flags-test-1"})
	if resp.Header.Get("X-Request-Id") != "serve-flags-test-1" {
		t.Errorf("X-Request-Id not echoed: %v", resp.Header)
	}
	// The Go transport asks for gzip; the openapi document is big enough.
	resp, body = do("GET", "/v1/openapi.json", "", nil)
	if !resp.Uncompressed || !strings.Contains(body, `"openapi"`) {
		t.Errorf("openapi.json was not gzipped (Uncompressed=%v)", resp.Uncompressed)
	}
}
