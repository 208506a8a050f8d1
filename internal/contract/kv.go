package contract

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
)

// kvValues is one value of every KV type, with the edges that a careless
// transport loses: 2.0 vs 2, bytes vs their base64 text, a JSON string
// document vs text, infinities, the int64 range, an empty blob.
var kvValues = map[string]any{
	"text":    "héllo \"world\"\n",
	"digits":  "007",
	"empty":   "",
	"int":     int64(42),
	"max":     int64(math.MaxInt64),
	"min":     int64(math.MinInt64),
	"float":   2.0,
	"frac":    -0.25,
	"inf":     math.Inf(1),
	"true":    true,
	"false":   false,
	"bytes":   []byte{0, 1, 254, 255},
	"nobytes": []byte{},
	"b64text": "AAH+/w==",
	"json":    json.RawMessage(`{"theme":"dark","n":[1,2.5,null]}`),
	"jsonstr": json.RawMessage(`"dark"`),
	"null":    nil,
}

func sameKV(a, b any) bool { return reflect.DeepEqual(a, b) && reflect.TypeOf(a) == reflect.TypeOf(b) }

// testKVTypes: every value reads back as the type it was set with, alone
// and in batches.
func testKVTypes(t *testing.T, ctx context.Context, db cinch.DB) {
	kv := db.KV()
	for k, v := range kvValues {
		ok(t, kv.Set(ctx, k, v, 0))
		got, err := kv.Get(ctx, k)
		if err != nil || !sameKV(got, v) {
			t.Errorf("%s: set %#v (%T), got %#v (%T), %v", k, v, v, got, got, err)
		}
	}
	ok(t, kv.Set(ctx, "i", 7, 0)) // a Go int is stored as int64
	if got, _ := kv.Get(ctx, "i"); !sameKV(got, int64(7)) {
		t.Errorf("int 7 read back as %#v", got)
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range kvValues {
			if !yield(k) {
				return
			}
		}
	})
	got := must[map[string]any](t)(kv.MGet(ctx, append(keys, "missing", "text")...))
	if len(got) != len(kvValues) {
		t.Errorf("mget returned %d keys, want %d", len(got), len(kvValues))
	}
	for k, v := range kvValues {
		if !sameKV(got[k], v) {
			t.Errorf("mget %s = %#v, want %#v", k, got[k], v)
		}
	}
	batch := map[string]any{}
	for k, v := range kvValues {
		batch["m:"+k] = v
	}
	ok(t, kv.MSet(ctx, batch, 0))
	for k, v := range batch {
		if got, err := kv.Get(ctx, k); err != nil || !sameKV(got, v) {
			t.Errorf("mset %s: got %#v, %v; want %#v", k, got, err, v)
		}
	}
	if err := kv.MSet(ctx, map[string]any{"m:ok": 1, "__bad": 2}, 0); !errors.Is(err, cinch.ErrInvalidName) {
		t.Errorf("mset with a bad key: %v", err)
	}
	if found := must[bool](t)(kv.Exists(ctx, "m:ok")); found {
		t.Error("mset with a bad key stored the others")
	}
	size := must[int64](t)(kv.Size(ctx, "text", "bytes", "int", "null", "json", "missing"))
	if want := int64(len(kvValues["text"].(string)) + 4 + 8 + 0 + len(kvValues["json"].(json.RawMessage))); size != want {
		t.Errorf("size = %d, want %d", size, want)
	}
}

