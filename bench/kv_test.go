package bench_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// The KV store (issue 15, item 1) against the same table used by hand:
// the raw side opens a tenant file whose __kv table cinch created, and
// runs the statements cinch runs (sqlite/kv.go) as reused prepared
// statements, with a clock read per operation for the expiry test as
// cinch does. What the raw side leaves out is cinch's overhead: key and
// value checks, the handle pool, the guard, the type column read back
// into a Go type.

const (
	kvKeys = 10_000
	// rawKVGet and rawKVSet are sqlite/kv.go's kvGetSQL and kvSetSQL.
	rawKVGet = `SELECT value, type FROM __kv WHERE key = ?1 AND (expires_at IS NULL OR expires_at > ?2)`
	rawKVSet = `INSERT INTO __kv (key, value, type, expires_at) VALUES (?1, ?2, ?3, ?4)
  ON CONFLICT (key) DO UPDATE SET value = excluded.value, type = excluded.type, expires_at = excluded.expires_at`
)

func kvKey(i int) string   { return fmt.Sprintf("session:%05d", i) }
func kvValue(i int) string { return fmt.Sprintf(`user %d, plan pro, seen %d`, i%1024, i) }

// kvTenant creates a tenant whose store holds kvKeys text values.
func kvTenant(b *testing.B, pr *project, name string) {
	db := pr.tenant(b, name)
	items := make(map[string]any, kvKeys)
	for i := range kvKeys {
		items[kvKey(i)] = kvValue(i)
	}
	if err := db.KV().MSet(ctx, items, 0); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkKVGet: the value of a random one of 10k keys.
//
// cinch: db.KV().Get(ctx, key) — the key checked, the pool, a reader
// connection, the cached statement, the value read as its stored type.
//
// raw: the same SELECT prepared once; bind key and now, step, read the
// value as text, reset.
func BenchmarkKVGet(b *testing.B) {
	pr := newProject(b)
	kvTenant(b, pr, "kv")
	kv := pr.db.WithTenant("kv").KV()

	b.Run("cinch", func(b *testing.B) {
		rng := rand.New(rand.NewPCG(1, 2))
		if _, err := kv.Get(ctx, kvKey(0)); err != nil { // warm: open the reader
			b.Fatal(err)
		}
		b.ReportAllocs()
		defer cpuTimer(b)()
		for b.Loop() {
			v, err := kv.Get(ctx, kvKey(rng.IntN(kvKeys)))
			if err != nil || v == nil {
				b.Fatal(v, err)
			}
		}
	})

	b.Run("raw", func(b *testing.B) {
		c := openRaw(b, pr.path("kv"))
		defer c.Close()
		s := prepare(b, c, rawKVGet)
		rng := rand.New(rand.NewPCG(1, 2))
		b.ReportAllocs()
		defer cpuTimer(b)()
		for b.Loop() {
			s.BindText(1, kvKey(rng.IntN(kvKeys)))
			s.BindInt64(2, time.Now().UnixMilli())
			var v any
			if s.Step() {
				v = s.ColumnText(0)
			}
			if err := s.Reset(); err != nil || v == nil {
				b.Fatal(err, v)
			}
		}
	})
}

// BenchmarkKVSet: a new value for a random one of 10k keys (an update of
// the row), in its own autocommit transaction.
//
// cinch: db.KV().Set(ctx, key, value, 0) — key and value checked, the
// pool, the tenant's writer, the cached upsert.
//
// raw: the same upsert prepared once; bind key, value, type and NULL
// expiry, step, reset.
func BenchmarkKVSet(b *testing.B) {
	pr := newProject(b)
	kvTenant(b, pr, "kv_cinch")
	kvTenant(b, pr, "kv_raw")
	kv := pr.db.WithTenant("kv_cinch").KV()

	b.Run("cinch", func(b *testing.B) {
		rng := rand.New(rand.NewPCG(1, 2))
		i := 0
		b.ReportAllocs()
		defer cpuTimer(b)()
		for b.Loop() {
			i++
			if err := kv.Set(ctx, kvKey(rng.IntN(kvKeys)), kvValue(i), 0); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("raw", func(b *testing.B) {
		c := openRaw(b, pr.path("kv_raw"))
		defer c.Close()
		s := prepare(b, c, rawKVSet)
		rng := rand.New(rand.NewPCG(1, 2))
		i := 0
		b.ReportAllocs()
		defer cpuTimer(b)()
		for b.Loop() {
			i++
			s.BindText(1, kvKey(rng.IntN(kvKeys)))
			s.BindText(2, kvValue(i))
			s.BindText(3, "text")
			s.BindNull(4)
			if err := s.Exec(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
