package local_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

func columnsOf(t *testing.T, db cinch.DB, table string) []string {
	t.Helper()
	cols, err := db.Columns().List(context.Background(), table)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range cols {
		out = append(out, c.Name+":"+c.Type)
	}
	return out
}

func TestBranches_CreateIsolatesData(t *testing.T) {
	ctx := context.Background()
	_, db := newBranchProject(t)
	info, err := db.Branches().Create(ctx, "feature.x", "main")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := info.Parent, "main"; got != want {
		t.Errorf("parent = %q, want %q", got, want)
	}
	if got, want := info.Tenants, 3; got != want {
		t.Errorf("tenants = %d, want %d", got, want)
	}
	feat := db.SwitchBranch("feature.x").SwitchTenant("acme")
	if got := count(t, feat, "SELECT count(*) AS n FROM users"); got != 1 {
		t.Fatalf("copied rows = %d, want 1", got)
	}
	// Writes and schema changes on the branch stay there.
	if _, err := feat.Insert(ctx, "users", cinch.Record{"name": "Bob"}); err != nil {
		t.Fatal(err)
	}
	mustChange(t)(feat.Columns().Add(ctx, "users", mustCol(t, "phone:TEXT")))
	if got := count(t, db.SwitchTenant("acme"), "SELECT count(*) AS n FROM users"); got != 1 {
		t.Errorf("main acme rows = %d, want 1 (branch write leaked)", got)
	}
	if got := len(columnsOf(t, db, "users")); got != 4 {
		t.Errorf("main users has %d columns, want 4 (branch schema leaked)", got)
	}
	// The lazy tenant stays lazy on the branch: no file.
	ti, err := feat.Tenants().Info(ctx, "wayne")
	if err != nil {
		t.Fatal(err)
	}
	if ti.State != cinch.TenantLazy {
		t.Errorf("wayne on branch is %s, want lazy", ti.State)
	}
	if _, err := db.Branches().Create(ctx, "feature.x", "main"); !errors.Is(err, cinch.ErrBranchExists) {
		t.Errorf("second create: %v, want ErrBranchExists", err)
	}
	for _, bad := range []string{"Feature", "-x", "a..b", "../x", "a/b"} {
		if _, err := db.Branches().Create(ctx, bad, "main"); !errors.Is(err, cinch.ErrInvalidName) {
			t.Errorf("create %q: %v, want ErrInvalidName", bad, err)
		}
	}
	if _, err := db.Branches().Create(ctx, "y", "nope"); !errors.Is(err, cinch.ErrBranchNotFound) {
		t.Errorf("create from unknown: %v, want ErrBranchNotFound", err)
	}
}

