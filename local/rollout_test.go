package local_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
	"github.com/cinchdb/cinch/schema"
	"github.com/cinchdb/cinch/sqlite"
	"github.com/google/go-cmp/cmp"
)

func rolloutRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func rolloutWrite(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// rolloutSaveTenant returns the bytes of a closed tenant's file (no WAL).
func rolloutSaveTenant(t *testing.T, dir, tenant string) []byte {
	t.Helper()
	path := engTenantFile(dir, tenant)
	if engFileExists(path + "-wal") {
		t.Fatalf("%s-wal exists: close the project first", path)
	}
	return rolloutRead(t, path)
}

// rolloutRestoreTenant puts a saved file back, as if a change never reached it.
func rolloutRestoreTenant(t *testing.T, dir, tenant string, data []byte) {
	t.Helper()
	path := engTenantFile(dir, tenant)
	os.Remove(path + "-wal")
	os.Remove(path + "-shm")
	rolloutWrite(t, path, data)
}

func rolloutJournalPath(dir string) string { return filepath.Join(engBranchDir(dir), "journal.json") }
func rolloutChangesPath(dir string) string { return filepath.Join(engBranchDir(dir), "changes.json") }

func rolloutWriteJournal(t *testing.T, dir string, j map[string]any) {
	t.Helper()
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	rolloutWrite(t, rolloutJournalPath(dir), b)
}

func rolloutClose(t *testing.T, p *local.Project) {
	t.Helper()
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// rolloutState is what must not move when a change is refused.
type rolloutState struct {
	changes []byte
	schema  map[string][]string
	version map[string]int
	rows    map[string][]cinch.Record
}

func rolloutSnapshot(t *testing.T, f *engFixture, tenants []string) rolloutState {
	t.Helper()
	s := rolloutState{changes: rolloutRead(t, rolloutChangesPath(f.dir)), schema: map[string][]string{}, version: map[string]int{}, rows: map[string][]cinch.Record{}}
	for _, name := range tenants {
		s.rows[name] = engMustQuery(t, f.db.WithTenant(name), "SELECT * FROM users ORDER BY id").Records()
		path := engTenantFile(f.dir, name)
		if !engFileExists(path) {
			continue
		}
		s.schema[name] = engFileSchema(t, path)
		s.version[name] = engFileVersion(t, path)
	}
	return s
}

// ---- 3. validate first ----

func TestRollout_DataDependentChangeRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name string
		bad  []cinch.Record // rows only the bad tenant has
		do   func(db *local.DB) (cinch.Change, error)
	}{
		{"unique index over duplicates", []cinch.Record{{"email": "dup@x", "name": "a"}, {"email": "dup@x", "name": "b"}},
			func(db *local.DB) (cinch.Change, error) {
				return db.Indexes().Create(ctx, cinch.IndexInfo{Table: "users", Columns: []string{"email"}, Unique: true})
			}},
		{"not null over nulls", []cinch.Record{{"email": "n@x"}},
			func(db *local.DB) (cinch.Change, error) {
				return db.Columns().AlterNullable(ctx, "users", "name", false, nil)
			}},
		{"unique column with a default over two rows", []cinch.Record{{"email": "1@x", "name": "a"}, {"email": "2@x", "name": "b"}},
			func(db *local.DB) (cinch.Change, error) {
				return db.Columns().Add(ctx, "users", engMustCol(t, "code:TEXT:unique:default=same"))
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newProject(t, local.Config{})
			db := f.db
			engMustChange(t)(db.Tables().Create(ctx, "users", engCols(t, "email:TEXT", "name:TEXT")))
			engMustChange(t)(db.Indexes().Create(ctx, cinch.IndexInfo{Table: "users", Columns: []string{"name"}}))
			tenants := []string{"main", "good_a", "bad_tenant", "good_open", "lazy_one"}
			for _, name := range tenants[1:] {
				engMustCreateTenant(t, db, name, name == "lazy_one")
			}
			engMustInsert(t, db.WithTenant("good_a"), "users", cinch.Record{"email": "a@x", "name": "A"})
			engMustInsert(t, db.WithTenant("good_open"), "users", cinch.Record{"email": "o@x", "name": "O"})
			for _, r := range tc.bad {
				engMustInsert(t, db.WithTenant("bad_tenant"), "users", r)
			}
			before := rolloutSnapshot(t, f, tenants)

			_, err := tc.do(db)
			if !errors.Is(err, cinch.ErrRolloutFailed) {
				t.Fatalf("change = %v, want ErrRolloutFailed", err)
			}
			if !strings.Contains(err.Error(), `"bad_tenant"`) {
				t.Errorf("error %q does not name the tenant", err)
			}
			for _, good := range []string{`"good_a"`, `"good_open"`, `"main"`} {
				if strings.Contains(err.Error(), good) {
					t.Errorf("error %q names a tenant that accepted the change", err)
				}
			}
			if engFileExists(rolloutJournalPath(f.dir)) {
				t.Errorf("journal.json left behind")
			}
			after := rolloutSnapshot(t, f, tenants)
			if diff := cmp.Diff(string(before.changes), string(after.changes)); diff != "" {
				t.Errorf("changes.json changed:\n%s", diff)
			}
			for _, name := range tenants {
				if diff := cmp.Diff(before.schema[name], after.schema[name]); diff != "" {
					t.Errorf("tenant %s schema changed:\n%s", name, diff)
				}
				if got, want := after.version[name], before.version[name]; got != want {
					t.Errorf("tenant %s version = %d, want %d", name, got, want)
				}
				if diff := cmp.Diff(before.rows[name], after.rows[name]); diff != "" {
					t.Errorf("tenant %s rows changed:\n%s", name, diff)
				}
			}
			if engFileExists(engTenantFile(f.dir, "lazy_one")) {
				t.Errorf("the rollout materialized a lazy tenant")
			}
			engCheckConverged(t, db, f.dir)
			// The engine keeps working: writes, and the change once the data is fixed.
			engMustInsert(t, db, "users", cinch.Record{"email": "m@x", "name": "M"})
			engMustQuery(t, db.WithTenant("bad_tenant"), "DELETE FROM users")
			engMustChange(t)(tc.do(db))
			engCheckConverged(t, db, f.dir)
			if got, want := engChangesLen(t, db), 3; got != want {
				t.Errorf("changes = %d, want %d", got, want)
			}
		})
	}
}

