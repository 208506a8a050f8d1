package sqlite_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/sqlite"
)

func newKVConn(t testing.TB) *sqlite.Conn {
	t.Helper()
	c, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func kvItem(t testing.TB, key string, v any) sqlite.KVItem {
	t.Helper()
	n, typ, err := cinch.NormalizeKVValue(v)
	if err != nil {
		t.Fatal(err)
	}
	return sqlite.KVItem{Key: key, Value: n, Type: typ}
}

func hasKVTable(t *testing.T, c *sqlite.Conn) bool {
	t.Helper()
	res, err := c.Query(context.Background(), cinch.QueryOptions{}, "SELECT count(*) AS n FROM sqlite_schema WHERE name = '__kv'")
	if err != nil {
		t.Fatal(err)
	}
	return res.Value(0, "n") == int64(1)
}

// Every type reads back as the type it was stored with, including the
// ones SQLite has no type for (bool, JSON) and the edge values.
func TestKV_TypesRoundTrip(t *testing.T) {
	ctx := context.Background()
	c := newKVConn(t)
	values := map[string]any{
		"text": "héllo", "empty": "", "digits": "007", "int": int64(42), "min": int64(math.MinInt64),
		"max": int64(math.MaxInt64), "float": 2.0, "frac": 1.5, "inf": math.Inf(-1), "true": true, "false": false,
		"bytes": []byte{0, 1, 2, 255}, "nobytes": []byte{}, "json": json.RawMessage(`{"a":[1,2.5,"x"]}`),
		"jsonstr": json.RawMessage(`"s"`), "null": nil,
	}
	var items []sqlite.KVItem
	for k, v := range values {
		items = append(items, kvItem(t, k, v))
	}
	if err := c.KVSet(ctx, items, 0); err != nil {
		t.Fatal(err)
	}
	for k, want := range values {
		got, found, err := c.KVGet(ctx, k, 0)
		if err != nil || !found {
			t.Fatalf("get %s: %v %v", k, found, err)
		}
		if !reflect.DeepEqual(got, want) || reflect.TypeOf(got) != reflect.TypeOf(want) {
			t.Errorf("%s = %#v (%T), want %#v (%T)", k, got, got, want, want)
		}
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	got, err := c.KVMGet(ctx, append(keys, "missing"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, values) {
		t.Errorf("MGet = %#v, want %#v", got, values)
	}
	// Text, JSON and bytes by length (6+0+3, 17+3, 4+0), eight numbers
	// and bools 8 bytes each, null 0.
	if n, err := c.KVSize(ctx, nil, 0); err != nil || n != 6+3+17+3+4+8*8 {
		t.Errorf("size of all = %d, %v", n, err)
	}
	if n, err := c.KVSize(ctx, []string{"text", "bytes", "int", "null", "missing"}, 0); err != nil || n != int64(len("héllo"))+4+8 {
		t.Errorf("size of text, bytes, int, null, missing = %d, %v", n, err)
	}
}

// Nothing but a write that stores keys creates the table; every read and
// the other writes find an empty store.
func TestKV_TableOnFirstStore(t *testing.T) {
	ctx := context.Background()
	c := newKVConn(t)
	if _, found, err := c.KVGet(ctx, "k", 0); found || err != nil {
		t.Errorf("get: %v %v", found, err)
	}
	if keys, err := c.KVKeys(ctx, "*", 0); len(keys) != 0 || err != nil {
		t.Errorf("keys: %v %v", keys, err)
	}
	if n, err := c.KVDelete(ctx, []string{"a", "b"}, 0); n != 0 || err != nil {
		t.Errorf("delete: %v %v", n, err)
	}
	if found, err := c.KVSetExpiry(ctx, "k", 5, 0); found || err != nil {
		t.Errorf("set expiry: %v %v", found, err)
	}
	if n, err := c.KVDeleteExpired(ctx, 0); n != 0 || err != nil {
		t.Errorf("delete expired: %v %v", n, err)
	}
	if m, err := c.KVMGet(ctx, []string{"k"}, 0); len(m) != 0 || err != nil {
		t.Errorf("mget: %v %v", m, err)
	}
	if n, err := c.KVSize(ctx, nil, 0); n != 0 || err != nil {
		t.Errorf("size: %v %v", n, err)
	}
	if hasKVTable(t, c) {
		t.Fatal("a read or a delete created the KV table")
	}
	if err := c.KVSet(ctx, []sqlite.KVItem{kvItem(t, "k", "v")}, 0); err != nil {
		t.Fatal(err)
	}
	if !hasKVTable(t, c) {
		t.Fatal("no KV table after Set")
	}
}

// Expiry is decided by the caller's clock: a key is gone at its expiry
// time for every operation, and SetNX and Incr treat it as missing.
func TestKV_Expiry(t *testing.T) {
	ctx := context.Background()
	c := newKVConn(t)
	if err := c.KVSet(ctx, []sqlite.KVItem{kvItem(t, "a", "x"), kvItem(t, "b", int64(5))}, 1000); err != nil {
		t.Fatal(err)
	}
	if err := c.KVSet(ctx, []sqlite.KVItem{kvItem(t, "c", "kept")}, 0); err != nil {
		t.Fatal(err)
	}
	for _, now := range []int64{0, 999} {
		if _, found, _ := c.KVGet(ctx, "a", now); !found {
			t.Errorf("a not found at %d", now)
		}
		if exp, found, _ := c.KVExpiry(ctx, "a", now); !found || exp != 1000 {
			t.Errorf("expiry of a at %d: %d %v", now, exp, found)
		}
	}
	if _, found, _ := c.KVGet(ctx, "a", 1000); found {
		t.Error("a found at its expiry time")
	}
	if ok, _ := c.KVExists(ctx, "a", 1000); ok {
		t.Error("a exists at its expiry time")
	}
	if keys, _ := c.KVKeys(ctx, "", 1000); !slices.Equal(keys, []string{"c"}) {
		t.Errorf("keys at 1000 = %v", keys)
	}
	if n, _ := c.KVCount(ctx, "*", 1000); n != 1 {
		t.Errorf("count at 1000 = %d", n)
	}
	if found, _ := c.KVSetExpiry(ctx, "a", 0, 1000); found {
		t.Error("persisting an expired key found it")
	}
	// SetNX: refused on a live key, done on an expired one.
	if set, err := c.KVSetNX(ctx, kvItem(t, "c", "new"), 0, 1000); set || err != nil {
		t.Errorf("setnx on live c: %v %v", set, err)
	}
	if set, err := c.KVSetNX(ctx, kvItem(t, "a", "new"), 0, 1000); !set || err != nil {
		t.Errorf("setnx on expired a: %v %v", set, err)
	}
	if v, _, _ := c.KVGet(ctx, "a", 5000); v != "new" {
		t.Errorf("a after setnx = %v", v)
	}
	// Incr: an expired key starts again from 0, without its expiry.
	if n, err := c.KVIncr(ctx, "b", int64(2), 1000); n != int64(2) || err != nil {
		t.Errorf("incr of expired b = %v, %v", n, err)
	}
	if exp, found, _ := c.KVExpiry(ctx, "b", 1000); !found || exp != 0 {
		t.Errorf("b after incr: expiry %d, found %v", exp, found)
	}
	// Delete counts live keys only, and removes expired ones too.
	if err := c.KVSet(ctx, []sqlite.KVItem{kvItem(t, "d", 1), kvItem(t, "e", 1)}, 2000); err != nil {
		t.Fatal(err)
	}
	if n, _ := c.KVDelete(ctx, []string{"d"}, 2000); n != 0 {
		t.Errorf("delete of expired d = %d", n)
	}
	if n, _ := c.KVDeleteExpired(ctx, 2000); n != 1 {
		t.Errorf("delete expired = %d, want 1 (e)", n)
	}
	res, err := c.Query(ctx, cinch.QueryOptions{}, "SELECT key FROM __kv ORDER BY key")
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Rows; !reflect.DeepEqual(got, [][]any{{"a"}, {"b"}, {"c"}}) {
		t.Errorf("rows left = %v", got)
	}
}

func TestKV_Incr(t *testing.T) {
	ctx := context.Background()
	c := newKVConn(t)
	if err := c.KVSet(ctx, []sqlite.KVItem{kvItem(t, "n", 40), kvItem(t, "f", 1.5), kvItem(t, "s", "x"),
		kvItem(t, "big", int64(math.MaxInt64-1)), kvItem(t, "j", json.RawMessage("1"))}, 9000); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key  string
		by   any
		want any
		err  string
	}{
		{"n", int64(2), int64(42), ""},
		{"n", int64(-50), int64(-8), ""},
		{"new", int64(7), int64(7), ""},
		{"f", 1.0, 2.5, ""},
		{"n", 0.5, -7.5, ""}, // an integer becomes a float
		{"f", int64(1), nil, "holds float, not an integer"},
		{"s", int64(1), nil, "holds text, not an integer"},
		{"s", 1.0, nil, "holds text, not a number"},
		{"j", int64(1), nil, "holds json, not an integer"},
		{"big", int64(1), int64(math.MaxInt64), ""},
		{"big", int64(1), nil, "overflow"},
	} {
		got, err := c.KVIncr(ctx, tc.key, tc.by, 0)
		if tc.err != "" {
			if !errors.Is(err, cinch.ErrInvalidInput) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("incr %s by %v: %v, want invalid input %q", tc.key, tc.by, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("incr %s by %v = %#v, %v; want %#v", tc.key, tc.by, got, err, tc.want)
		}
	}
	// A live key keeps its expiry; the failed increments changed nothing.
	if exp, _, _ := c.KVExpiry(ctx, "f", 0); exp != 9000 {
		t.Errorf("expiry of f after incr = %d", exp)
	}
	if v, _, _ := c.KVGet(ctx, "big", 0); v != int64(math.MaxInt64) {
		t.Errorf("big = %v", v)
	}
	if v, _, _ := c.KVGet(ctx, "n", 0); v != -7.5 {
		t.Errorf("n = %#v", v)
	}
}

// User SQL reads the KV table but never writes it, also with the exact
// text of a KV statement the connection has cached.
func TestKV_GuardKeepsUsersOut(t *testing.T) {
	ctx := context.Background()
	c := newKVConn(t)
	if err := c.KVSet(ctx, []sqlite.KVItem{kvItem(t, "k", "v")}, 0); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"DELETE FROM __kv", "UPDATE __kv SET value = 1", "INSERT INTO __kv (key, value, type) VALUES ('x', 1, 'int')",
		"DROP TABLE __kv", "DROP INDEX __kv_expires_at",
	} {
		if _, err := c.Query(ctx, cinch.QueryOptions{}, q); !errors.Is(err, cinch.ErrQueryRejected) {
			t.Errorf("%s: %v, want query_rejected", q, err)
		}
	}
	if _, err := c.Query(ctx, cinch.QueryOptions{}, sqlite.KVSetSQL, "k", "hijacked", "text", nil); !errors.Is(err, cinch.ErrQueryRejected) {
		t.Errorf("the KV statement as a user query: %v, want query_rejected", err)
	}
	res, err := c.Query(ctx, cinch.QueryOptions{}, "SELECT key, value, type, expires_at FROM __kv")
	if err != nil || !reflect.DeepEqual(res.Rows, [][]any{{"k", "v", "text", nil}}) {
		t.Errorf("select: %v %v", res, err)
	}
}

// Keys and patterns are case-sensitive, and the pattern's only wildcards
// are * and ?.
func TestKV_Keys(t *testing.T) {
	ctx := context.Background()
	c := newKVConn(t)
	var items []sqlite.KVItem
	for _, k := range []string{"user:1", "User:2", "user:10", "a*b", "a?b", "a[b]", "axb", `back\slash`, "é"} {
		items = append(items, kvItem(t, k, 1))
	}
	if err := c.KVSet(ctx, items, 0); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		pattern string
		want    []string
	}{
		{"", []string{"User:2", "a*b", "a?b", "a[b]", "axb", `back\slash`, "user:1", "user:10", "é"}},
		{"user:*", []string{"user:1", "user:10"}},
		{"USER:*", nil},
		{"user:?", []string{"user:1"}},
		{"?", []string{"é"}},
		{`a\*b`, []string{"a*b"}},
		{`a\?b`, []string{"a?b"}},
		{"a?b", []string{"a*b", "a?b", "axb"}},
		{"a[b]", []string{"a[b]"}},
		{"a[b", nil},
		{`back\\*`, []string{`back\slash`}},
		{`*\`, nil},
	} {
		got, err := c.KVKeys(ctx, tc.pattern, 0)
		if err != nil || !slices.Equal(got, tc.want) && len(got)+len(tc.want) > 0 {
			t.Errorf("keys %q = %q, %v; want %q", tc.pattern, got, err, tc.want)
		}
		if n, _ := c.KVCount(ctx, tc.pattern, 0); n != int64(len(tc.want)) {
			t.Errorf("count %q = %d, want %d", tc.pattern, n, len(tc.want))
		}
	}
}

func TestKVGlob(t *testing.T) {
	for pattern, want := range map[string]string{
		"":       "*",
		"a*":     "a*",
		"?":      "?",
		`a\*`:    "a[*]",
		`\?`:     "[?]",
		"[x]":    "[[]x]",
		`\[`:     "[[]",
		`\\`:     `\`,
		`x\`:     `x\`,
		`\é`:     "é",
		"ab]c^!": "ab]c^!",
	} {
		if got := sqlite.KVGlob(pattern); got != want {
			t.Errorf("KVGlob(%q) = %q, want %q", pattern, got, want)
		}
	}
}

// globMatch is the pattern language of cinch.KVService.Keys, written out
// plainly: the reference KVGlob plus SQLite's GLOB must agree with.
func globMatch(pattern, key string) bool {
	type token struct {
		star, one bool
		r         rune
	}
	var toks []token
	for i := 0; i < len(pattern); {
		r, n := utf8.DecodeRuneInString(pattern[i:])
		i += n
		switch {
		case r == '*':
			toks = append(toks, token{star: true})
		case r == '?':
			toks = append(toks, token{one: true})
		case r == '\\' && i < len(pattern):
			q, qn := utf8.DecodeRuneInString(pattern[i:])
			i += qn
			toks = append(toks, token{r: q})
		default:
			toks = append(toks, token{r: r})
		}
	}
	if pattern == "" {
		toks = []token{{star: true}}
	}
	runes := []rune(key)
	// match[i][j]: toks[i:] matches runes[j:].
	match := make([][]bool, len(toks)+1)
	for i := range match {
		match[i] = make([]bool, len(runes)+1)
	}
	match[len(toks)][len(runes)] = true
	for i := len(toks) - 1; i >= 0; i-- {
		for j := len(runes); j >= 0; j-- {
			tk := toks[i]
			switch {
			case tk.star:
				match[i][j] = match[i+1][j] || (j < len(runes) && match[i][j+1])
			case j == len(runes):
				match[i][j] = false
			case tk.one:
				match[i][j] = match[i+1][j+1]
			default:
				match[i][j] = tk.r == runes[j] && match[i+1][j+1]
			}
		}
	}
	return match[0][0]
}

// FuzzKVGlob: SQLite's GLOB on the translated pattern matches exactly the
// keys the pattern language says it does.
func FuzzKVGlob(f *testing.F) {
	for _, s := range [][2]string{
		{"user:*", "user:1"}, {"a?c", "abc"}, {`a\*`, "a*"}, {"[ab]", "a"}, {"[ab]", "[ab]"}, {"*x*", "yxy"},
		{`\`, `\`}, {"?", "é"}, {"**?", ""}, {`a\[b]`, "a[b]"}, {"A*", "abc"}, {"[^a]", "[^a]"}, {"]", "]"},
	} {
		f.Add(s[0], s[1])
	}
	c := newKVConn(f)
	f.Fuzz(func(t *testing.T, pattern, key string) {
		if cinch.ValidateKVPattern(pattern) != nil || cinch.ValidateKVKey(key) != nil {
			return
		}
		res, err := c.Query(context.Background(), cinch.QueryOptions{}, "SELECT ?1 GLOB ?2 AS m", key, sqlite.KVGlob(pattern))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := res.Value(0, "m") == int64(1), globMatch(pattern, key); got != want {
			t.Fatalf("pattern %q (GLOB %q) on key %q: SQLite says %v, the pattern language %v", pattern, sqlite.KVGlob(pattern), key, got, want)
		}
	})
}
