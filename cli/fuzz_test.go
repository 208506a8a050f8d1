package cli_test

import (
	"strings"
	"testing"

	"github.com/cinchdb/cinch"
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

// FuzzParseSize checks that a --max-db-size value either fails with an
// invalid_input error or gives a size that is not negative.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"0", "1048576", "512MiB", "1GB", "1.5 GiB", "-1", "1XB", "9223372036854775808", "1e3", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := cli.ParseSize(s)
		if err != nil {
			if n != 0 || cinch.Code(err) != "invalid_input" || strings.ContainsAny(cli.ErrorMessage(err), "\r\n") && !strings.ContainsAny(s, "\r\n") {
				t.Fatalf("ParseSize(%q) = %d, %v", s, n, err)
			}
			return
		}
		if n < 0 {
			t.Fatalf("ParseSize(%q) = %d", s, n)
		}
	})
}

// FuzzParseAge checks that an --inactive-since value either fails with an
// invalid_input error or gives a positive duration.
func FuzzParseAge(f *testing.F) {
	for _, s := range []string{"365d", "48h", "90m", "1d12h", "0", "-1d", "1y", "99999999999d", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := cli.ParseAge(s)
		if err != nil {
			if d != 0 || cinch.Code(err) != "invalid_input" {
				t.Fatalf("ParseAge(%q) = %v, %v", s, d, err)
			}
			return
		}
		if d <= 0 {
			t.Fatalf("ParseAge(%q) = %v", s, d)
		}
	})
}

// FuzzParseNames checks that a --from-file of tenant names yields only
// valid tenant names, or an error; never a panic or an empty list.
func FuzzParseNames(f *testing.F) {
	for _, s := range []string{"acme\nglobex\n", "# customers\n\nacme\n  globex  \n", "", "\n\n#x", "Bad-Name\n", "a\r\nb\r\n", "__x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		names, err := cli.ParseNames(strings.NewReader(s), "f.txt")
		if err != nil {
			return
		}
		if len(names) == 0 {
			t.Fatalf("no error and no names for %q", s)
		}
		for _, n := range names {
			if err := cinch.ValidateTenantName(n); err != nil {
				t.Fatalf("invalid name %q from %q: %v", n, s, err)
			}
		}
	})
}
