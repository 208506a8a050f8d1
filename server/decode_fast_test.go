package server

import (
	"reflect"
	"testing"
)

var fastSeeds = []string{
	`{"sql": "SELECT 1"}`, `{"sql":"SELECT name FROM items WHERE id = ?","params":["r1"]}`,
	`{"sql": "SELECT ?", "params": [1, 2.5, "x", null, true, false, -0, 1e3, -2.5E-3, 0.0]}`,
	` {"sql": "x", "limit": 10, "read_only": true} `, `{"sql": "x", "params": []}`, `{}`,
	`{"sql": "x", "limit": -1}`, `{"sql": "x", "limit": 1.0}`, `{"sql": "x", "limit": 99999999999999999999}`,
	`{"sql": "x"} trailing`, `{"sql": "x", "params": [{"a": 1}]}`, ``, `[`, `{"sql": 1}`, `{"SQL": "x"}`,
	`{"sql": "x", "sql": "y"}`, `{"sql": "a\"b"}`, `{"sql": "é ✓"}`, "{\"sql\": \"\xff\"}", `{"sql": null}`,
	`{"sql": "x", "params": [01]}`, `{"sql": "x", "params": [1.]}`, `{"sql": "x", "params": [-]}`,
	`{"sql": "x", "params": [1e400, 99999999999999999999]}`, `{"sql":"x","evil":1}`, `{"sql": "x",}`,
	`{"sql": "x", "read_only": null}`, `{"sql": "x" "limit": 1}`, "{\"sql\": \"x\"}\n",
}

// TestFastQueryRequest: the fast path takes the plain shapes and leaves
// the rest to decodeStrict.
func TestFastQueryRequest(t *testing.T) {
	for _, s := range []string{`{"sql":"SELECT name FROM items WHERE id = ?","params":["r1"]}`,
		` {"sql": "x", "limit": 10, "read_only": true, "params": [1, -2.5e3, null, false]} `, `{"sql": "é ✓"}`} {
		if _, ok := fastQueryRequest([]byte(s)); !ok {
			t.Errorf("fast path refused %s", s)
		}
	}
	for _, s := range []string{`{"SQL": "x"}`, `{"sql": "a\"b"}`, `{"sql": "x", "sql": "y"}`, `{"sql": null}`,
		`{"sql": "x", "limit": 1.0}`, `{"sql": "x"} trailing`, "{\"sql\": \"\xff\"}", `{"sql": "x", "params": [[1]]}`} {
		if _, ok := fastQueryRequest([]byte(s)); ok {
			t.Errorf("fast path took %s", s)
		}
	}
	for _, s := range fastSeeds {
		checkFastQuery(t, []byte(s))
	}
}

// FuzzQueryRequestFast: whatever the fast path accepts, decodeStrict
// accepts too and decodes to the same request.
func FuzzQueryRequestFast(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(checkFastQuery)
}

func checkFastQuery(t *testing.T, data []byte) {
	fast, ok := fastQueryRequest(data)
	if !ok {
		return
	}
	var slow QueryRequest
	if err := decodeStrict(data, &slow); err != nil {
		t.Fatalf("fast path took %q, decodeStrict refuses it: %v", data, err)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("%q: fast path %#v, decodeStrict %#v", data, fast, slow)
	}
}