func TestColumnService_AlterNullableFill(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newProject(t, local.Config{WaitForRollout: true}) // files compared after each change
	db := f.db
	engMustChange(t)(db.Tables().Create(ctx, "users", engCols(t, "name:TEXT", "age:INTEGER", "vip:BOOLEAN")))
	engMustCreateTenant(t, db, "acme", false)
	acme := db.WithTenant("acme")
	a := engMustInsert(t, acme, "users", cinch.Record{"name": "A", "age": 30, "vip": true})
	b := engMustInsert(t, acme, "users", cinch.Record{})
	ch := engMustChange(t)(db.Columns().AlterNullable(ctx, "users", "name", false, engStrp("unknown")))
	var d cinch.DetailsNullable
	if err := json.Unmarshal(ch.Details, &d); err != nil {
		t.Fatal(err)
	}
	if d.FillValue == nil || *d.FillValue != "unknown" {
		t.Errorf("details = %s", ch.Details)
	}
	engMustChange(t)(db.Columns().AlterNullable(ctx, "users", "age", false, engStrp("0")))
	engMustChange(t)(db.Columns().AlterNullable(ctx, "users", "vip", false, engStrp("false")))
	got := engMustQuery(t, acme, "SELECT id, name, age, vip FROM users ORDER BY id").Records()
	want := []cinch.Record{
		{"id": a["id"], "name": "A", "age": int64(30), "vip": true},
		{"id": b["id"], "name": "unknown", "age": int64(0), "vip": false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	_, err := acme.Insert(ctx, "users", cinch.Record{"age": 1, "vip": true})
	engWantErrIs(t, err, cinch.ErrConstraint)
	engCheckConverged(t, db, f.dir)
}

// ---- 4. crash recovery ----

// rolloutBase makes a project with table users and tenants t1..t3 holding
// one row each, then closes it (so every file is checkpointed).
func rolloutBase(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	f := newProject(t, local.Config{})
	engMustChange(t)(f.db.Tables().Create(ctx, "users", engCols(t, "email:TEXT", "name:TEXT")))
	for _, name := range []string{"t1", "t2", "t3"} {
		engMustCreateTenant(t, f.db, name, false)
		engMustInsert(t, f.db.WithTenant(name), "users", cinch.Record{"email": name + "@x", "name": name})
	}
	engMustInsert(t, f.db, "users", cinch.Record{"email": "main@x", "name": "main"})
	rolloutClose(t, f.p)
	return f.dir
}

// rolloutWithProject opens the project, runs fn and closes it.
func rolloutWithProject(t *testing.T, dir string, fn func(db *local.DB)) {
	t.Helper()
	p := engOpenProject(t, dir, local.Config{})
	fn(engConnect(t, p, "main"))
	rolloutClose(t, p)
}

func rolloutStructuralOp(t *testing.T, db *local.DB) {
	t.Helper()
	engMustCreateTenant(t, db, "after_crash", false)
}

func rolloutRowsIntact(t *testing.T, db *local.DB, tenants ...string) {
	t.Helper()
	for _, name := range tenants {
		got := engMustQuery(t, db.WithTenant(name), "SELECT email, name FROM users").Records()
		want := []cinch.Record{{"email": name + "@x", "name": name}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("tenant %s rows (-want +got):\n%s", name, diff)
		}
	}
}

func TestRecovery_Apply(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// changes.json has the new change, the journal says "apply", t2 is behind.
	setup := func(t *testing.T) string {
		dir := rolloutBase(t)
		behind := rolloutSaveTenant(t, dir, "t2")
		rolloutWithProject(t, dir, func(db *local.DB) {
			engMustChange(t)(db.Columns().Add(ctx, "users", engMustCol(t, "phone:TEXT:default=none")))
		})
		rolloutRestoreTenant(t, dir, "t2", behind)
		rolloutWriteJournal(t, dir, map[string]any{"op": "apply", "version": 2})
		if got := engFileVersion(t, engTenantFile(dir, "t2")); got != 1 {
			t.Fatalf("setup: t2 at %d, want 1", got)
		}
		return dir
	}
	t.Run("structural op rolls forward", func(t *testing.T) {
		dir := setup(t)
		db := engConnect(t, engOpenProject(t, dir, local.Config{}), "main")
		rolloutStructuralOp(t, db)
		if engFileExists(rolloutJournalPath(dir)) {
			t.Errorf("journal.json left behind")
		}
		if got := engFileVersion(t, engTenantFile(dir, "t2")); got != 2 {
			t.Errorf("t2 at %d, want 2", got)
		}
		engCheckConverged(t, db, dir)
		rolloutRowsIntact(t, db, "t1", "t2", "t3", "main")
	})
	t.Run("check converges", func(t *testing.T) {
		dir := setup(t)
		db := engConnect(t, engOpenProject(t, dir, local.Config{}), "main")
		checks, err := db.Fleet().Check(ctx, cinch.FleetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range checks {
			if !c.OK || c.SchemaVersion != 2 {
				t.Errorf("check %+v", c)
			}
		}
		if got := engFileVersion(t, engTenantFile(dir, "t2")); got != 2 {
			t.Errorf("t2 at %d, want 2", got)
		}
		if engFileExists(rolloutJournalPath(dir)) {
			t.Errorf("journal.json left behind after Check")
		}
		engCheckConverged(t, db, dir)
	})
	t.Run("opening the behind tenant catches it up", func(t *testing.T) {
		dir := setup(t)
		db := engConnect(t, engOpenProject(t, dir, local.Config{}), "t2")
		got := engMustQuery(t, db, "SELECT email, phone FROM users").Records()
		if diff := cmp.Diff([]cinch.Record{{"email": "t2@x", "phone": "none"}}, got); diff != "" {
			t.Errorf("rows (-want +got):\n%s", diff)
		}
		if got := engFileVersion(t, engTenantFile(dir, "t2")); got != 2 {
			t.Errorf("t2 at %d, want 2", got)
		}
	})
	t.Run("a write to the behind tenant catches it up", func(t *testing.T) {
		dir := setup(t)
		db := engConnect(t, engOpenProject(t, dir, local.Config{}), "t2")
		rec := engMustInsert(t, db, "users", cinch.Record{"email": "new@x", "phone": "1"})
		if rec["phone"] != "1" {
			t.Errorf("insert = %v", rec)
		}
	})
}

// rolloutPrepared builds the state a crash during the prepare phase of a
// data-dependent change leaves: changes.json still at 1, the journal says
// "prepare" version 2, t1, t3 and main already at 2, t2 still at 1.
func rolloutPrepared(t *testing.T, change func(db *local.DB) (cinch.Change, error), plan func(s *schema.Schema) (schema.Plan, error), commit bool) (dir string, before []byte) {
	t.Helper()
	dir = rolloutBase(t)
	before = rolloutRead(t, rolloutChangesPath(dir))
	behind := rolloutSaveTenant(t, dir, "t2")
	rolloutWithProject(t, dir, func(db *local.DB) { engMustChange(t)(change(db)) })
	after := rolloutRead(t, rolloutChangesPath(dir))
	var changes []cinch.Change
	if err := json.Unmarshal(after, &changes); err != nil {
		t.Fatal(err)
	}
	s := schema.NewSchema()
	for _, ch := range changes[:len(changes)-1] {
		if err := s.Apply(ch); err != nil {
			t.Fatal(err)
		}
	}
	p, err := plan(s)
	if err != nil {
		t.Fatal(err)
	}
	if !p.DataDependent {
		t.Fatalf("setup: the change is not data-dependent")
	}
	if !commit {
		rolloutWrite(t, rolloutChangesPath(dir), before)
	}
	rolloutRestoreTenant(t, dir, "t2", behind)
	rolloutWriteJournal(t, dir, map[string]any{"op": "prepare", "version": len(changes), "change": changes[len(changes)-1],
		"inverse": p.Inverse, "inverse_rebuild": p.InverseRebuild})
	return dir, before
}

func TestRecovery_Prepare(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		name   string
		change func(db *local.DB) (cinch.Change, error)
		plan   func(s *schema.Schema) (schema.Plan, error)
	}{
		{"unique index", func(db *local.DB) (cinch.Change, error) {
			return db.Indexes().Create(ctx, cinch.IndexInfo{Table: "users", Columns: []string{"email"}, Unique: true})
		}, func(s *schema.Schema) (schema.Plan, error) {
			return schema.PlanCreateIndex(s, cinch.IndexInfo{Table: "users", Columns: []string{"email"}, Unique: true})
		}},
		{"not null (rebuild)", func(db *local.DB) (cinch.Change, error) {
			return db.Columns().AlterNullable(ctx, "users", "name", false, nil)
		}, func(s *schema.Schema) (schema.Plan, error) {
			return schema.PlanAlterNullable(s, "users", "name", false, nil)
		}},
		{"unique column (rebuild)", func(db *local.DB) (cinch.Change, error) {
			return db.Columns().Add(ctx, "users", engMustCol(t, "code:TEXT:unique"))
		}, func(s *schema.Schema) (schema.Plan, error) {
			return schema.PlanAddColumn(s, "users", engMustCol(t, "code:TEXT:unique"))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name+" not committed is undone", func(t *testing.T) {
			dir, before := rolloutPrepared(t, tc.change, tc.plan, false)
			ahead := engFileSchema(t, engTenantFile(dir, "t1"))
			old := engFileSchema(t, engTenantFile(dir, "t2"))
			if cmp.Equal(ahead, old) {
				t.Fatalf("setup: t1 and t2 have the same schema")
			}
			db := engConnect(t, engOpenProject(t, dir, local.Config{}), "main")
			rolloutStructuralOp(t, db)
			if engFileExists(rolloutJournalPath(dir)) {
				t.Errorf("journal.json left behind")
			}
			if diff := cmp.Diff(string(before), string(rolloutRead(t, rolloutChangesPath(dir)))); diff != "" {
				t.Errorf("changes.json changed:\n%s", diff)
			}
			for _, name := range []string{"main", "t1", "t2", "t3", "after_crash"} {
				path := engTenantFile(dir, name)
				if got := engFileVersion(t, path); got != 1 {
					t.Errorf("%s at %d, want 1", name, got)
				}
				if diff := cmp.Diff(old, engFileSchema(t, path)); diff != "" {
					t.Errorf("%s schema (-old +got):\n%s", name, diff)
				}
			}
			rolloutRowsIntact(t, db, "t1", "t2", "t3", "main")
			engCheckConverged(t, db, dir)
		})
		t.Run(tc.name+" committed rolls forward", func(t *testing.T) {
			dir, _ := rolloutPrepared(t, tc.change, tc.plan, true)
			db := engConnect(t, engOpenProject(t, dir, local.Config{}), "main")
			rolloutStructuralOp(t, db)
			if engFileExists(rolloutJournalPath(dir)) {
				t.Errorf("journal.json left behind")
			}
			for _, name := range []string{"main", "t1", "t2", "t3"} {
				if got := engFileVersion(t, engTenantFile(dir, name)); got != 2 {
					t.Errorf("%s at %d, want 2", name, got)
				}
			}
			rolloutRowsIntact(t, db, "t1", "t2", "t3", "main")
			engCheckConverged(t, db, dir)
		})
	}
	t.Run("the first use in a new process recovers", func(t *testing.T) {
		dir, _ := rolloutPrepared(t, cases[0].change, cases[0].plan, false)
		db := engConnect(t, engOpenProject(t, dir, local.Config{}), "t1")
		rolloutRowsIntact(t, db, "t1")
		// Loading the branch found the journal and undid the prepare.
		if got := engFileVersion(t, engTenantFile(dir, "t1")); got != 1 {
			t.Errorf("t1 at %d, want 1 (undone when the branch was first loaded)", got)
		}
		if engFileExists(rolloutJournalPath(dir)) {
			t.Errorf("journal.json left behind")
		}
		checks, err := db.Fleet().Check(ctx, cinch.FleetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range checks {
			if !c.OK || c.SchemaVersion != 1 {
				t.Errorf("after Check: %+v", c)
			}
		}
	})
}

func rolloutRegistryExec(t *testing.T, dir, sql string) {
	t.Helper()
	c, err := sqlite.Open(context.Background(), filepath.Join(engBranchDir(dir), "registry.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Exec(sql); err != nil {
		t.Fatal(err)
	}
}

func TestRecovery_Rename(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("row renamed, file not moved", func(t *testing.T) {
		dir := rolloutBase(t)
		rolloutRegistryExec(t, dir, "UPDATE tenants SET name = 'renamed' WHERE name = 't2'")
		rolloutWriteJournal(t, dir, map[string]any{"op": "rename", "tenant": "t2", "new_name": "renamed"})
		db := engConnect(t, engOpenProject(t, dir, local.Config{}), "main")
		rolloutStructuralOp(t, db)
		if engFileExists(rolloutJournalPath(dir)) {
			t.Errorf("journal.json left behind")
		}
		if engFileExists(engTenantFile(dir, "t2")) {
			t.Errorf("t2.db still exists")
		}
		got := engMustQuery(t, db.WithTenant("renamed"), "SELECT email FROM users").Records()
		if diff := cmp.Diff([]cinch.Record{{"email": "t2@x"}}, got); diff != "" {
			t.Errorf("renamed rows:\n%s", diff)
		}
		_, err := db.WithTenant("t2").Query(ctx, "SELECT 1")
		engWantErrIs(t, err, cinch.ErrTenantNotFound)
		engCheckConverged(t, db, dir)
	})
	t.Run("journal written, nothing else", func(t *testing.T) {
		dir := rolloutBase(t)
		rolloutWriteJournal(t, dir, map[string]any{"op": "rename", "tenant": "t2", "new_name": "renamed"})
		db := engConnect(t, engOpenProject(t, dir, local.Config{}), "main")
		rolloutStructuralOp(t, db)
		if engFileExists(rolloutJournalPath(dir)) {
			t.Errorf("journal.json left behind")
		}
		// Either way is fine, as long as the registered name holds the file.
		var registered []string
		for _, name := range []string{"t2", "renamed"} {
			if _, err := db.Tenants().Info(ctx, name); err == nil {
				registered = append(registered, name)
			}
		}
		if len(registered) != 1 {
			t.Fatalf("registered = %v, want exactly one of t2, renamed", registered)
		}
		name := registered[0]
		if !engFileExists(engTenantFile(dir, name)) {
			t.Fatalf("registered tenant %s has no file (its data is under the other name)", name)
		}
		got := engMustQuery(t, db.WithTenant(name), "SELECT email FROM users").Records()
		if diff := cmp.Diff([]cinch.Record{{"email": "t2@x"}}, got); diff != "" {
			t.Errorf("%s rows:\n%s", name, diff)
		}
	})
	t.Run("file moved, journal left", func(t *testing.T) {
		dir := rolloutBase(t)
		rolloutRegistryExec(t, dir, "UPDATE tenants SET name = 'renamed' WHERE name = 't2'")
		if err := os.Rename(engTenantFile(dir, "t2"), engTenantFile(dir, "renamed")); err != nil {
			t.Fatal(err)
		}
		rolloutWriteJournal(t, dir, map[string]any{"op": "rename", "tenant": "t2", "new_name": "renamed"})
		db := engConnect(t, engOpenProject(t, dir, local.Config{}), "main")
		rolloutStructuralOp(t, db)
		if engFileExists(rolloutJournalPath(dir)) {
			t.Errorf("journal.json left behind")
		}
		got := engMustQuery(t, db.WithTenant("renamed"), "SELECT email FROM users").Records()
		if diff := cmp.Diff([]cinch.Record{{"email": "t2@x"}}, got); diff != "" {
			t.Errorf("renamed rows:\n%s", diff)
		}
	})
}

func TestRecovery_Delete(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, fileGone := range []bool{false, true} {
		t.Run(fmt.Sprintf("file removed=%v", fileGone), func(t *testing.T) {
			dir := rolloutBase(t)
			if fileGone {
				if err := sqlite.RemoveDB(engTenantFile(dir, "t2")); err != nil {
					t.Fatal(err)
				}
			}
			rolloutWriteJournal(t, dir, map[string]any{"op": "delete", "tenant": "t2"})
			db := engConnect(t, engOpenProject(t, dir, local.Config{}), "main")
			rolloutStructuralOp(t, db)
			if engFileExists(rolloutJournalPath(dir)) {
				t.Errorf("journal.json left behind")
			}
			path := engTenantFile(dir, "t2")
			for _, p := range []string{path, path + "-wal", path + "-shm"} {
				if engFileExists(p) {
					t.Errorf("%s still exists", p)
				}
			}
			_, err := db.Tenants().Info(ctx, "t2")
			engWantErrIs(t, err, cinch.ErrTenantNotFound)
			rolloutRowsIntact(t, db, "t1", "t3", "main")
		})
	}
}

func TestRecovery_UnknownJournal(t *testing.T) {
	t.Parallel()
	dir := rolloutBase(t)
	rolloutWriteJournal(t, dir, map[string]any{"op": "frobnicate"})
	db := engConnect(t, engOpenProject(t, dir, local.Config{}), "main")
	_, err := db.Tenants().Create(context.Background(), "x", cinch.TenantCreateOptions{})
	if err == nil {
		t.Fatalf("a structural op ran over an unknown journal")
	}
	if !strings.Contains(err.Error(), "frobnicate") {
		t.Errorf("error %q should name the unknown operation", err)
	}
}
