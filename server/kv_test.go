package server_test

// The KV routes: values keep their type on the wire, expiry follows the
// server's clock, tenant keys reach their own tenant's store only, and
// read-only keys read but never write.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/internal/wire"
	"github.com/cinchdb/cinch/server"
)

const kvP = brPath + "/tenants/acme/kv"

// kvQ is a KV route with its query.
func kvQ(sub string, q url.Values) string { return kvP + sub + "?" + q.Encode() }

// trimmed is a response's body without the newline that ends it.
func trimmed(r response) string { return strings.TrimSuffix(string(r.body), "\n") }

// TestKV_Wire: what a client sends is what it gets back, byte for byte in
// JSON, with the type it was set with or the one its JSON decided.
func TestKV_Wire(t *testing.T) {
	e := newEnv(t, server.Config{})
	key := e.keys["full"]
	for _, tc := range []struct {
		set  string // body of PUT .../kv, without the key
		want string // GET .../kv
	}{
		{`"value": "héllo"`, `{"key":"k","type":"text","value":"héllo"}`},
		{`"value": 42`, `{"key":"k","type":"int","value":42}`},
		{`"value": 2.0`, `{"key":"k","type":"float","value":2.0}`},
		{`"value": 2, "type": "float"`, `{"key":"k","type":"float","value":2.0}`},
		{`"value": 9e999`, `{"key":"k","type":"float","value":9e999}`},
		{`"value": true`, `{"key":"k","type":"bool","value":true}`},
		{`"value": null`, `{"key":"k","type":"null","value":null}`},
		{`"value": "AP8=", "type": "bytes"`, `{"key":"k","type":"bytes","value":"AP8="}`},
		{`"value": {"a": [1, 2.5]}`, `{"key":"k","type":"json","value":{"a":[1,2.5]}}`},
		{`"value": "dark", "type": "json"`, `{"key":"k","type":"json","value":"dark"}`},
		{`"value": 9223372036854775807`, `{"key":"k","type":"int","value":9223372036854775807}`},
	} {
		if r := e.do("PUT", kvP, key, `{"key": "k", `+tc.set+`}`); r.status != 200 || trimmed(r) != `{"set":true}` {
			t.Errorf("set %s: %v", tc.set, r)
			continue
		}
		if r := e.do("GET", kvQ("", url.Values{"key": {"k"}}), key, nil); r.status != 200 || trimmed(r) != tc.want {
			t.Errorf("set %s, get: %v, want %s", tc.set, r, tc.want)
		}
	}
	// Keys the router would clean or split travel in the query and body.
	for _, k := range []string{"../x", "a//b", "a/./b", "sp ace?&=#", "%2F", "ünï"} {
		body, _ := json.Marshal(map[string]any{"key": k, "value": k})
		if r := e.do("PUT", kvP, key, body); r.status != 200 {
			t.Errorf("set %q: %v", k, r)
		}
		r := e.do("GET", kvQ("", url.Values{"key": {k}}), key, nil)
		var got struct{ Key, Value string }
		json.Unmarshal(r.body, &got)
		if r.status != 200 || got.Key != k || got.Value != k {
			t.Errorf("get %q: %v", k, r)
		}
	}
	// Batches, counts, sizes, increments.
	r := e.do("POST", kvP+"/mset", key, `{"items": [{"key": "a", "value": 1}, {"key": "b", "value": "AA==", "type": "bytes"}]}`)
	if r.status != 204 {
		t.Fatalf("mset: %v", r)
	}
	if r := e.do("POST", kvP+"/mget", key, `{"keys": ["b", "missing", "a", "b"]}`); trimmed(r) != `[{"key":"b","type":"bytes","value":"AA=="},{"key":"a","type":"int","value":1}]` {
		t.Errorf("mget: %v", r)
	}
	if r := e.do("POST", kvP+"/incr", key, `{"key": "a", "by": 4}`); trimmed(r) != `{"key":"a","type":"int","value":5}` {
		t.Errorf("incr: %v", r)
	}
	if r := e.do("POST", kvP+"/incr", key, `{"key": "a", "by": 0.5}`); trimmed(r) != `{"key":"a","type":"float","value":5.5}` {
		t.Errorf("incr by a float: %v", r)
	}
	if r := e.do("POST", kvP+"/incr", key, `{"key": "c"}`); trimmed(r) != `{"key":"c","type":"int","value":1}` {
		t.Errorf("incr without by: %v", r)
	}
	if r := e.do("GET", kvQ("/size", url.Values{"key": {"a", "b"}}), key, nil); trimmed(r) != `{"bytes":9}` {
		t.Errorf("size: %v", r)
	}
	if r := e.do("GET", kvQ("/keys", url.Values{"pattern": {"?"}}), key, nil); trimmed(r) != `{"keys":["a","b","c","k"]}` {
		t.Errorf("keys: %v", r)
	}
	if r := e.do("GET", kvQ("/count", url.Values{"pattern": {"[ab]"}}), key, nil); trimmed(r) != `{"count":0}` {
		t.Errorf("count of a literal [ab]: %v", r)
	}
	if r := e.do("GET", kvQ("/exists", url.Values{"key": {"a"}}), key, nil); trimmed(r) != `{"exists":true}` {
		t.Errorf("exists: %v", r)
	}
	if r := e.do("POST", kvP+"/delete", key, `{"keys": ["a", "zz"]}`); trimmed(r) != `{"deleted":1}` {
		t.Errorf("delete: %v", r)
	}
	if r := e.do("PUT", kvP, key, `{"key": "b", "value": 1, "nx": true}`); trimmed(r) != `{"set":false}` {
		t.Errorf("set nx on a set key: %v", r)
	}
}

