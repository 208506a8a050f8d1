package local_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
	"github.com/google/go-cmp/cmp"
)

// ---- 9. tenants ----

func TestTenantService_CreateAndNames(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newProject(t, local.Config{})
	ts := f.db.Tenants()
	engMustChange(t)(f.db.Tables().Create(ctx, "users", engCols(t, "name:TEXT")))
	for _, name := range []string{"acme_corp", "customer_12345", "_template_default", "test_checkout_1732700000", strings.Repeat("a", 63)} {
		info, err := ts.Create(ctx, name, cinch.TenantCreateOptions{})
		if err != nil {
			t.Errorf("Create(%q): %v", name, err)
			continue
		}
		if info.Name != name || info.State != cinch.TenantMaterialized || info.SchemaVersion != 1 {
			t.Errorf("Create(%q) = %+v", name, info)
		}
		if got := engFileVersion(t, engTenantFile(f.dir, name)); got != 1 {
			t.Errorf("%s user_version = %d, want 1", name, got)
		}
	}
	for _, name := range []string{"acme-corp", "customer.com", "Acme Corp", "", strings.Repeat("a", 64), "../evil", "a/b", "__x", "a\x00b", "a\nb"} {
		_, err := ts.Create(ctx, name, cinch.TenantCreateOptions{})
		if !errors.Is(err, cinch.ErrInvalidName) {
			t.Errorf("Create(%q) = %v, want ErrInvalidName", name, err)
		}
		if err := ts.Delete(ctx, name); !errors.Is(err, cinch.ErrInvalidName) {
			t.Errorf("Delete(%q) = %v, want ErrInvalidName", name, err)
		}
		if _, err := f.p.Connect(cinch.Target{Tenant: name}); name != "" && !errors.Is(err, cinch.ErrInvalidName) {
			t.Errorf("Connect(%q) = %v, want ErrInvalidName", name, err)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(engBranchDir(f.dir), "tenants"))
	for _, e := range entries {
		if strings.Contains(e.Name(), "evil") || strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("unexpected file %s", e.Name())
		}
	}
	for _, lazy := range []bool{false, true} {
		_, err := ts.Create(ctx, "acme_corp", cinch.TenantCreateOptions{Lazy: lazy})
		engWantErrIs(t, err, cinch.ErrTenantExists)
		_, err = ts.Create(ctx, "main", cinch.TenantCreateOptions{Lazy: lazy})
		engWantErrIs(t, err, cinch.ErrTenantExists)
	}
	_, err := ts.Copy(ctx, "main", "acme_corp", false)
	engWantErrIs(t, err, cinch.ErrTenantExists)
	_, err = ts.Copy(ctx, "ghost", "x", false)
	engWantErrIs(t, err, cinch.ErrTenantNotFound)
	_, err = ts.Info(ctx, "ghost")
	engWantErrIs(t, err, cinch.ErrTenantNotFound)

	t.Run("create from a template tenant", func(t *testing.T) {
		engMustInsert(t, f.db.WithTenant("_template_default"), "users", cinch.Record{"name": "seed"})
		info, err := ts.Create(ctx, "from_tpl", cinch.TenantCreateOptions{From: "_template_default"})
		if err != nil || info.State != cinch.TenantMaterialized {
			t.Fatalf("Create from = %+v, %v", info, err)
		}
		if got := engDump(t, f.db.WithTenant("from_tpl"), "SELECT name FROM users"); len(got) != 1 || got[0]["name"] != "seed" {
			t.Errorf("rows = %v", got)
		}
		_, err = ts.Create(ctx, "from_lazy", cinch.TenantCreateOptions{From: "_template_default", Lazy: true})
		engWantErrIs(t, err, cinch.ErrInvalidInput)
	})
	t.Run("list", func(t *testing.T) {
		engMustCreateTenant(t, f.db, "lazy_one", true)
		list, err := ts.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		states := map[string]cinch.TenantState{}
		for _, ti := range list {
			states[ti.Name] = ti.State
		}
		if states["main"] != cinch.TenantMaterialized || states["lazy_one"] != cinch.TenantLazy || states["acme_corp"] != cinch.TenantMaterialized {
			t.Errorf("states = %v", states)
		}
		if !sort.SliceIsSorted(list, func(i, j int) bool { return list[i].Name < list[j].Name }) {
			t.Errorf("list is not sorted by name")
		}
	})
}