// testKVKeys: patterns are globs on case-sensitive keys, answers sorted.
func testKVKeys(t *testing.T, ctx context.Context, db cinch.DB) {
	kv := db.KV()
	ok(t, kv.MSet(ctx, map[string]any{"user:1": 1, "user:10": 2, "User:2": 3, "session:a b": 4, "a*b": 5, "axb": 6}, 0))
	for _, tc := range []struct {
		pattern string
		want    []string
	}{
		{"", []string{"User:2", "a*b", "axb", "session:a b", "user:1", "user:10"}},
		{"user:*", []string{"user:1", "user:10"}},
		{"USER:*", []string{}},
		{"user:?", []string{"user:1"}},
		{`a\*b`, []string{"a*b"}},
		{"*:?*", []string{"User:2", "session:a b", "user:1", "user:10"}},
	} {
		keys := must[[]string](t)(kv.Keys(ctx, tc.pattern))
		if !slices.Equal(keys, tc.want) {
			t.Errorf("keys %q = %q, want %q", tc.pattern, keys, tc.want)
		}
		if n := must[int64](t)(kv.Count(ctx, tc.pattern)); n != int64(len(tc.want)) {
			t.Errorf("count %q = %d, want %d", tc.pattern, n, len(tc.want))
		}
	}
	if _, err := kv.Get(ctx, "USER:1"); !errors.Is(err, cinch.ErrKeyNotFound) {
		t.Errorf("get in another case: %v, want ErrKeyNotFound", err)
	}
	if n := must[int64](t)(kv.Delete(ctx, "user:1", "user:10", "missing")); n != 2 {
		t.Errorf("delete = %d, want 2", n)
	}
	if _, err := kv.Keys(ctx, "bad\x00"); !errors.Is(err, cinch.ErrInvalidInput) {
		t.Errorf("bad pattern: %v", err)
	}
}

// testKVExpiry: ttls are kept, read, changed and removed (expiry itself
// is tested where the clock can be set: local and server).
func testKVExpiry(t *testing.T, ctx context.Context, db cinch.DB) {
	kv := db.KV()
	ok(t, kv.Set(ctx, "s", "v", time.Hour))
	if ttl := must[time.Duration](t)(kv.TTL(ctx, "s")); ttl <= 59*time.Minute || ttl > time.Hour {
		t.Errorf("ttl = %v, want about 1h", ttl)
	}
	ok(t, kv.Persist(ctx, "s"))
	if ttl := must[time.Duration](t)(kv.TTL(ctx, "s")); ttl != cinch.KVNoTTL {
		t.Errorf("ttl after persist = %v", ttl)
	}
	ok(t, kv.Expire(ctx, "s", 2*time.Hour))
	if ttl := must[time.Duration](t)(kv.TTL(ctx, "s")); ttl <= time.Hour || ttl > 2*time.Hour {
		t.Errorf("ttl after expire = %v", ttl)
	}
	if err := kv.Expire(ctx, "s", 0); !errors.Is(err, cinch.ErrInvalidInput) {
		t.Errorf("expire 0: %v", err)
	}
	if err := kv.Set(ctx, "s", "v", -time.Second); !errors.Is(err, cinch.ErrInvalidInput) {
		t.Errorf("negative ttl: %v", err)
	}
	for _, err := range []error{kv.Expire(ctx, "missing", time.Hour), kv.Persist(ctx, "missing"), errOf(kv.TTL(ctx, "missing"))} {
		wantErr(t, err, cinch.ErrKeyNotFound)
	}
	if set := must[bool](t)(kv.SetNX(ctx, "s", "other", 0)); set {
		t.Error("setnx replaced a set key")
	}
	if set := must[bool](t)(kv.SetNX(ctx, "n", "new", time.Minute)); !set {
		t.Error("setnx did not set a new key")
	}
	if ttl := must[time.Duration](t)(kv.TTL(ctx, "n")); ttl <= 0 || ttl > time.Minute {
		t.Errorf("ttl of the setnx key = %v", ttl)
	}
	if n := must[int64](t)(kv.DeleteExpired(ctx)); n != 0 {
		t.Errorf("delete expired = %d with nothing expired", n)
	}
}

// testKVIncr: counters are atomic, keep their ttl, stay integers, and
// refuse what is not a number.
func testKVIncr(t *testing.T, ctx context.Context, db cinch.DB) {
	kv := db.KV()
	if n := must[int64](t)(kv.Incr(ctx, "hits", 1)); n != 1 {
		t.Errorf("first incr = %d", n)
	}
	ok(t, kv.Expire(ctx, "hits", time.Hour))
	if n := must[int64](t)(kv.Incr(ctx, "hits", 41)); n != 42 {
		t.Errorf("incr = %d", n)
	}
	if ttl := must[time.Duration](t)(kv.TTL(ctx, "hits")); ttl == cinch.KVNoTTL {
		t.Error("incr dropped the ttl")
	}
	if got := must[any](t)(kv.Get(ctx, "hits")); !sameKV(got, int64(42)) {
		t.Errorf("hits = %#v", got)
	}
	if f := must[float64](t)(kv.IncrFloat(ctx, "hits", 0.5)); f != 42.5 {
		t.Errorf("incrfloat = %v", f)
	}
	if f := must[float64](t)(kv.IncrFloat(ctx, "ratio", 2)); f != 2 {
		t.Errorf("incrfloat of a new key = %v", f)
	}
	if got := must[any](t)(kv.Get(ctx, "ratio")); !sameKV(got, 2.0) {
		t.Errorf("ratio = %#v, want the float 2.0", got)
	}
	ok(t, kv.Set(ctx, "name", "x", 0))
	for _, err := range []error{errOf(kv.Incr(ctx, "name", 1)), errOf(kv.IncrFloat(ctx, "name", 1)), errOf(kv.Incr(ctx, "hits", 1))} {
		wantErr(t, err, cinch.ErrInvalidInput)
	}
	ok(t, kv.Set(ctx, "big", int64(math.MaxInt64), 0))
	wantErr(t, errOf(kv.Incr(ctx, "big", 1)), cinch.ErrInvalidInput)
}

