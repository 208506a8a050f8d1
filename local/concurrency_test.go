package local_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
	"github.com/google/go-cmp/cmp"
)

// ---- 5. two processes on one project ----

func TestProject_TwoInstances(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newProject(t, local.Config{})
	a := f.db // stands in for the CLI
	engMustChange(t)(a.Tables().Create(ctx, "users", engCols(t, "name:TEXT")))
	engMustCreateTenant(t, a, "open_t", false)
	engMustCreateTenant(t, a, "del_t", false)
	engMustCreateTenant(t, a, "lazy_t", true)
	engMustCreateTenant(t, a, "mat_t", true)

	pB := engOpenProject(t, f.dir, local.Config{}) // stands in for the server
	b := engConnect(t, pB, "main")
	bOpen, bDel, bLazy, bMat := b.WithTenant("open_t"), b.WithTenant("del_t"), b.WithTenant("lazy_t"), b.WithTenant("mat_t")
	engMustInsert(t, bOpen, "users", cinch.Record{"name": "from B"})
	engMustInsert(t, bDel, "users", cinch.Record{"name": "doomed"})
	for _, db := range []*local.DB{bOpen, bDel, bLazy, bMat} {
		res := engMustQuery(t, db, "SELECT * FROM users")
		if diff := cmp.Diff([]string{"id", "created_at", "updated_at", "name"}, res.Columns); diff != "" {
			t.Fatalf("%s columns:\n%s", db.Target().Tenant, diff)
		}
	}

	t.Run("schema change via A reaches B", func(t *testing.T) {
		engMustChange(t)(a.Columns().Add(ctx, "users", engMustCol(t, "phone:TEXT:default=none")))
		want := []string{"id", "created_at", "updated_at", "name", "phone"}
		for _, db := range []*local.DB{bOpen, bLazy, bMat} {
			res, err := db.Query(ctx, "SELECT * FROM users")
			if err != nil {
				t.Errorf("B %s: %v", db.Target().Tenant, err)
				continue
			}
			if diff := cmp.Diff(want, res.Columns); diff != "" {
				t.Errorf("B %s columns (-want +got):\n%s", db.Target().Tenant, diff)
			}
		}
		if _, err := bLazy.Query(ctx, "SELECT phone FROM users"); err != nil {
			t.Errorf("B lazy tenant does not see the new column: %v", err)
		}
		if got := engChangesLen(t, b); got != 2 {
			t.Errorf("B changes = %d, want 2", got)
		}
		if diff := cmp.Diff(want, engColumnNames(t, b, "users")); diff != "" {
			t.Errorf("B column list:\n%s", diff)
		}
		rec := engMustInsert(t, bOpen, "users", cinch.Record{"name": "x", "phone": "1"})
		if rec["phone"] != "1" {
			t.Errorf("B insert = %v", rec)
		}
		engMustChange(t)(a.Indexes().Create(ctx, cinch.IndexInfo{Table: "users", Columns: []string{"phone"}}))
		idx, err := b.Indexes().List(ctx, "users")
		if err != nil || len(idx) != 1 {
			t.Errorf("B indexes = %v, %v", idx, err)
		}
	})
	t.Run("schema change via B reaches A", func(t *testing.T) {
		engMustChange(t)(b.Columns().Add(ctx, "users", engMustCol(t, "age:INTEGER")))
		for _, db := range []*local.DB{a.WithTenant("open_t"), a.WithTenant("lazy_t"), a} {
			if _, err := db.Query(ctx, "SELECT age FROM users"); err != nil {
				t.Errorf("A %s: %v", db.Target().Tenant, err)
			}
		}
		engCheckConverged(t, a, f.dir)
	})
	t.Run("materialized via A is read by B", func(t *testing.T) {
		engMustInsert(t, a.WithTenant("mat_t"), "users", cinch.Record{"name": "mat"})
		got := engMustQuery(t, bMat, "SELECT name FROM users").Records()
		if diff := cmp.Diff([]cinch.Record{{"name": "mat"}}, got); diff != "" {
			t.Errorf("B mat_t rows:\n%s", diff)
		}
		engMustInsert(t, bMat, "users", cinch.Record{"name": "mat2"})
		if got := len(engMustQuery(t, a.WithTenant("mat_t"), "SELECT * FROM users").Rows); got != 2 {
			t.Errorf("A mat_t rows = %d, want 2", got)
		}
	})
	t.Run("tenant deleted via A is not served by B", func(t *testing.T) {
		if err := a.Tenants().Delete(ctx, "del_t"); err != nil {
			t.Fatal(err)
		}
		_, err := bDel.Query(ctx, "SELECT * FROM users")
		engWantErrIs(t, err, cinch.ErrTenantNotFound)
		_, err = bDel.Insert(ctx, "users", cinch.Record{"name": "ghost"})
		engWantErrIs(t, err, cinch.ErrTenantNotFound)
		if engFileExists(engTenantFile(f.dir, "del_t")) {
			t.Errorf("B recreated the deleted tenant's file")
		}
		// B's other handles keep working.
		engMustQuery(t, bOpen, "SELECT * FROM users")
		// Recreated under the same name via A: B sees the new, empty tenant.
		engMustCreateTenant(t, a, "del_t", false)
		if got := len(engMustQuery(t, bDel, "SELECT * FROM users").Rows); got != 0 {
			t.Errorf("B sees %d rows of the deleted tenant", got)
		}
	})
	t.Run("tenant renamed via A", func(t *testing.T) {
		if err := a.Tenants().Rename(ctx, "open_t", "moved_t"); err != nil {
			t.Fatal(err)
		}
		_, err := bOpen.Query(ctx, "SELECT * FROM users")
		engWantErrIs(t, err, cinch.ErrTenantNotFound)
		if got := len(engMustQuery(t, b.WithTenant("moved_t"), "SELECT * FROM users").Rows); got != 2 {
			t.Errorf("B moved_t rows = %d, want 2", got)
		}
	})
	t.Run("tenant created via A is visible to B", func(t *testing.T) {
		engMustCreateTenant(t, a, "new_t", false)
		engMustCreateTenant(t, a, "new_lazy", true)
		engMustQuery(t, b.WithTenant("new_t"), "SELECT * FROM users")
		engMustQuery(t, b.WithTenant("new_lazy"), "SELECT * FROM users")
		list, err := b.Tenants().List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, ti := range list {
			names = append(names, ti.Name)
		}
		for _, n := range []string{"new_t", "new_lazy", "moved_t"} {
			if !slices.Contains(names, n) {
				t.Errorf("B's list %v lacks %s", names, n)
			}
		}
		if slices.Contains(names, "open_t") {
			t.Errorf("B's list %v still has open_t", names)
		}
		_, err = b.Tenants().Create(ctx, "new_t", cinch.TenantCreateOptions{})
		engWantErrIs(t, err, cinch.ErrTenantExists)
	})
	engCheckConverged(t, a, f.dir)
}