func TestBranches_CreateWhileWriting(t *testing.T) {
	ctx := context.Background()
	_, db := newBranchProject(t)
	acme := db.SwitchTenant("acme")
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wrote := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				wrote <- nil
				return
			default:
			}
			if _, err := acme.Insert(ctx, "users", cinch.Record{"name": fmt.Sprint("w", i)}); err != nil {
				wrote <- err
				return
			}
		}
	}()
	for i := range 3 {
		if _, err := db.Branches().Create(ctx, fmt.Sprint("copy", i), "main"); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if err := <-wrote; err != nil {
		t.Fatalf("writer failed during branch create: %v", err)
	}
	for i := range 3 {
		checks, err := db.SwitchBranch(fmt.Sprint("copy", i)).(*local.DB).Fleet().Check(ctx, cinch.FleetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range checks {
			if !c.OK {
				t.Errorf("copy%d tenant %s not OK: %+v", i, c.Tenant, c)
			}
		}
	}
}

func TestBranches_MergeFastForwardAndDryRun(t *testing.T) {
	ctx := context.Background()
	_, db := newBranchProject(t)
	if _, err := db.Branches().Create(ctx, "feat", "main"); err != nil {
		t.Fatal(err)
	}
	feat := db.SwitchBranch("feat")
	mustChange(t)(feat.Columns().Add(ctx, "users", mustCol(t, "phone:TEXT")))
	mustChange(t)(feat.Indexes().Create(ctx, cinch.IndexInfo{Table: "users", Columns: []string{"phone"}}))

	res, err := db.Branches().Merge(ctx, "feat", "main", true)
	if err != nil {
		t.Fatal(err)
	}
	if !res.FastForward || !res.DryRun || len(res.Changes) != 2 {
		t.Fatalf("dry run = %+v, want fast-forward with 2 changes", res)
	}
	if len(res.Changes[0].SQL) == 0 {
		t.Errorf("dry run change has no SQL")
	}
	if got := len(columnsOf(t, db, "users")); got != 4 {
		t.Fatalf("dry run changed main: %d columns", got)
	}
	if res, err = db.Branches().Merge(ctx, "feat", "main", false); err != nil {
		t.Fatal(err)
	}
	if got := len(columnsOf(t, db, "users")); got != 5 {
		t.Fatalf("after merge main users has %d columns, want 5", got)
	}
	// Every main tenant, including the lazy one, sees the merged schema; data kept.
	acme := db.SwitchTenant("acme")
	if got := count(t, acme, "SELECT count(*) AS n FROM users WHERE phone IS NULL"); got != 1 {
		t.Errorf("acme rows after merge = %d, want 1", got)
	}
	if _, err := db.SwitchTenant("wayne").Query(ctx, "SELECT phone FROM users"); err != nil {
		t.Errorf("lazy tenant after merge: %v", err)
	}
	// Merging again is a no-op: the ids are shared now.
	res, err = db.Branches().Merge(ctx, "feat", "main", false)
	if err != nil || len(res.Changes) != 0 {
		t.Errorf("second merge = %+v, %v; want nothing to do", res, err)
	}
	changes, _ := db.Changes(ctx)
	if got := changes[len(changes)-1].MergedFrom; got != "feat" {
		t.Errorf("merged change MergedFrom = %q, want feat", got)
	}
}

func TestBranches_MergeThreeWay(t *testing.T) {
	ctx := context.Background()
	_, db := newBranchProject(t)
	if _, err := db.Branches().Create(ctx, "feat", "main"); err != nil {
		t.Fatal(err)
	}
	feat := db.SwitchBranch("feat")
	mustChange(t)(feat.Columns().Add(ctx, "users", mustCol(t, "phone:TEXT")))
	mustChange(t)(feat.Tables().Create(ctx, "orders", []cinch.Column{mustCol(t, "amount:REAL")}))
	// Main moves on independently, including a rebuild of users.
	mustChange(t)(db.Columns().Add(ctx, "users", mustCol(t, "email:TEXT")))
	mustChange(t)(db.Columns().AlterNullable(ctx, "users", "name", false, ptr("unknown")))
	// The same change made on both sides is applied once.
	mustChange(t)(feat.Views().Create(ctx, "names", "SELECT name FROM users"))
	mustChange(t)(db.Views().Create(ctx, "names", "SELECT name FROM users"))

	res, err := db.Branches().Merge(ctx, "feat", "", false)
	if err != nil {
		t.Fatal(err)
	}
	if res.FastForward {
		t.Errorf("three-way merge reported fast-forward")
	}
	if got, want := len(res.Changes), 2; got != want {
		t.Errorf("merged %d changes, want %d: %+v", got, want, res.Changes)
	}
	want := []string{"id:TEXT", "created_at:TEXT", "updated_at:TEXT", "name:TEXT", "email:TEXT", "phone:TEXT"}
	if got := columnsOf(t, db, "users"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("users columns = %v, want %v", got, want)
	}
	if _, err := db.SwitchTenant("acme").Insert(ctx, "orders", cinch.Record{"amount": 9.5}); err != nil {
		t.Errorf("merged table unusable: %v", err)
	}
}

func ptr(s string) *string { return &s }

func TestBranches_MergeConflicts(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		source func(db cinch.DB) error
		target func(db cinch.DB) error
		entity string
	}{
		{
			name: "same column, different types",
			source: func(db cinch.DB) error {
				_, err := db.Columns().Add(ctx, "users", cinch.Column{Name: "age", Type: cinch.TypeInteger, Nullable: true})
				return err
			},
			target: func(db cinch.DB) error {
				_, err := db.Columns().Add(ctx, "users", cinch.Column{Name: "age", Type: cinch.TypeText, Nullable: true})
				return err
			},
			entity: "column:users.age",
		},
		{
			name:   "dropped on one side, renamed on the other",
			source: func(db cinch.DB) error { _, err := db.Columns().Drop(ctx, "users", "nick"); return err },
			target: func(db cinch.DB) error { _, err := db.Columns().Rename(ctx, "users", "nick", "nickname"); return err },
			entity: "column:users.nick",
		},
		{
			name: "view changed on both",
			source: func(db cinch.DB) error {
				_, err := db.Views().Update(ctx, "v", "SELECT name FROM users WHERE name > 'a'")
				return err
			},
			target: func(db cinch.DB) error {
				_, err := db.Views().Update(ctx, "v", "SELECT name FROM users WHERE name > 'b'")
				return err
			},
			entity: "view:v",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, db := newBranchProject(t)
			mustChange(t)(db.Views().Create(ctx, "v", "SELECT name FROM users"))
			mustChange(t)(db.Columns().Add(ctx, "users", mustCol(t, "nick:TEXT")))
			if _, err := db.Branches().Create(ctx, "feat", "main"); err != nil {
				t.Fatal(err)
			}
			if err := tc.source(db.SwitchBranch("feat")); err != nil {
				t.Fatal(err)
			}
			if err := tc.target(db); err != nil {
				t.Fatal(err)
			}
			before, _ := db.Changes(ctx)
			res, err := db.Branches().Merge(ctx, "feat", "main", false)
			if !errors.Is(err, cinch.ErrConflict) {
				t.Fatalf("merge: %v, want ErrConflict", err)
			}
			if len(res.Conflicts) == 0 || res.Conflicts[0].Entity != tc.entity {
				t.Fatalf("conflicts = %+v, want entity %s", res.Conflicts, tc.entity)
			}
			if len(res.Conflicts[0].Source) == 0 || len(res.Conflicts[0].Target) == 0 {
				t.Errorf("conflict lacks a side: %+v", res.Conflicts[0])
			}
			after, _ := db.Changes(ctx)
			if len(after) != len(before) {
				t.Errorf("refused merge changed main: %d -> %d changes", len(before), len(after))
			}
		})
	}
}

