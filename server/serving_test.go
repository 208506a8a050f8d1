package server_test

// Tests of the HTTP serving path's speed work (issue 14): what was made
// faster keeps its behaviour.

import (
	"bytes"
	"compress/gzip"
	"io"
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