// ---- 6. writers during schema changes ----

func TestProject_WritesDuringSchemaChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newProject(t, local.Config{MaxOpenTenants: 3})
	a := f.db
	engMustChange(t)(a.Tables().Create(ctx, "users", engCols(t, "name:TEXT", "n:INTEGER")))
	tenants := []string{"main", "c0", "c1", "c2", "lazy_c"}
	for _, name := range tenants[1:] {
		engMustCreateTenant(t, a, name, name == "lazy_c")
	}
	pB := engOpenProject(t, f.dir, local.Config{})
	b := engConnect(t, pB, "main")

	const perWriter = 20
	var (
		mu    sync.Mutex
		acked = map[string][]string{}
		errs  []error
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
	}
	start := make(chan struct{})
	var writers sync.WaitGroup
	for _, tenant := range tenants {
		for w, base := range []*local.DB{a, a, b} {
			db := base.WithTenant(tenant)
			writers.Add(1)
			go func() {
				defer writers.Done()
				<-start
				for i := range perWriter {
					name := fmt.Sprintf("w%d-%d", w, i)
					var ids []string
					switch i % 3 {
					case 0:
						rec, err := db.Insert(ctx, "users", cinch.Record{"name": name, "n": i})
						if err != nil {
							fail(fmt.Errorf("%s insert: %w", tenant, err))
							return
						}
						ids = append(ids, rec["id"].(string))
					case 1:
						recs, err := db.InsertMany(ctx, "users", []cinch.Record{{"name": name, "n": i}, {"name": name + "b", "n": i}})
						if err != nil {
							fail(fmt.Errorf("%s insert many: %w", tenant, err))
							return
						}
						for _, r := range recs {
							ids = append(ids, r["id"].(string))
						}
					case 2:
						id := fmt.Sprintf("%s-%s-raw", tenant, name)
						if _, err := db.Query(ctx, "INSERT INTO users (id, name, n) VALUES (?, ?, ?)", id, name, i); err != nil {
							fail(fmt.Errorf("%s raw insert: %w", tenant, err))
							return
						}
						ids = append(ids, id)
					}
					mu.Lock()
					acked[tenant] = append(acked[tenant], ids...)
					mu.Unlock()
					if _, err := db.Query(ctx, "SELECT count(*) FROM users"); err != nil {
						fail(fmt.Errorf("%s read: %w", tenant, err))
						return
					}
				}
			}()
		}
	}
	// Schema changes from both instances while the writers run.
	var changers sync.WaitGroup
	changers.Add(1)
	go func() {
		defer changers.Done()
		<-start
		steps := []func() (cinch.Change, error){
			func() (cinch.Change, error) { return a.Columns().Add(ctx, "users", engMustCol(t, "c1:TEXT")) },
			func() (cinch.Change, error) {
				return a.Indexes().Create(ctx, cinch.IndexInfo{Table: "users", Columns: []string{"n"}})
			},
			func() (cinch.Change, error) {
				return b.Columns().Add(ctx, "users", engMustCol(t, "c2:INTEGER:default=7"))
			},
			func() (cinch.Change, error) {
				return b.Indexes().Create(ctx, cinch.IndexInfo{Table: "users", Columns: []string{"c1", "n"}})
			},
			func() (cinch.Change, error) { return a.Columns().Drop(ctx, "users", "c2") },
			func() (cinch.Change, error) { return a.Columns().Add(ctx, "users", engMustCol(t, "code:TEXT:unique")) },
			func() (cinch.Change, error) { return b.Views().Create(ctx, "names", "SELECT name FROM users") },
		}
		for i, step := range steps {
			if _, err := step(); err != nil {
				fail(fmt.Errorf("schema change %d: %w", i, err))
				return
			}
		}
	}()
	close(start)
	writers.Wait()
	changers.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
	for _, tenant := range tenants {
		var got []string
		for _, r := range engMustQuery(t, a.WithTenant(tenant), "SELECT id FROM users").Records() {
			got = append(got, r["id"].(string))
		}
		want := acked[tenant]
		slices.Sort(got)
		slices.Sort(want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("tenant %s: acknowledged rows differ from stored (-acked +stored):\n%s", tenant, diff)
		}
		perWriterRows := 0
		for i := range perWriter {
			perWriterRows += map[int]int{0: 1, 1: 2, 2: 1}[i%3]
		}
		if got, want := len(want), 3*perWriterRows; got != want {
			t.Errorf("tenant %s: %d acknowledged rows, want %d", tenant, got, want)
		}
	}
	if got, want := engChangesLen(t, a), 8; got != want {
		t.Errorf("changes = %d, want %d", got, want)
	}
	engCheckConverged(t, a, f.dir)
	checks, err := b.Fleet().Check(ctx, cinch.FleetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		if !c.OK {
			t.Errorf("check %+v", c)
		}
	}
}