// testKVTenants: each tenant has its own store; reads do not materialize
// a lazy tenant, the first store does; an unknown tenant is an error and
// never a new tenant; bad keys are invalid names.
func testKVTenants(t *testing.T, ctx context.Context, db cinch.DB) {
	must[cinch.TenantInfo](t)(db.Tenants().Create(ctx, "acme", cinch.TenantCreateOptions{}))
	must[cinch.TenantInfo](t)(db.Tenants().Create(ctx, "lazy", cinch.TenantCreateOptions{Lazy: true}))
	ok(t, db.KV().Set(ctx, "k", "main's", 0))
	ok(t, db.SwitchTenant("acme").KV().Set(ctx, "k", "acme's", 0))
	if v := must[any](t)(db.KV().Get(ctx, "k")); v != "main's" {
		t.Errorf("main sees %v", v)
	}
	if v := must[any](t)(db.SwitchTenant("acme").KV().Get(ctx, "k")); v != "acme's" {
		t.Errorf("acme sees %v", v)
	}

	lazy := db.SwitchTenant("lazy").KV()
	wantErr(t, errOf(lazy.Get(ctx, "k")), cinch.ErrKeyNotFound)
	if keys := must[[]string](t)(lazy.Keys(ctx, "")); len(keys) != 0 {
		t.Errorf("lazy keys = %v", keys)
	}
	if n := must[int64](t)(lazy.Delete(ctx, "k")); n != 0 {
		t.Errorf("lazy delete = %d", n)
	}
	if st := must[cinch.TenantInfo](t)(db.Tenants().Info(ctx, "lazy")).State; st != cinch.TenantLazy {
		t.Fatalf("reads made the lazy tenant %s", st)
	}
	ok(t, lazy.Set(ctx, "k", 1, 0))
	if st := must[cinch.TenantInfo](t)(db.Tenants().Info(ctx, "lazy")).State; st != cinch.TenantMaterialized {
		t.Errorf("after Set the tenant is %s, want materialized", st)
	}

	ghost := db.SwitchTenant("ghost").KV()
	wantErr(t, ghost.Set(ctx, "k", 1, 0), cinch.ErrTenantNotFound)
	wantErr(t, errOf(ghost.Get(ctx, "k")), cinch.ErrTenantNotFound)
	wantErr(t, errOf(ghost.Incr(ctx, "k", 1)), cinch.ErrTenantNotFound)
	if _, err := db.Tenants().Info(ctx, "ghost"); !errors.Is(err, cinch.ErrTenantNotFound) {
		t.Errorf("a KV write created tenant ghost: %v", err)
	}

	for _, bad := range []string{"", "__x", "a\nb", string(make([]byte, 300))} {
		wantErr(t, db.KV().Set(ctx, bad, 1, 0), cinch.ErrInvalidName)
		wantErr(t, errOf(db.KV().Get(ctx, bad)), cinch.ErrInvalidName)
	}
	wantErr(t, db.KV().Set(ctx, "k", struct{}{}, 0), cinch.ErrInvalidInput)
	wantErr(t, db.KV().Set(ctx, "k", math.NaN(), 0), cinch.ErrInvalidInput)

	// The store is not a table.
	for _, tb := range must[[]cinch.TableInfo](t)(db.Tables().List(ctx)) {
		if tb.Name == "__kv" {
			t.Error("table list shows the KV table")
		}
	}
}