func TestTenantService_Copy(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newProject(t, local.Config{})
	ts := f.db.Tenants()
	engMustChange(t)(f.db.Tables().Create(ctx, "items", engCols(t, "n:INTEGER:not_null", "who:TEXT")))
	engMustChange(t)(f.db.Indexes().Create(ctx, cinch.IndexInfo{Table: "items", Columns: []string{"n"}}))
	engMustCreateTenant(t, f.db, "src", false)
	src := f.db.WithTenant("src")
	for i := range 50 {
		engMustInsert(t, src, "items", cinch.Record{"n": i, "who": "seed"})
	}

	t.Run("no data", func(t *testing.T) {
		info, err := ts.Copy(ctx, "src", "empty_copy", true)
		if err != nil || info.State != cinch.TenantMaterialized {
			t.Fatalf("Copy = %+v, %v", info, err)
		}
		if got := len(engMustQuery(t, f.db.WithTenant("empty_copy"), "SELECT * FROM items").Rows); got != 0 {
			t.Errorf("rows = %d, want 0", got)
		}
		if diff := cmp.Diff(engFileSchema(t, engTenantFile(f.dir, "src")), engFileSchema(t, engTenantFile(f.dir, "empty_copy"))); diff != "" {
			t.Errorf("schema:\n%s", diff)
		}
	})

	t.Run("with data while the source is written", func(t *testing.T) {
		p2 := engOpenProject(t, f.dir, local.Config{})
		writers := []*local.DB{src, engConnect(t, p2, "src")}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		errs := make(chan error, len(writers))
		for w, wdb := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := wdb.InsertMany(ctx, "items", []cinch.Record{{"n": 1000 + i, "who": fmt.Sprint("w", w)}, {"n": -1000 - i, "who": fmt.Sprint("w", w)}}); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		// Copy a few times while the writers run.
		for i := range 3 {
			name := fmt.Sprint("copy", i)
			if _, err := ts.Copy(ctx, "src", name, false); err != nil {
				t.Fatalf("Copy: %v", err)
			}
		}
		close(stop)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("writer: %v", err)
		}
		all := map[any]bool{}
		for _, r := range engDump(t, src, "SELECT id FROM items") {
			all[r["id"]] = true
		}
		for i := range 3 {
			c := f.db.WithTenant(fmt.Sprint("copy", i))
			if got := engDump(t, c, "PRAGMA integrity_check"); len(got) != 1 || got[0]["integrity_check"] != "ok" {
				t.Errorf("copy%d integrity_check = %v", i, got)
			}
			// Batches are atomic: a copy holds both rows of a batch or neither.
			if got := engDump(t, c, "SELECT count(*) AS n FROM items WHERE n >= 1000")[0]["n"]; got != engDump(t, c, "SELECT count(*) AS n FROM items WHERE n <= -1000")[0]["n"] {
				t.Errorf("copy%d holds half a batch", i)
			}
			rows := engDump(t, c, "SELECT id FROM items")
			if len(rows) < 50 {
				t.Errorf("copy%d has %d rows, want at least 50", i, len(rows))
			}
			for _, r := range rows {
				if !all[r["id"]] {
					t.Errorf("copy%d has row %v the source does not", i, r["id"])
				}
			}
			if got, want := engFileVersion(t, engTenantFile(f.dir, fmt.Sprint("copy", i))), 2; got != want {
				t.Errorf("copy%d user_version = %d, want %d", i, got, want)
			}
		}
	})
	t.Run("copy of a lazy tenant", func(t *testing.T) {
		engMustCreateTenant(t, f.db, "lazy_src", true)
		if _, err := ts.Copy(ctx, "lazy_src", "from_lazy", false); err != nil {
			t.Fatal(err)
		}
		if !engFileExists(engTenantFile(f.dir, "from_lazy")) {
			t.Errorf("copy of a lazy tenant has no file")
		}
		if engFileExists(engTenantFile(f.dir, "lazy_src")) {
			t.Errorf("copying a lazy tenant materialized it")
		}
	})
}

