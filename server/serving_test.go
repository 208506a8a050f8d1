package server_test

// Tests of the HTTP serving path's speed work (issue 14): what was made
// faster keeps its behaviour.

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/cinchdb/cinch/server"
)

// TestQueryGzipOnlyWhenBig: a query answer is compressed like every other
// JSON answer: a small one (a point read) goes out as it is even to a
// client that accepts gzip, a big one is gzipped. Before, the query
// route's last flush made every answer a "streamed" one, gzipped from its
// first byte, so a 60-byte point read paid for a gzip stream.
func TestQueryGzipOnlyWhenBig(t *testing.T) {
	e := newEnv(t, server.Config{})
	hdr := map[string]string{"Accept-Encoding": "gzip", "Authorization": "Bearer " + e.keys["full"], "Content-Type": "application/json"}
	resp, body := e.raw("POST", acmeQuery, hdr, `{"sql": "SELECT 1 AS one"}`)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "" {
		t.Fatalf("small answer: %d, Content-Encoding %q: %q", resp.StatusCode, resp.Header.Get("Content-Encoding"), body)
	}
	if got, want := string(body), `{"columns":["one"],"rows":[[1]],"rows_affected":0,"truncated":false}`+"\n"; got != want {
		t.Errorf("small answer = %q, want %q", got, want)
	}
	if !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
		t.Errorf("small answer lacks Vary: Accept-Encoding: %v", resp.Header)
	}
	resp, body = e.raw("POST", acmeQuery, hdr, `{"sql": "SELECT value, 'some text to compress' AS t FROM generate_series(1, 500)"}`)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("big answer: %d, Content-Encoding %q", resp.StatusCode, resp.Header.Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(plain, []byte(`{"columns":["value","t"],"rows":[[1,"some text to compress"],`)) ||
		!bytes.HasSuffix(plain, []byte(`[500,"some text to compress"]],"rows_affected":0,"truncated":false}`+"\n")) {
		t.Errorf("big answer decodes to %.200q...", plain)
	}
}

// TestMetricsRoutes: every request is counted under its route pattern,
// and what no route matches (404, and 405 on a route's path) under
// "unmatched", however many times it comes.
func TestMetricsRoutes(t *testing.T) {
	e := newEnv(t, server.Config{})
	for range 3 {
		e.do("POST", acmeQuery, e.keys["full"], `{"sql": "SELECT 1 AS x"}`)
	}
	e.do("GET", "/v1/no/such/route", e.keys["full"], nil)
	e.do("GET", acmeQuery, e.keys["full"], nil)       // 405
	e.do("DELETE", "/v1/health", e.keys["full"], nil) // 405
	e.do("GET", "/v1/health", "", nil)
	r := e.do("GET", "/metrics", e.keys["full"], nil)
	if r.status != 200 {
		t.Fatalf("metrics: %v", r)
	}
	for _, want := range []string{
		`cinch_http_requests_total{code="200",route="POST /v1/databases/{db}/branches/{branch}/tenants/{tenant}/query"} 3`,
		`cinch_http_requests_total{code="404",route="unmatched"} 1`,
		`cinch_http_requests_total{code="405",route="unmatched"} 2`,
		`cinch_http_requests_total{code="200",route="GET /v1/health"} 1`,
		`cinch_http_request_duration_seconds_count{route="unmatched"} 3`,
		`cinch_http_request_duration_seconds_count{route="POST /v1/databases/{db}/branches/{branch}/tenants/{tenant}/query"} 3`,
	} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// TestQueryBodies: a query body is read whole however it comes (with a
// Content-Length, or chunked), and one over --max-body is 413 either way.
func TestQueryBodies(t *testing.T) {
	e := newEnv(t, server.Config{MaxBodyBytes: 200})
	body := `{"sql": "SELECT ? AS v", "params": ["` + strings.Repeat("x", 100) + `"]}`
	for _, chunked := range []bool{false, true} {
		var rd io.Reader = strings.NewReader(body)
		if chunked {
			rd = io.MultiReader(rd) // no length known: sent chunked
		}
		req, err := http.NewRequest("POST", e.ts.URL+acmeQuery, rd)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+e.keys["full"])
		resp, err := e.ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(data), strings.Repeat("x", 100)) {
			t.Errorf("chunked=%v: %d %s", chunked, resp.StatusCode, data)
		}
		big := strings.NewReader(`{"sql": "SELECT ?", "params": ["` + strings.Repeat("y", 300) + `"]}`)
		if chunked {
			rd = io.MultiReader(big)
		} else {
			rd = big
		}
		req, _ = http.NewRequest("POST", e.ts.URL+acmeQuery, rd)
		req.Header.Set("Authorization", "Bearer "+e.keys["full"])
		resp, err = e.ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(data), "too_large") {
			t.Errorf("chunked=%v, over the limit: %d %s", chunked, resp.StatusCode, data)
		}
	}
}