// Many goroutines on one tenant through one handle: the single writer and
// the readers are shared safely.
func TestDB_ConcurrentSameTenant(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newProject(t, local.Config{ReadersPerTenant: 2})
	engMustChange(t)(f.db.Tables().Create(ctx, "items", engCols(t, "n:INTEGER:not_null")))
	const goroutines, each = 16, 25
	var wg sync.WaitGroup
	errc := make(chan error, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				rec, err := f.db.Insert(ctx, "items", cinch.Record{"n": g*1000 + i})
				if err != nil {
					errc <- err
					return
				}
				if _, err := f.db.Update(ctx, "items", rec["id"].(string), cinch.Record{"n": -(g*1000 + i)}); err != nil {
					errc <- err
					return
				}
				if _, err := f.db.Query(ctx, "SELECT * FROM items WHERE id = ?", rec["id"]); err != nil {
					errc <- err
					return
				}
				if i%5 == 4 {
					if n, err := f.db.Delete(ctx, "items", rec["id"].(string)); err != nil || n != 1 {
						errc <- fmt.Errorf("delete = %d, %w", n, errors.Join(err))
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	res := engMustQuery(t, f.db, "SELECT count(*) AS n, max(n) AS mx FROM items")
	if got, want := res.Value(0, "n"), int64(goroutines*each*4/5); got != want {
		t.Errorf("rows = %v, want %v", got, want)
	}
	if got := res.Value(0, "mx"); got.(int64) > 0 {
		t.Errorf("an update was lost: max(n) = %v", got)
	}
}
