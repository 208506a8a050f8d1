package local_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// kvFixture: a project on a settable clock with users(name), tenant main,
// acme (materialized) and lazy (registered only).
func kvFixture(t *testing.T) (*engFixture, *engClock) {
	t.Helper()
	ctx := context.Background()
	clk := &engClock{now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	f := newProject(t, local.Config{Now: clk.Now})
	mustChange(t)(f.db.Tables().Create(ctx, "users", []cinch.Column{mustCol(t, "name:TEXT")}))
	for name, lazy := range map[string]bool{"acme": false, "lazy": true} {
		if _, err := f.db.Tenants().Create(ctx, name, cinch.TenantCreateOptions{Lazy: lazy}); err != nil {
			t.Fatal(err)
		}
	}
	return f, clk
}

func (c *engClock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

// Expiry follows the project's clock: a key is gone the moment its ttl
// runs out, for every method, before anything deletes it.
func TestKV_Expiry(t *testing.T) {
	ctx := context.Background()
	f, clk := kvFixture(t)
	kv := f.db.WithTenant("acme").KV()
	ok(t, kv.Set(ctx, "session", "abc", time.Minute))
	ok(t, kv.Set(ctx, "flag", true, 0))
	if ttl, err := kv.TTL(ctx, "session"); err != nil || ttl != time.Minute {
		t.Errorf("ttl = %v, %v; want 1m", ttl, err)
	}
	if ttl, err := kv.TTL(ctx, "flag"); err != nil || ttl != cinch.KVNoTTL {
		t.Errorf("ttl of a key without expiry = %v, %v", ttl, err)
	}
	clk.Add(59*time.Second + 999*time.Millisecond)
	if v, err := kv.Get(ctx, "session"); err != nil || v != "abc" {
		t.Errorf("1 ms before expiry: %v, %v", v, err)
	}
	if ttl, _ := kv.TTL(ctx, "session"); ttl != time.Millisecond {
		t.Errorf("ttl 1 ms before expiry = %v", ttl)
	}
	clk.Add(time.Millisecond)
	if _, err := kv.Get(ctx, "session"); !errors.Is(err, cinch.ErrKeyNotFound) {
		t.Errorf("get at expiry: %v, want ErrKeyNotFound", err)
	}
	if _, err := kv.TTL(ctx, "session"); !errors.Is(err, cinch.ErrKeyNotFound) {
		t.Errorf("ttl at expiry: %v", err)
	}
	if found, _ := kv.Exists(ctx, "session"); found {
		t.Error("exists at expiry")
	}
	if keys, _ := kv.Keys(ctx, "*"); !slices.Equal(keys, []string{"flag"}) {
		t.Errorf("keys = %v", keys)
	}
	if m, _ := kv.MGet(ctx, "session", "flag"); !reflect.DeepEqual(m, map[string]any{"flag": true}) {
		t.Errorf("mget = %v", m)
	}
	if err := kv.Persist(ctx, "session"); !errors.Is(err, cinch.ErrKeyNotFound) {
		t.Errorf("persist of an expired key: %v", err)
	}
	if err := kv.Expire(ctx, "session", time.Hour); !errors.Is(err, cinch.ErrKeyNotFound) {
		t.Errorf("expire of an expired key: %v", err)
	}
	// Expire and Persist on a live key.
	ok(t, kv.Expire(ctx, "flag", 90*time.Second))
	if ttl, _ := kv.TTL(ctx, "flag"); ttl != 90*time.Second {
		t.Errorf("ttl after expire = %v", ttl)
	}
	ok(t, kv.Persist(ctx, "flag"))
	if ttl, _ := kv.TTL(ctx, "flag"); ttl != cinch.KVNoTTL {
		t.Errorf("ttl after persist = %v", ttl)
	}
	// The expired row is still in the file until DeleteExpired.
	if res := engMustQuery(t, f.db.WithTenant("acme"), "SELECT count(*) AS n FROM __kv"); res.Value(0, "n") != int64(2) {
		t.Errorf("rows before DeleteExpired = %v", res.Value(0, "n"))
	}
	if n, err := kv.DeleteExpired(ctx); err != nil || n != 1 {
		t.Errorf("DeleteExpired = %d, %v; want 1", n, err)
	}
	if res := engMustQuery(t, f.db.WithTenant("acme"), "SELECT key FROM __kv"); !reflect.DeepEqual(res.Rows, [][]any{{"flag"}}) {
		t.Errorf("rows after DeleteExpired = %v", res.Rows)
	}
	// A sub-millisecond ttl is not "never".
	ok(t, kv.Set(ctx, "blink", 1, time.Nanosecond))
	if ttl, _ := kv.TTL(ctx, "blink"); ttl != time.Millisecond {
		t.Errorf("ttl of a 1 ns key = %v", ttl)
	}
}

// Incr is atomic and keeps the TTL; an expired counter starts again, and
// anything but a number is refused. (CinchDB failed on an expired key.)
func TestKV_Incr(t *testing.T) {
	ctx := context.Background()
	f, clk := kvFixture(t)
	kv := f.db.WithTenant("acme").KV()
	if n, err := kv.Incr(ctx, "hits", 1); err != nil || n != 1 {
		t.Fatalf("incr of a new key = %d, %v", n, err)
	}
	ok(t, kv.Expire(ctx, "hits", time.Minute))
	if n, _ := kv.Incr(ctx, "hits", 41); n != 42 {
		t.Errorf("incr = %d", n)
	}
	if ttl, _ := kv.TTL(ctx, "hits"); ttl != time.Minute {
		t.Errorf("ttl after incr = %v, want it kept", ttl)
	}
	clk.Add(time.Minute)
	if n, err := kv.Incr(ctx, "hits", 5); err != nil || n != 5 {
		t.Errorf("incr of an expired key = %d, %v; want 5", n, err)
	}
	if ttl, _ := kv.TTL(ctx, "hits"); ttl != cinch.KVNoTTL {
		t.Errorf("ttl of the restarted counter = %v, want none", ttl)
	}
	if f, err := kv.IncrFloat(ctx, "hits", 0.5); err != nil || f != 5.5 {
		t.Errorf("incrfloat = %v, %v", f, err)
	}
	if v, _ := kv.Get(ctx, "hits"); v != 5.5 {
		t.Errorf("hits = %#v, want the float 5.5", v)
	}
	if _, err := kv.Incr(ctx, "hits", 1); !errors.Is(err, cinch.ErrInvalidInput) {
		t.Errorf("incr of a float: %v, want ErrInvalidInput", err)
	}
	ok(t, kv.Set(ctx, "name", "x", 0))
	if _, err := kv.Incr(ctx, "name", 1); !errors.Is(err, cinch.ErrInvalidInput) {
		t.Errorf("incr of text: %v", err)
	}
	if v, _ := kv.Get(ctx, "name"); v != "x" {
		t.Errorf("a refused incr changed the value: %v", v)
	}

	// Many writers, two of them in another Project (another process's
	// view): no increment is lost.
	other := engConnect(t, engOpenProject(t, f.dir, local.Config{Now: clk.Now}), "acme").KV()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := kv
			if i%4 == 0 {
				s = other
			}
			for range 25 {
				if _, err := s.Incr(ctx, "race", 1); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if v, _ := kv.Get(ctx, "race"); v != int64(200) {
		t.Errorf("race = %v, want 200", v)
	}
}

// Keys are case-sensitive and checked; values keep their type.
func TestKV_KeysAndValues(t *testing.T) {
	ctx := context.Background()
	f, _ := kvFixture(t)
	kv := f.db.KV()
	ok(t, kv.Set(ctx, "Key", "upper", 0))
	ok(t, kv.Set(ctx, "key", "lower", 0))
	if v, _ := kv.Get(ctx, "KEY"); v != nil {
		t.Errorf("KEY matched another case: %v", v)
	}
	if v, _ := kv.Get(ctx, "Key"); v != "upper" {
		t.Errorf("Key = %v", v)
	}
	if keys, _ := kv.Keys(ctx, "k*"); !slices.Equal(keys, []string{"key"}) {
		t.Errorf("keys k* = %v", keys)
	}
	for _, bad := range []string{"", "__kv", "a\nb", "tab\t", string(make([]byte, 256)), "\xff"} {
		if err := kv.Set(ctx, bad, 1, 0); !errors.Is(err, cinch.ErrInvalidName) {
			t.Errorf("set %q: %v, want ErrInvalidName", bad, err)
		}
		if _, err := kv.Get(ctx, bad); !errors.Is(err, cinch.ErrInvalidName) {
			t.Errorf("get %q: %v, want ErrInvalidName", bad, err)
		}
	}
	if err := kv.Set(ctx, "k", struct{}{}, 0); !errors.Is(err, cinch.ErrInvalidInput) {
		t.Errorf("set of a struct: %v", err)
	}
	if err := kv.Set(ctx, "k", 1, -time.Second); !errors.Is(err, cinch.ErrInvalidInput) {
		t.Errorf("negative ttl: %v", err)
	}
	if err := kv.Expire(ctx, "key", 0); !errors.Is(err, cinch.ErrInvalidInput) {
		t.Errorf("expire 0: %v", err)
	}
	ok(t, kv.MSet(ctx, map[string]any{"i": 7, "u8": uint8(200), "f": float32(1.5), "m": map[string]any{"a": []any{1, "x"}},
		"raw": json.RawMessage(` [ 1 , 2 ] `), "b": []byte("bin"), "n": nil}, 0))
	got, err := kv.MGet(ctx, "i", "u8", "f", "m", "raw", "b", "n", "missing")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"i": int64(7), "u8": int64(200), "f": 1.5, "m": json.RawMessage(`{"a":[1,"x"]}`),
		"raw": json.RawMessage(`[1,2]`), "b": []byte("bin"), "n": nil}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("mget = %#v\nwant %#v", got, want)
	}
	// MSet is all or none.
	if err := kv.MSet(ctx, map[string]any{"ok": 1, "zz": struct{}{}}, 0); err == nil {
		t.Error("mset with a bad value passed")
	}
	if found, _ := kv.Exists(ctx, "ok"); found {
		t.Error("mset with a bad value stored the good one")
	}
	if set, _ := kv.SetNX(ctx, "i", 8, 0); set {
		t.Error("setnx replaced a live key")
	}
	if set, _ := kv.SetNX(ctx, "fresh", 8, 0); !set {
		t.Error("setnx did not set a new key")
	}
	if n, err := kv.Delete(ctx, "i", "fresh", "missing"); err != nil || n != 2 {
		t.Errorf("delete = %d, %v", n, err)
	}
	if n, _ := kv.Count(ctx, ""); n != 8 {
		t.Errorf("count = %d, want 8", n)
	}
	if n, _ := kv.Size(ctx, "b", "raw", "f", "n"); n != 3+5+8 {
		t.Errorf("size = %d", n)
	}
}

// A lazy tenant stays lazy through every read and every write that
// stores nothing; the first Set creates its file.
func TestKV_LazyTenant(t *testing.T) {
	ctx := context.Background()
	f, _ := kvFixture(t)
	kv := f.db.WithTenant("lazy").KV()
	path := engTenantFile(f.dir, "lazy")
	checks := []func() error{
		func() error { _, err := kv.Get(ctx, "k"); return ignore(err, cinch.ErrKeyNotFound) },
		func() error { _, err := kv.Exists(ctx, "k"); return err },
		func() error { _, err := kv.Keys(ctx, "*"); return err },
		func() error { _, err := kv.Count(ctx, "*"); return err },
		func() error { _, err := kv.TTL(ctx, "k"); return ignore(err, cinch.ErrKeyNotFound) },
		func() error { _, err := kv.MGet(ctx, "a", "b"); return err },
		func() error { _, err := kv.Size(ctx); return err },
		func() error { _, err := kv.Delete(ctx, "k"); return err },
		func() error { return ignore(kv.Expire(ctx, "k", time.Second), cinch.ErrKeyNotFound) },
		func() error { return ignore(kv.Persist(ctx, "k"), cinch.ErrKeyNotFound) },
		func() error { _, err := kv.DeleteExpired(ctx); return err },
		func() error { return kv.MSet(ctx, nil, 0) },
	}
	for i, check := range checks {
		if err := check(); err != nil {
			t.Errorf("check %d: %v", i, err)
		}
		if engFileExists(path) {
			t.Fatalf("check %d created the lazy tenant's file", i)
		}
	}
	ok(t, kv.Set(ctx, "k", "v", 0))
	if !engFileExists(path) {
		t.Fatal("Set did not create the lazy tenant's file")
	}
	if v, _ := kv.Get(ctx, "k"); v != "v" {
		t.Errorf("k = %v", v)
	}
	// Incr materializes too.
	if _, err := f.db.Tenants().Create(ctx, "lazy2", cinch.TenantCreateOptions{Lazy: true}); err != nil {
		t.Fatal(err)
	}
	if n, err := f.db.WithTenant("lazy2").KV().Incr(ctx, "n", 3); err != nil || n != 3 {
		t.Errorf("incr on a lazy tenant = %d, %v", n, err)
	}
}

func ignore(err, sentinel error) error {
	if errors.Is(err, sentinel) {
		return nil
	}
	if err == nil {
		return fmt.Errorf("want %v, got none", sentinel)
	}
	return err
}

// A tenant that was never created is an error for every method, and no
// file appears. (CinchDB created the tenant.)
func TestKV_UnknownTenant(t *testing.T) {
	ctx := context.Background()
	f, _ := kvFixture(t)
	kv := f.db.WithTenant("ghost").KV()
	if err := kv.Set(ctx, "k", 1, 0); !errors.Is(err, cinch.ErrTenantNotFound) {
		t.Errorf("set: %v", err)
	}
	if _, err := kv.Get(ctx, "k"); !errors.Is(err, cinch.ErrTenantNotFound) {
		t.Errorf("get: %v", err)
	}
	if _, err := kv.Incr(ctx, "k", 1); !errors.Is(err, cinch.ErrTenantNotFound) {
		t.Errorf("incr: %v", err)
	}
	if _, err := kv.Keys(ctx, ""); !errors.Is(err, cinch.ErrTenantNotFound) {
		t.Errorf("keys: %v", err)
	}
	if engFileExists(engTenantFile(f.dir, "ghost")) {
		t.Error("a file appeared for a tenant that does not exist")
	}
}

// An encrypted tenant keeps its keys and values encrypted on disk, and
// needs its key for them.
func TestKV_Encrypted(t *testing.T) {
	ctx := context.Background()
	p, db := newBranchProject(t)
	if _, err := db.Tenants().Create(ctx, "vault", cinch.TenantCreateOptions{Encrypt: true, Key: "k1"}); err != nil {
		t.Fatal(err)
	}
	vault := db.WithKey("k1").WithTenant("vault").KV()
	ok(t, vault.Set(ctx, "secret-key", secret, 0))
	ok(t, vault.Set(ctx, "blob", []byte(secret), time.Hour))
	for _, data := range tenantFiles(t, p, "main", "vault") {
		if bytes.Contains(data, []byte(secret)) || bytes.Contains(data, []byte("secret-key")) || bytes.Contains(data, []byte("__kv")) {
			t.Fatal("plaintext KV data in an encrypted tenant's files")
		}
	}
	// The same check sees it in a plain tenant.
	ok(t, db.WithTenant("acme").KV().Set(ctx, "secret-key", secret, 0))
	found := false
	for _, data := range tenantFiles(t, p, "main", "acme") {
		found = found || bytes.Contains(data, []byte(secret))
	}
	if !found {
		t.Fatal("the plaintext check is blind")
	}
	if v, err := vault.Get(ctx, "secret-key"); err != nil || v != secret {
		t.Errorf("get with the key: %v, %v", v, err)
	}
	for _, h := range []*local.DB{db.WithTenant("vault"), db.WithKey("wrong").WithTenant("vault")} {
		if _, err := h.KV().Get(ctx, "secret-key"); !errors.Is(err, cinch.ErrEncryptionKey) {
			t.Errorf("get without the right key: %v", err)
		}
	}
}

// The KV table is invisible to the schema: table lists, stats, checks,
// schema changes (a table rebuild), merges and copies see only the user
// tables, and the keys survive all of them.
func TestKV_InvisibleToSchema(t *testing.T) {
	ctx := context.Background()
	p, db := newBranchProject(t)
	acme := db.WithTenant("acme")
	before, err := db.Fleet().Stats(ctx, cinch.FleetOptions{Tenants: []string{"acme"}})
	if err != nil {
		t.Fatal(err)
	}
	ok(t, acme.KV().MSet(ctx, map[string]any{"a": 1, "b": 2, "c": 3}, 0))

	tables, err := db.Tables().List(ctx)
	if err != nil || len(tables) != 1 || tables[0].Name != "users" {
		t.Errorf("tables = %+v, %v", tables, err)
	}
	after, err := db.Fleet().Stats(ctx, cinch.FleetOptions{Tenants: []string{"acme"}})
	if err != nil {
		t.Fatal(err)
	}
	if after[0].Tables != before[0].Tables || after[0].Rows != before[0].Rows {
		t.Errorf("stats counted the KV table: tables %d → %d, rows %d → %d", before[0].Tables, after[0].Tables, before[0].Rows, after[0].Rows)
	}
	checks, err := db.Fleet().Check(ctx, cinch.FleetOptions{Tenants: []string{"acme"}})
	if err != nil || !checks[0].OK || checks[0].Drift {
		t.Errorf("check = %+v, %v", checks, err)
	}

	// A branch with a schema change, merged back: the merge validates and
	// migrates tenants that have a KV table.
	mustBranch := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err = db.Branches().Create(ctx, "feature", "main")
	mustBranch(err)
	feature := db.SwitchBranch("feature").(*local.DB)
	mustChange(t)(feature.Columns().Add(ctx, "users", mustCol(t, "email:TEXT")))
	if v, err := feature.WithTenant("acme").KV().Get(ctx, "a"); err != nil || v != int64(1) {
		t.Errorf("the branch's copy of acme lost its keys: %v, %v", v, err)
	}
	if _, err := db.Branches().Merge(ctx, "feature", "main", false); err != nil {
		t.Fatalf("merge: %v", err)
	}
	// A rebuild of the users table (drop column) on a tenant with keys.
	mustChange(t)(db.Columns().Drop(ctx, "users", "email"))
	if m, err := acme.KV().MGet(ctx, "a", "b", "c"); err != nil || len(m) != 3 {
		t.Errorf("keys after merge and rebuild: %v, %v", m, err)
	}
	checks, err = db.Fleet().Check(ctx, cinch.FleetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		if !c.OK {
			t.Errorf("check after schema changes: %+v", c)
		}
	}
	// A copy keeps the keys; a schema-only copy has none.
	if _, err := db.Tenants().Copy(ctx, "acme", "acme2", false); err != nil {
		t.Fatal(err)
	}
	if v, _ := db.WithTenant("acme2").KV().Get(ctx, "c"); v != int64(3) {
		t.Errorf("copy lost the keys: %v", v)
	}
	if _, err := db.Tenants().Copy(ctx, "acme", "acme3", true); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.WithTenant("acme3").KV().Count(ctx, ""); n != 0 {
		t.Errorf("a schema-only copy has %d keys", n)
	}
	// Archive and restore keep them too.
	ok(t, db.Fleet().Archive(ctx, "acme"))
	ok(t, db.Fleet().Restore(ctx, "acme"))
	if v, _ := acme.KV().Get(ctx, "b"); v != int64(2) {
		t.Errorf("restore lost the keys: %v", v)
	}
	_ = p
}

// Project.DeleteExpiredKV sweeps every served tenant of every branch
// without creating files, and leaves encrypted tenants alone.
func TestProject_DeleteExpiredKV(t *testing.T) {
	ctx := context.Background()
	f, clk := kvFixture(t)
	db := f.db
	if _, err := db.Tenants().Create(ctx, "vault", cinch.TenantCreateOptions{Encrypt: true, Key: "k"}); err != nil {
		t.Fatal(err)
	}
	ok(t, db.KV().Set(ctx, "m", 1, time.Second))
	ok(t, db.WithTenant("acme").KV().MSet(ctx, map[string]any{"a": 1, "b": 2}, time.Second))
	ok(t, db.WithTenant("acme").KV().Set(ctx, "keep", 1, 0))
	ok(t, db.WithKey("k").WithTenant("vault").KV().Set(ctx, "v", 1, time.Second))
	if _, err := db.WithKey("k").Branches().Create(ctx, "dev", "main"); err != nil { // copies the keys
		t.Fatal(err)
	}
	if n, err := f.p.DeleteExpiredKV(ctx); err != nil || n != 0 {
		t.Errorf("sweep before expiry = %d, %v", n, err)
	}
	clk.Add(time.Second)
	if n, err := f.p.DeleteExpiredKV(ctx); err != nil || n != 6 {
		t.Errorf("sweep = %d, %v; want 6 (main and acme on main and dev)", n, err)
	}
	if engFileExists(engTenantFile(f.dir, "lazy")) {
		t.Error("the sweep created the lazy tenant's file")
	}
	if n, _ := db.WithTenant("acme").KV().Count(ctx, ""); n != 1 {
		t.Errorf("acme has %d keys, want 1", n)
	}
	res := engMustQuery(t, db.WithKey("k").WithTenant("vault"), "SELECT count(*) AS n FROM __kv")
	if res.Value(0, "n") != int64(1) {
		t.Errorf("the sweep reached the encrypted tenant: %v rows", res.Value(0, "n"))
	}
	if n, _ := db.WithKey("k").WithTenant("vault").KV().DeleteExpired(ctx); n != 1 {
		t.Errorf("DeleteExpired with the key = %d", n)
	}
	ctx2, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := f.p.DeleteExpiredKV(ctx2); err == nil {
		t.Error("a canceled sweep returned no error")
	}
}

// Writes to the KV table through SQL are refused; reads work.
func TestKV_SQL(t *testing.T) {
	ctx := context.Background()
	f, _ := kvFixture(t)
	ok(t, f.db.KV().Set(ctx, "k", "v", 0))
	if _, err := f.db.Query(ctx, "DELETE FROM __kv"); !errors.Is(err, cinch.ErrQueryRejected) {
		t.Errorf("delete through SQL: %v", err)
	}
	if res := engMustQuery(t, f.db, "SELECT key, value, type FROM __kv"); !reflect.DeepEqual(res.Rows, [][]any{{"k", "v", "text"}}) {
		t.Errorf("select = %v", res.Rows)
	}
	sqlDB, err := f.db.SQLDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	if _, err := sqlDB.ExecContext(ctx, "UPDATE __kv SET value = 'x'"); !local.IsQueryRejected(err) {
		t.Errorf("update through SQLDB: %v", err)
	}
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