// TestKV_Expiry: the server's clock (the project's) decides; expired keys
// are gone at once and deleted on request.
func TestKV_Expiry(t *testing.T) {
	e := newEnv(t, server.Config{})
	key := e.keys["full"]
	if r := e.do("PUT", kvP, key, `{"key": "s", "value": "x", "ttl_ms": 1500}`); r.status != 200 {
		t.Fatal(r)
	}
	if r := e.do("GET", kvQ("/ttl", url.Values{"key": {"s"}}), key, nil); trimmed(r) != `{"key":"s","expires":true,"ttl_ms":1500}` {
		t.Errorf("ttl: %v", r)
	}
	e.clk.Add(1500 * time.Millisecond)
	if r := e.do("GET", kvQ("", url.Values{"key": {"s"}}), key, nil); r.status != 404 || r.code != "key_not_found" {
		t.Errorf("get of an expired key: %v, want 404 key_not_found", r)
	}
	if r := e.do("GET", kvQ("/ttl", url.Values{"key": {"s"}}), key, nil); r.status != 404 {
		t.Errorf("ttl of an expired key: %v", r)
	}
	if r := e.do("POST", kvP+"/expired/delete", key, nil); trimmed(r) != `{"deleted":1}` {
		t.Errorf("delete expired: %v", r)
	}
	e.do("PUT", kvP, key, `{"key": "p", "value": 1}`)
	if r := e.do("POST", kvP+"/expire", key, `{"key": "p", "ttl_ms": 60000}`); r.status != 204 {
		t.Errorf("expire: %v", r)
	}
	if r := e.do("POST", kvP+"/persist", key, `{"key": "p"}`); r.status != 204 {
		t.Errorf("persist: %v", r)
	}
	if r := e.do("GET", kvQ("/ttl", url.Values{"key": {"p"}}), key, nil); trimmed(r) != `{"key":"p","expires":false}` {
		t.Errorf("ttl after persist: %v", r)
	}
	if r := e.do("POST", kvP+"/persist", key, `{"key": "nope"}`); r.status != 404 || r.code != "key_not_found" {
		t.Errorf("persist of a missing key: %v", r)
	}
}

