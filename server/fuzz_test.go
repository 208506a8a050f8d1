package server_test

import (
	"encoding/json"
	"testing"

	"github.com/cinchdb/cinch/server"
)

func FuzzDecodeQueryRequest(f *testing.F) {
	for _, s := range []string{
		`{"sql": "SELECT 1"}`, `{"sql": "SELECT ?", "params": [1, 2.5, "x", null, true]}`, `{"sql": 1}`,
		`{"sql": "x", "limit": -1}`, `{"sql": "x"} trailing`, `{"sql": "x", "params": [{"a": 1}]}`, ``, `[`,
		`{"sql": "x", "params": [1e400]}`, `{"sql": "x", "params": [99999999999999999999]}`, `{"sql":"x","evil":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		q, err := server.DecodeQueryRequest(data)
		if err != nil {
			return
		}
		if q.SQL == "" || q.Limit < 0 {
			t.Fatalf("accepted %q as %+v", data, q)
		}
		for i, p := range q.Params {
			switch p.(type) {
			case nil, bool, int64, float64, string:
			default:
				t.Fatalf("param %d of %q is %T", i, data, p)
			}
		}
		if _, err := json.Marshal(q); err != nil {
			t.Fatalf("accepted %q but cannot encode it: %v", data, err)
		}
	})
}

func FuzzDecodeRows(f *testing.F) {
	for _, s := range []string{
		`{"name": "x"}`, `[{"name": "x"}, {"age": 1}]`, `[]`, `"x"`, `[1]`, `{"a": {"b": 1}}`, `{"Name": 1}`,
		`{"id": "x", "n": 1.5e3}`, `{}`, `{"a": 1} {}`, `{"a": "\ud800"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, many, err := server.DecodeRows(data)
		if err != nil {
			return
		}
		if len(recs) == 0 || (!many && len(recs) != 1) {
			t.Fatalf("accepted %q as %d records (many=%v)", data, len(recs), many)
		}
		for _, r := range recs {
			for k, v := range r {
				switch v.(type) {
				case nil, bool, int64, float64, string:
				default:
					t.Fatalf("column %q of %q is %T", k, data, v)
				}
			}
		}
	})
}