func TestTenantService_RenameDelete(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newProject(t, local.Config{})
	ts := f.db.Tenants()
	engMustChange(t)(f.db.Tables().Create(ctx, "users", engCols(t, "name:TEXT")))
	engMustCreateTenant(t, f.db, "old", false)
	old := f.db.WithTenant("old")
	engMustInsert(t, old, "users", cinch.Record{"name": "kept"})
	oldPath := engTenantFile(f.dir, "old")
	if !engFileExists(oldPath + "-wal") {
		t.Logf("note: no -wal while open")
	}

	t.Run("protected main", func(t *testing.T) {
		engWantErrIs(t, ts.Rename(ctx, "main", "x"), cinch.ErrProtected)
		engWantErrIs(t, ts.Delete(ctx, "main"), cinch.ErrProtected)
		if !engFileExists(engTenantFile(f.dir, "main")) {
			t.Errorf("main's file is gone")
		}
	})
	t.Run("rename", func(t *testing.T) {
		engWantErrIs(t, ts.Rename(ctx, "old", "main"), cinch.ErrTenantExists)
		engWantErrIs(t, ts.Rename(ctx, "ghost", "x"), cinch.ErrTenantNotFound)
		engWantErrIs(t, ts.Rename(ctx, "old", "Bad-Name"), cinch.ErrInvalidName)
		if err := ts.Rename(ctx, "old", "renamed"); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{oldPath, oldPath + "-wal", oldPath + "-shm"} {
			if engFileExists(p) {
				t.Errorf("%s still exists", p)
			}
		}
		if engFileExists(filepath.Join(engBranchDir(f.dir), "journal.json")) {
			t.Errorf("journal.json left behind")
		}
		_, err := old.Query(ctx, "SELECT * FROM users")
		engWantErrIs(t, err, cinch.ErrTenantNotFound)
		if engFileExists(oldPath) {
			t.Errorf("querying the old name recreated its file")
		}
		got := engDump(t, f.db.WithTenant("renamed"), "SELECT name FROM users")
		if len(got) != 1 || got[0]["name"] != "kept" {
			t.Errorf("renamed rows = %v", got)
		}
		// Lazy tenants rename too.
		engMustCreateTenant(t, f.db, "lazy_old", true)
		if err := ts.Rename(ctx, "lazy_old", "lazy_new"); err != nil {
			t.Fatal(err)
		}
		if info, err := ts.Info(ctx, "lazy_new"); err != nil || info.State != cinch.TenantLazy {
			t.Errorf("lazy_new = %+v, %v", info, err)
		}
		// The old name is free again, and starts empty.
		engMustCreateTenant(t, f.db, "old", false)
		if got := len(engDump(t, old, "SELECT * FROM users")); got != 0 {
			t.Errorf("recreated tenant has %d rows", got)
		}
	})
	t.Run("delete", func(t *testing.T) {
		del := f.db.WithTenant("renamed")
		engMustInsert(t, del, "users", cinch.Record{"name": "x"})
		path := engTenantFile(f.dir, "renamed")
		if err := ts.Delete(ctx, "renamed"); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			if engFileExists(p) {
				t.Errorf("%s still exists", p)
			}
		}
		_, err := del.Query(ctx, "SELECT * FROM users")
		engWantErrIs(t, err, cinch.ErrTenantNotFound)
		_, err = del.Insert(ctx, "users", cinch.Record{"name": "y"})
		engWantErrIs(t, err, cinch.ErrTenantNotFound)
		if engFileExists(path) {
			t.Errorf("using a deleted tenant recreated its file")
		}
		engWantErrIs(t, ts.Delete(ctx, "renamed"), cinch.ErrTenantNotFound)
		engMustCreateTenant(t, f.db, "lazy_del", true)
		if err := ts.Delete(ctx, "lazy_del"); err != nil {
			t.Fatal(err)
		}
		_, err = ts.Info(ctx, "lazy_del")
		engWantErrIs(t, err, cinch.ErrTenantNotFound)
	})
}
