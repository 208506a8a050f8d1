package cli_test

import (
	"testing"

	"github.com/cinchdb/cinch/cli"
)

// FuzzParseParam checks that any --param value becomes one of the query
// parameter types the engine accepts.
func FuzzParseParam(f *testing.F) {
	for _, s := range []string{"42", "1.5", "true", "null", `"42"`, "alice@acme.com", "", " 1", "1e999", "[1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		switch v := cli.ParseParam(s).(type) {
		case nil, bool, int64, float64:
		case string:
			_ = v
		default:
			t.Fatalf("ParseParam(%q) = %T", s, v)
		}
	})
}

// FuzzDecodeRecords checks that --data either fails cleanly or yields
// records holding only scalar values.
func FuzzDecodeRecords(f *testing.F) {
	for _, s := range []string{`{"name": "Alice"}`, `[{"a": 1}, {"b": 2.5}]`, `{"a": {"b": 1}}`, `{} x`, `"x"`, `[]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		recs, many, err := cli.DecodeRecords(s, true)
		if err != nil {
			if recs != nil {
				t.Fatalf("records with an error")
			}
			return
		}
		if len(recs) == 0 || (!many && len(recs) != 1) {
			t.Fatalf("DecodeRecords(%q) = %d records, many=%v", s, len(recs), many)
		}
		for _, r := range recs {
			for k, v := range r {
				switch v.(type) {
				case nil, bool, int64, float64, string:
				default:
					t.Fatalf("value of %q is %T", k, v)
				}
			}
		}
	})
}