// TestKV_Scopes: a key limited to tenant acme reaches acme's store and no
// other; a read-only key reads every store route and writes none.
func TestKV_Scopes(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.do("PUT", kvP, e.keys["full"], `{"key": "k", "value": "acme"}`)
	e.do("PUT", brPath+"/tenants/main/kv", e.keys["full"], `{"key": "k", "value": "main"}`)
	type op struct {
		method, sub, query, body string
		write                    bool
	}
	ops := []op{
		{"GET", "", "key=k", "", false},
		{"PUT", "", "", `{"key": "n", "value": 1}`, true},
		{"POST", "/delete", "", `{"keys": ["zz"]}`, true},
		{"GET", "/keys", "", "", false},
		{"GET", "/count", "pattern=*", "", false},
		{"GET", "/exists", "key=k", "", false},
		{"GET", "/ttl", "key=k", "", false},
		{"POST", "/expire", "", `{"key": "k", "ttl_ms": 100000}`, true},
		{"POST", "/persist", "", `{"key": "k"}`, true},
		{"POST", "/incr", "", `{"key": "c"}`, true},
		{"POST", "/mget", "", `{"keys": ["k"]}`, false},
		{"POST", "/mset", "", `{"items": [{"key": "m", "value": 1}]}`, true},
		{"POST", "/expired/delete", "", "", true},
		{"GET", "/size", "key=k", "", false},
	}
	for _, o := range ops {
		for _, tc := range []struct {
			kind, tenant string
			want         int // 0: allowed
		}{
			{"tenant_acme", "acme", 0},
			{"tenant_acme", "main", 403},
			{"tenant_other", "acme", 403},
			{"read_only", "acme", map[bool]int{true: 403, false: 0}[o.write]},
			{"full", "main", 0},
		} {
			path := brPath + "/tenants/" + tc.tenant + "/kv" + o.sub
			if o.query != "" {
				path += "?" + o.query
			}
			var body any
			if o.body != "" {
				body = o.body
			}
			r := e.do(o.method, path, e.keys[tc.kind], body)
			name := fmt.Sprintf("%s %s with %s key", o.method, path, tc.kind)
			switch {
			case tc.want == 0 && (r.status < 200 || r.status > 299):
				t.Errorf("%s: %v, want 2xx", name, r)
			case tc.want != 0 && r.status != tc.want:
				t.Errorf("%s: %v, want %d", name, r, tc.want)
			case tc.want != 0 && strings.Contains(string(r.body), `"value"`):
				t.Errorf("%s: refused with data: %s", name, r.body)
			}
		}
	}
	// Nothing a refused key tried reached main's store.
	if r := e.do("GET", brPath+"/tenants/main/kv/keys", e.keys["full"], nil); trimmed(r) != `{"keys":["c","k","m","n"]}` {
		t.Errorf("main's keys: %v", r)
	}
	if r := e.do("GET", brPath+"/tenants/main/kv?key=k", e.keys["full"], nil); !strings.Contains(trimmed(r), `"main"`) {
		t.Errorf("main's k: %v", r)
	}
}

// TestKV_BadInput: each bad request is a 400 (or 404) naming what is wrong,
// and stores nothing.
func TestKV_BadInput(t *testing.T) {
	e := newEnv(t, server.Config{})
	key := e.keys["full"]
	before := files(t, e.dir)
	for _, tc := range []struct {
		method, path, body string
		status             int
		code, msg          string
	}{
		{"GET", kvP, "", 400, "invalid_input", "key is required"},
		{"GET", kvQ("", url.Values{"key": {""}}), "", 400, "invalid_name", "empty"},
		{"GET", kvQ("", url.Values{"key": {"__kv"}}), "", 400, "invalid_name", "reserved"},
		{"GET", kvQ("", url.Values{"key": {"missing"}}), "", 404, "key_not_found", `key "missing" not found`},
		{"PUT", kvP, `{"key": "a\nb", "value": 1}`, 400, "invalid_name", "control"},
		{"PUT", kvP, `{"key": "k"}`, 400, "invalid_input", "value is missing"},
		{"PUT", kvP, `{"key": "k", "value": 1, "type": "str"}`, 400, "invalid_input", "unknown KV value type"},
		{"PUT", kvP, `{"key": "k", "value": "x", "type": "int"}`, 400, "invalid_input", "must be an integer"},
		{"PUT", kvP, `{"key": "k", "value": "%%", "type": "bytes"}`, 400, "invalid_input", "base64"},
		{"PUT", kvP, `{"key": "k", "value": 1, "ttl_ms": -1}`, 400, "invalid_input", "ttl_ms"},
		{"PUT", kvP, `{"key": "k", "value": 1, "extra": 1}`, 400, "invalid_input", "unknown field"},
		{"POST", kvP + "/expire", `{"key": "k", "ttl_ms": 0}`, 400, "invalid_input", "more than 0"},
		{"POST", kvP + "/incr", `{"key": "k", "by": "1"}`, 400, "invalid_input", "by must be a number"},
		{"POST", kvP + "/mset", `{"items": [{"key": "a", "value": 1}, {"key": "a", "value": 2}]}`, 400, "invalid_input", "twice"},
		{"POST", kvP + "/mset", `{"items": [{"key": "a", "value": 1}, {"key": "b", "value": "x", "type": "int"}]}`, 400, "invalid_input", "items[1]"},
		{"GET", kvQ("/keys", url.Values{"pattern": {"a\x01"}}), "", 400, "invalid_input", "pattern"},
		{"PUT", brPath + "/tenants/ghost/kv", `{"key": "k", "value": 1}`, 404, "tenant_not_found", "ghost"},
	} {
		var body any
		if tc.body != "" {
			body = tc.body
		}
		r := e.do(tc.method, tc.path, key, body)
		if r.status != tc.status || r.code != tc.code || !strings.Contains(r.msg, tc.msg) {
			t.Errorf("%s %s %s: %v, want %d %s %q", tc.method, tc.path, tc.body, r, tc.status, tc.code, tc.msg)
		}
	}
	if after := files(t, e.dir); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Errorf("bad requests changed the files: %v → %v", before, after)
	}
	if r := e.do("GET", kvP+"/keys", key, nil); trimmed(r) != `{"keys":[]}` {
		t.Errorf("bad requests stored keys: %v", r)
	}
}