func TestBranches_MergeAndDeleteRefusals(t *testing.T) {
	ctx := context.Background()
	p, db := newBranchProject(t)
	if _, err := db.Branches().Merge(ctx, "main", "main", false); !errors.Is(err, cinch.ErrInvalidInput) {
		t.Errorf("merge into itself: %v", err)
	}
	if _, err := db.Branches().Merge(ctx, "nope", "main", false); !errors.Is(err, cinch.ErrBranchNotFound) {
		t.Errorf("merge unknown: %v", err)
	}
	if err := db.Branches().Delete(ctx, "main"); !errors.Is(err, cinch.ErrProtected) {
		t.Errorf("delete main: %v", err)
	}
	if _, err := db.Branches().Create(ctx, "gone", "main"); err != nil {
		t.Fatal(err)
	}
	if err := p.SetActive("main", "gone"); err != nil {
		t.Fatal(err)
	}
	if err := db.Branches().Delete(ctx, "gone"); !errors.Is(err, cinch.ErrProtected) {
		t.Errorf("delete active: %v", err)
	}
	if err := p.SetActive("main", "main"); err != nil {
		t.Fatal(err)
	}
	if err := db.Branches().Delete(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(p.Dir(), ".cinchdb/databases/main/branches/gone")); !os.IsNotExist(err) {
		t.Errorf("branch folder still there: %v", err)
	}
	if _, err := db.SwitchBranch("gone").Query(ctx, "SELECT 1"); !errors.Is(err, cinch.ErrBranchNotFound) {
		t.Errorf("query on deleted branch: %v", err)
	}
}

