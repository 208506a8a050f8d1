package server_test

import (
	"testing"

	"github.com/cinchdb/cinch/internal/wire"
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
		// Every accepted parameter goes back out as the server writes
		// values (infinities as ±9e999) and reads back the same.
		for i, p := range q.Params {
			out := wire.AppendValue([]byte(`{"sql": "x", "params": [`), p)
			back, err := server.DecodeQueryRequest(append(out, "]}"...))
			if err != nil || len(back.Params) != 1 || !sameParam(back.Params[0], p) {
				t.Fatalf("param %d of %q (%#v) does not round-trip: %s -> %#v, %v", i, data, p, out, back.Params, err)
			}
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

// sameParam compares decoded parameters (NaN cannot be sent, so == holds).
func sameParam(a, b any) bool { return a == b }