// FuzzKVSetBody: whatever body PUT .../kv gets, the answer is a 200 or a
// 4xx with the error body, never a 5xx; and a stored value reads back as
// the request's value decodes (same type, same value).
func FuzzKVSetBody(f *testing.F) {
	for _, s := range []string{
		`{"key": "k", "value": 1}`, `{"key": "k", "value": 2.0, "ttl_ms": 5}`, `{"key": "k", "value": "AA==", "type": "bytes"}`,
		`{"key": "k", "value": {"a": 1}, "nx": true}`, `{"key": "", "value": 1}`, `{"key": "k"}`, `{"key": "k", "value": "x", "type": "int"}`,
		`{"key": "__k", "value": 1}`, `{"key": "k", "value": 9e999}`, `{"key": "k", "value": "\ud800"}`, `[]`, ``, `{"key": "k", "value": 1} 1`,
	} {
		f.Add([]byte(s))
	}
	e := newEnv(f, server.Config{})
	key := e.keys["full"]
	h := e.srv.Handler()
	f.Fuzz(func(t *testing.T, data []byte) {
		do := func(method, path string, body []byte) *httptest.ResponseRecorder {
			req := httptest.NewRequest(method, path, bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+key)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			return w
		}
		w := do("PUT", kvP, data)
		if w.Code >= 500 || (w.Code != 200 && !strings.Contains(w.Body.String(), `"code"`)) {
			t.Fatalf("%q: %d %s", data, w.Code, w.Body)
		}
		if w.Code != 200 {
			return
		}
		var req server.KVSetRequest
		if err := json.Unmarshal(data, &req); err != nil {
			t.Fatalf("%q was accepted but is not a KVSetRequest: %v", data, err)
		}
		if req.NX && strings.Contains(w.Body.String(), `"set":false`) {
			return // the key was set: nothing stored
		}
		want, err := wire.DecodeKV(req.Type, req.Value)
		if err != nil {
			t.Fatalf("%q was accepted but its value does not decode: %v", data, err)
		}
		g := do("GET", kvQ("", url.Values{"key": {req.Key}}), nil)
		var got server.KVEntry
		json.Unmarshal(g.Body.Bytes(), &got)
		back, err := wire.DecodeKV(got.Type, got.Value)
		if g.Code != 200 || err != nil || !reflect.DeepEqual(back, mustNormalize(t, want)) {
			t.Fatalf("%q: stored, then read back as %d %s (%#v, %v); want %#v", data, g.Code, g.Body, back, err, want)
		}
	})
}

func mustNormalize(t *testing.T, v any) any {
	n, _, err := cinch.NormalizeKVValue(v)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