// copyFile copies a closed or checkpointed SQLite file (test helper).
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// A merge interrupted after its commit point (kill -9 mid-rollout) leaves
// some target tenants on the pre-merge schema and journal "apply"; the
// next process converges them all, without losing a row.
func TestBranches_MergeCrashConverges(t *testing.T) {
	ctx := context.Background()
	p, db := newBranchProject(t)
	if _, err := db.Branches().Create(ctx, "feat", "main"); err != nil {
		t.Fatal(err)
	}
	feat := db.SwitchBranch("feat")
	mustChange(t)(feat.Columns().Add(ctx, "users", mustCol(t, "phone:TEXT")))
	mustChange(t)(feat.Columns().Drop(ctx, "users", "phone"))
	mustChange(t)(feat.Columns().Add(ctx, "users", mustCol(t, "email:TEXT")))
	// Snapshot acme before the merge: it plays the tenant the crash missed.
	tenants := filepath.Join(p.Dir(), ".cinchdb/databases/main/branches/main/tenants")
	if _, err := db.SwitchTenant("acme").Insert(ctx, "users", cinch.Record{"name": "Bob"}); err != nil {
		t.Fatal(err)
	}
	p.Close(ctx) // checkpoint and close every handle
	before := filepath.Join(t.TempDir(), "acme.db")
	copyFile(t, filepath.Join(tenants, "acme.db"), before)

	p2, err := local.Open(ctx, local.Config{Dir: p.Dir()})
	if err != nil {
		t.Fatal(err)
	}
	db2, _ := p2.Connect(cinch.Target{})
	res, err := db2.Branches().Merge(ctx, "feat", "main", false)
	if err != nil {
		t.Fatal(err)
	}
	changes, err := db2.Changes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p2.Close(ctx)
	// Rewind acme and leave the journal a crash would have left.
	os.Remove(filepath.Join(tenants, "acme.db-wal"))
	os.Remove(filepath.Join(tenants, "acme.db-shm"))
	copyFile(t, before, filepath.Join(tenants, "acme.db"))
	journal := fmt.Sprintf(`{"op":"apply","version":%d}`, len(changes))
	if err := os.WriteFile(filepath.Join(tenants, "..", "journal.json"), []byte(journal), 0o644); err != nil {
		t.Fatal(err)
	}

	p3, err := local.Open(ctx, local.Config{Dir: p.Dir()})
	if err != nil {
		t.Fatal(err)
	}
	defer p3.Close(ctx)
	db3, _ := p3.Connect(cinch.Target{})
	// Any structural command on the branch recovers; here: a tenant create.
	if _, err := db3.Tenants().Create(ctx, "after", cinch.TenantCreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(tenants, "..", "journal.json")); !os.IsNotExist(err) {
		t.Errorf("journal still present after recovery: %v", err)
	}
	checks, err := db3.Fleet().Check(ctx, cinch.FleetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		if !c.OK || c.SchemaVersion != len(changes) {
			t.Errorf("tenant %s not converged: %+v", c.Tenant, c)
		}
	}
	if got := count(t, db3.SwitchTenant("acme"), "SELECT count(*) AS n FROM users WHERE email IS NULL"); got != 2 {
		t.Errorf("acme rows after convergence = %d, want 2", got)
	}
	if len(res.Changes) != 3 {
		t.Errorf("merged %d changes, want 3", len(res.Changes))
	}
}
