package wire_test

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/internal/wire"
)

func TestKV_RoundTrip(t *testing.T) {
	for _, tc := range []struct {
		v    any
		typ  string
		json string
	}{
		{nil, "null", `null`},
		{true, "bool", `true`},
		{int64(-42), "int", `-42`},
		{int64(math.MaxInt64), "int", `9223372036854775807`},
		{2.0, "float", `2.0`},
		{1e300, "float", `1e+300`},
		{math.Inf(-1), "float", `-9e999`},
		{"a\"b\n", "text", `"a\"b\n"`},
		{"", "text", `""`},
		{[]byte{0, 255}, "bytes", `"AP8="`},
		{[]byte{}, "bytes", `""`},
		{json.RawMessage(`{"a":[1,"x"]}`), "json", `{"a":[1,"x"]}`},
		{json.RawMessage(`"doc"`), "json", `"doc"`},
	} {
		typ, raw, err := wire.EncodeKV(tc.v)
		if err != nil || typ != tc.typ || string(raw) != tc.json {
			t.Errorf("encode %#v = %s %s %v; want %s %s", tc.v, typ, raw, err, tc.typ, tc.json)
		}
		got, err := wire.DecodeKV(typ, raw)
		if err != nil || !reflect.DeepEqual(got, tc.v) || reflect.TypeOf(got) != reflect.TypeOf(tc.v) {
			t.Errorf("decode %s %s = %#v, %v; want %#v", typ, raw, got, err, tc.v)
		}
	}
}

func TestDecodeKV(t *testing.T) {
	for _, tc := range []struct {
		typ, raw string
		want     any
		err      string
	}{
		// Inferred types.
		{"", `"x"`, "x", ""},
		{"", ` 7 `, int64(7), ""},
		{"", `7.0`, 7.0, ""},
		{"", `7e0`, 7.0, ""},
		{"", `9e999`, math.Inf(1), ""},
		{"", `false`, false, ""},
		{"", `null`, nil, ""},
		{"", `{ "a" : 1 }`, json.RawMessage(`{"a":1}`), ""},
		{"", `[]`, json.RawMessage(`[]`), ""},
		{"", `99999999999999999999`, nil, "64 bits"},
		// Explicit types.
		{"json", `"x"`, json.RawMessage(`"x"`), ""},
		{"json", `1.50`, json.RawMessage(`1.50`), ""},
		{"float", `3`, 3.0, ""},
		{"bytes", `"aGk="`, []byte("hi"), ""},
		{"text", `"é\u00e9"`, "éé", ""},
		{"text", `"\ufffd"`, "\ufffd", ""},
		// Mismatches and bad input.
		{"text", `1`, nil, "must be a JSON string, not an integer"},
		{"int", `1.5`, nil, "must be an integer"},
		{"int", `"1"`, nil, "not a string"},
		{"bool", `1`, nil, "true or false"},
		{"bytes", `"!!"`, nil, "base64"},
		{"null", `0`, nil, "must be null"},
		{"float", `"1"`, nil, "a number"},
		{"TEXT", `"x"`, nil, "unknown KV value type"},
		{"", ``, nil, "missing"},
		{"", `{`, nil, "not valid JSON"},
		{"text", `"\ud800"`, nil, "not valid UTF-8"},
		{"text", "\"\xff\"", nil, "not valid UTF-8"},
	} {
		got, err := wire.DecodeKV(tc.typ, json.RawMessage(tc.raw))
		if tc.err != "" {
			if !errors.Is(err, cinch.ErrInvalidInput) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s %s: %v, want invalid input %q", tc.typ, tc.raw, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s %s = %#v, %v; want %#v", tc.typ, tc.raw, got, err, tc.want)
		}
	}
}

// FuzzDecodeKV: whatever a request holds, decoding does not panic, and
// what it accepts is a value the store takes (NormalizeKVValue leaves it
// as it is) that encodes and decodes back to itself.
func FuzzDecodeKV(f *testing.F) {
	for _, s := range [][2]string{{"", `"x"`}, {"", `1`}, {"", `1.5`}, {"bytes", `"AA=="`}, {"json", `{"a":[]}`},
		{"", `9e999`}, {"text", `"\ud800"`}, {"int", `-0`}, {"float", `-0`}, {"", `null`}, {"bool", `true`}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, typ, raw string) {
		v, err := wire.DecodeKV(typ, json.RawMessage(raw))
		if err != nil {
			if !errors.Is(err, cinch.ErrInvalidInput) {
				t.Fatalf("%q %q: error outside the vocabulary: %v", typ, raw, err)
			}
			return
		}
		n, ntyp, err := cinch.NormalizeKVValue(v)
		if err != nil {
			t.Fatalf("%q %q: decoded %#v, which the store refuses: %v", typ, raw, v, err)
		}
		if s, ok := v.(string); ok && !utf8.ValidString(s) {
			t.Fatalf("%q %q: text %q is not valid UTF-8", typ, raw, s)
		}
		if typ != "" && string(ntyp) != typ {
			t.Fatalf("%q %q: decoded as %s", typ, raw, ntyp)
		}
		etyp, enc, err := wire.EncodeKV(n)
		if err != nil {
			t.Fatal(err)
		}
		back, err := wire.DecodeKV(etyp, enc)
		if err != nil || !reflect.DeepEqual(back, n) && !(isNaN(back) && isNaN(n)) {
			t.Fatalf("%q %q: %#v encoded as %s %s decoded as %#v, %v", typ, raw, n, etyp, enc, back, err)
		}
	})
}

func isNaN(v any) bool { f, ok := v.(float64); return ok && math.IsNaN(f) }
