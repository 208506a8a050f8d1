package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/client"
	"github.com/cinchdb/cinch/server"
)

// post sends a query body and returns the raw response (headers too).
func (e *env) post(path, key, body string) (*http.Response, []byte) {
	e.t.Helper()
	req, err := http.NewRequest("POST", e.ts.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.ts.Client().Do(req)
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

// TestQueryBoundedByBytes: a result of huge values is cut at the byte
// limit (truncated), not built whole in memory. Before the limit, one
// request of 400 x 5 MB blobs grew the server to 10.8 GiB.
func TestQueryBoundedByBytes(t *testing.T) {
	e := newEnv(t, server.Config{MaxResultBytes: 1 << 20})
	resp, body := e.post(acmeQuery, e.keys["full"], `{"sql": "SELECT randomblob(300000) AS b FROM generate_series(1, 400)"}`)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var res cinch.Result
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatal(err)
	}
	if !res.Truncated || len(res.Rows) != 3 {
		t.Errorf("rows %d truncated %v; want 3 rows (1 MiB / 300 kB), truncated", len(res.Rows), res.Truncated)
	}
	if len(body) > 2<<20 {
		t.Errorf("response is %d bytes, want at most ~1 MiB of values (base64)", len(body))
	}
	// One value over the whole limit: too_large, with a status.
	resp, body = e.post(acmeQuery, e.keys["full"], `{"sql": "SELECT randomblob(2000000)"}`)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), `"too_large"`) {
		t.Errorf("one 2 MB value over a 1 MiB limit: %d %s", resp.StatusCode, body)
	}
	// A value SQLite itself cannot make: too_large too, and the tenant
	// keeps answering.
	resp, body = e.post(acmeQuery, e.keys["full"], `{"sql": "SELECT zeroblob(2000000000)"}`)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), `"too_large"`) {
		t.Errorf("a 2 GB blob: %d %s", resp.StatusCode, body)
	}
	if resp, body = e.post(acmeQuery, e.keys["full"], `{"sql": "SELECT 1"}`); resp.StatusCode != 200 {
		t.Errorf("after: %d %s", resp.StatusCode, body)
	}
}

// TestQueryStreams: a large response goes out as it is read (chunked, no
// Content-Length), and is the same JSON a collected one would be.
func TestQueryStreams(t *testing.T) {
	e := newEnv(t, server.Config{MaxRows: 1_000_000})
	resp, body := e.post(acmeQuery, e.keys["full"], `{"sql": "SELECT value, 'row ' || value AS label, value / 7.0 AS f FROM generate_series(1, 50000)"}`)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %.300s", resp.StatusCode, body)
	}
	if resp.ContentLength != -1 || len(resp.TransferEncoding) == 0 || resp.TransferEncoding[0] != "chunked" {
		t.Errorf("Content-Length %d, Transfer-Encoding %v: want a chunked (streamed) response", resp.ContentLength, resp.TransferEncoding)
	}
	var res cinch.Result
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if err := dec.Decode(&res); err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 50000 || res.Truncated || len(res.Columns) != 3 {
		t.Fatalf("rows %d truncated %v columns %v", len(res.Rows), res.Truncated, res.Columns)
	}
	if last := res.Rows[49999]; last[0] != json.Number("50000") || last[1] != "row 50000" || !strings.Contains(string(last[2].(json.Number)), ".") {
		t.Errorf("last row %v", last)
	}
}

// TestQueryErrorAfterRowsWereSent: a statement that fails after part of
// its rows went out cannot change the status any more; the body ends with
// an "error" member and the Go client returns that error, never a short
// result that looks complete.
func TestQueryErrorAfterRowsWereSent(t *testing.T) {
	e := newEnv(t, server.Config{MaxRows: 1_000_000})
	const failing = "SELECT CASE WHEN value < 20000 THEN printf('%040d', value) ELSE abs(-9223372036854775807 - 1) END AS v FROM generate_series(1, 30000)"
	resp, body := e.post(acmeQuery, e.keys["full"], `{"sql": "`+failing+`"}`)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: want 200 (the rows were already streaming)", resp.StatusCode)
	}
	tail := string(body[max(0, len(body)-300):])
	if !strings.Contains(tail, `"error":{"code":`) || !strings.Contains(tail, `"truncated":true`) {
		t.Fatalf("body does not end with the error: ...%s", tail)
	}
	if !json.Valid(body) {
		t.Error("body is not valid JSON")
	}
	c, err := client.New(e.ts.URL, e.keys["full"])
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Connect(cinch.Target{Tenant: "acme"}).Query(context.Background(), failing)
	var ce *cinch.Error
	if err == nil || !errors.As(err, &ce) || !strings.Contains(err.Error(), "overflow") {
		t.Fatalf("client: %v (result %v rows), want the overflow error", err, res)
	}
	// The same failure before any row was sent keeps its status.
	resp, body = e.post(acmeQuery, e.keys["full"], `{"sql": "SELECT abs(-9223372036854775807 - 1)"}`)
	if resp.StatusCode < 400 {
		t.Errorf("immediate failure: %d %s", resp.StatusCode, body)
	}
}
