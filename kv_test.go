package cinch_test

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cinchdb/cinch"
)

// specKVKey is the key rule, written independently of kv.go.
func specKVKey(s string) bool {
	if len(s) < 1 || len(s) > 255 || strings.HasPrefix(s, "__") || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

func TestValidateKVKey(t *testing.T) {
	for _, tc := range []struct {
		key  string
		ok   bool
		want string // in the message
	}{
		{"session:42", true, ""},
		{"Key With Spaces", true, ""},
		{"_one", true, ""},
		{"a__b", true, ""},
		{"émoji 🎉 ok", true, ""},
		{"a/b/../c", true, ""},
		{strings.Repeat("k", 255), true, ""},
		{"", false, "empty"},
		{strings.Repeat("k", 256), false, "256 bytes"},
		{"__kv", false, "reserved"},
		{"new\nline", false, "control"},
		{"tab\t", false, "control"},
		{"nul\x00", false, "control"},
		{"nbsp\u00a0", false, "non-printable"},
		{"bad\xffutf8", false, "invalid UTF-8"},
		{"\ufffd", false, "U+FFFD"},
	} {
		err := cinch.ValidateKVKey(tc.key)
		if tc.ok {
			if err != nil {
				t.Errorf("%q: %v", tc.key, err)
			}
			continue
		}
		if !errors.Is(err, cinch.ErrInvalidName) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "KV key") {
			t.Errorf("%q: %v, want invalid_name with %q", tc.key, err, tc.want)
		}
	}
}

func FuzzValidateKVKey(f *testing.F) {
	for _, s := range []string{"k", "", "__x", "a\x00", "\xff", strings.Repeat("é", 128), "a b", "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		err := cinch.ValidateKVKey(key)
		if (err == nil) != specKVKey(key) {
			t.Fatalf("%q: ValidateKVKey says %v, the rule says %v", key, err, specKVKey(key))
		}
		if err != nil && (!errors.Is(err, cinch.ErrInvalidName) || !utf8.ValidString(err.Error()) || strings.ContainsAny(err.Error(), "\n\x00")) {
			t.Fatalf("%q: error %q is not one clean invalid_name line", key, err)
		}
		if perr := cinch.ValidateKVPattern(key); err == nil && perr != nil {
			t.Fatalf("%q is a valid key but not a valid pattern: %v", key, perr)
		}
	})
}

func TestValidateKVPattern(t *testing.T) {
	for p, ok := range map[string]bool{"": true, "*": true, `user:\*?`: true, "__*": true, "a\nb": false,
		strings.Repeat("*", 1024): true, strings.Repeat("*", 1025): false, "\xff": false} {
		if err := cinch.ValidateKVPattern(p); (err == nil) != ok || (err != nil && !errors.Is(err, cinch.ErrInvalidInput)) {
			t.Errorf("%.20q: %v, want ok %v", p, err, ok)
		}
	}
}

func TestNormalizeKVValue(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want any
		typ  cinch.KVType
	}{
		{nil, nil, cinch.KVNull},
		{true, true, cinch.KVBool},
		{42, int64(42), cinch.KVInt},
		{int8(-8), int64(-8), cinch.KVInt},
		{uint32(7), int64(7), cinch.KVInt},
		{uint64(math.MaxInt64), int64(math.MaxInt64), cinch.KVInt},
		{float32(1.5), 1.5, cinch.KVFloat},
		{2.0, 2.0, cinch.KVFloat},
		{math.Inf(1), math.Inf(1), cinch.KVFloat},
		{"text", "text", cinch.KVText},
		{"", "", cinch.KVText},
		{[]byte{1}, []byte{1}, cinch.KVBytes},
		{[]byte{}, []byte{}, cinch.KVBytes},
		{json.RawMessage(` {"a": 1} `), json.RawMessage(`{"a":1}`), cinch.KVJSON},
		{json.RawMessage(`"s"`), json.RawMessage(`"s"`), cinch.KVJSON},
		{map[string]any{"b": []any{true, nil}}, json.RawMessage(`{"b":[true,null]}`), cinch.KVJSON},
		{[]any{}, json.RawMessage(`[]`), cinch.KVJSON},
		{json.Number("12"), int64(12), cinch.KVInt},
		{json.Number("1e2"), 100.0, cinch.KVFloat},
		{json.Number("1.0"), 1.0, cinch.KVFloat},
	} {
		got, typ, err := cinch.NormalizeKVValue(tc.in)
		if err != nil || typ != tc.typ || !reflect.DeepEqual(got, tc.want) || reflect.TypeOf(got) != reflect.TypeOf(tc.want) {
			t.Errorf("%#v → %#v (%T) %s %v; want %#v %s", tc.in, got, got, typ, err, tc.want, tc.typ)
		}
	}
	for _, bad := range []any{math.NaN(), uint64(math.MaxUint64), "\xff", json.RawMessage(`{`), json.RawMessage(nil),
		struct{}{}, time.Now(), map[string]int{"a": 1}, json.Number("x")} {
		if _, _, err := cinch.NormalizeKVValue(bad); !errors.Is(err, cinch.ErrInvalidInput) {
			t.Errorf("%#v: %v, want ErrInvalidInput", bad, err)
		}
	}
}

func TestParseKVType(t *testing.T) {
	for _, typ := range cinch.KVTypes {
		if got, err := cinch.ParseKVType(string(typ)); got != typ || err != nil {
			t.Errorf("%s: %v %v", typ, got, err)
		}
	}
	if _, err := cinch.ParseKVType("TEXT"); !errors.Is(err, cinch.ErrInvalidInput) {
		t.Errorf("TEXT: %v", err)
	}
	if err := cinch.CheckKVTTL(-1); !errors.Is(err, cinch.ErrInvalidInput) {
		t.Errorf("negative ttl: %v", err)
	}
}
