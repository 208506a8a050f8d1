// Package contract is the behaviour every cinch.DB must have, as one test
// suite: Run it against a local handle (package local) and a remote one
// (package client against a real server); both must pass, so an
// application can switch between them by changing how it connects.
package contract

import (
	"context"
	"errors"
	"github.com/google/go-cmp/cmp"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
)

// Run runs the suite. newDB returns a handle on tenant main of branch main
// of database main in a fresh project (only tenant main, no tables), with
// full rights; it registers its own cleanup.
func Run(t *testing.T, newDB func(t *testing.T) cinch.DB) {
	tests := []struct {
		name string
		fn   func(t *testing.T, ctx context.Context, db cinch.DB)
	}{
		{"Target", testTarget},
		{"Tables", testTables},
		{"Columns", testColumns},
		{"Tenants", testTenants},
		{"CreateMany", testCreateMany},
		{"Rows", testRows},
		{"Filters", testFilters},
		{"Query", testQuery},
		{"Isolation", testIsolation},
		{"ViewsAndIndexes", testViewsAndIndexes},
		{"Branches", testBranches},
		{"InvalidNames", testInvalidNames},
		{"FleetQuery", testFleetQuery},
		{"FleetMaintenance", testFleetMaintenance},
		{"Migrate", testMigrate},
		{"Groups", testGroups},
		{"KVTypes", testKVTypes},
		{"KVKeys", testKVKeys},
		{"KVExpiry", testKVExpiry},
		{"KVIncr", testKVIncr},
		{"KVTenants", testKVTenants},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			tc.fn(t, ctx, newDB(t))
		})
	}
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err, sentinel error) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("err = %v, want errors.Is %v", err, sentinel)
	}
	var ce *cinch.Error
	if !errors.As(err, &ce) {
		t.Errorf("err %v (%T) is not a *cinch.Error", err, err)
	}
	if err.Error() == "" {
		t.Error("empty error message")
	}
}

func col(t *testing.T, spec string) cinch.Column {
	t.Helper()
	c, err := cinch.ParseColumnSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// usersTable creates users(name TEXT NOT NULL, age INTEGER, score REAL, active BOOLEAN DEFAULT true).
func usersTable(t *testing.T, ctx context.Context, db cinch.DB) {
	t.Helper()
	_, err := db.Tables().Create(ctx, "users", []cinch.Column{
		col(t, "name:TEXT:not_null"), col(t, "age:INTEGER"), col(t, "score:REAL"), col(t, "active:BOOLEAN:default=true"),
	})
	ok(t, err)
}

func testTarget(t *testing.T, ctx context.Context, db cinch.DB) {
	want := cinch.Target{Database: "main", Branch: "main", Tenant: "main"}
	if got := db.Target(); got != want {
		t.Errorf("Target() = %+v, want %+v", got, want)
	}
	if got := db.SwitchTenant("acme").Target().Tenant; got != "acme" {
		t.Errorf("SwitchTenant target tenant = %q", got)
	}
	if got := db.SwitchBranch("dev").Target(); got.Branch != "dev" || got.Tenant != "main" {
		t.Errorf("SwitchBranch target = %+v", got)
	}
	if db.SwitchTenant("x").IsLocal() != db.IsLocal() {
		t.Error("IsLocal changes with SwitchTenant")
	}
}

func testTables(t *testing.T, ctx context.Context, db cinch.DB) {
	if list := must[[]cinch.TableInfo](t)(db.Tables().List(ctx)); len(list) != 0 {
		t.Fatalf("fresh project has tables %+v", list)
	}
	usersTable(t, ctx, db)
	list := must[[]cinch.TableInfo](t)(db.Tables().List(ctx))
	if len(list) != 1 || list[0].Name != "users" {
		t.Fatalf("tables = %+v", list)
	}
	info := must[cinch.TableInfo](t)(db.Tables().Info(ctx, "users"))
	var names []string
	for _, c := range info.Columns {
		names = append(names, c.Name)
	}
	if want := []string{"id", "created_at", "updated_at", "name", "age", "score", "active"}; !slices.Equal(names, want) {
		t.Errorf("columns = %v, want %v", names, want)
	}
	_, err := db.Tables().Create(ctx, "users", []cinch.Column{col(t, "x:TEXT")})
	wantErr(t, err, cinch.ErrTableExists)
	_, err = db.Tables().Info(ctx, "nope")
	wantErr(t, err, cinch.ErrTableNotFound)
	_, err = db.Tables().Drop(ctx, "nope")
	wantErr(t, err, cinch.ErrTableNotFound)

	ch := must[cinch.Change](t)(db.Tables().Copy(ctx, "users", "users_copy", true))
	if ch.Type != cinch.ChangeCopyTable {
		t.Errorf("copy change type = %s", ch.Type)
	}
	ch = must[cinch.Change](t)(db.Tables().Drop(ctx, "users_copy"))
	if ch.Type != cinch.ChangeDropTable || ch.ID == "" || len(ch.SQL) == 0 {
		t.Errorf("drop change = %+v", ch)
	}
	changes := must[[]cinch.Change](t)(db.Changes(ctx))
	if len(changes) != 3 || changes[0].Type != cinch.ChangeCreateTable {
		t.Errorf("changes = %d, first %v", len(changes), changes)
	}
}

func testColumns(t *testing.T, ctx context.Context, db cinch.DB) {
	usersTable(t, ctx, db)
	ok(t, errOf(db.Columns().Add(ctx, "users", col(t, "phone:TEXT"))))
	cols := must[[]cinch.ColumnInfo](t)(db.Columns().List(ctx, "users"))
	if last := cols[len(cols)-1]; last.Name != "phone" || !last.Nullable || last.Type != "TEXT" {
		t.Errorf("last column = %+v", last)
	}
	wantErr(t, errOf(db.Columns().Add(ctx, "users", col(t, "phone:TEXT"))), cinch.ErrColumnExists)
	wantErr(t, errOf(db.Columns().Add(ctx, "nope", col(t, "phone:TEXT"))), cinch.ErrTableNotFound)
	wantErr(t, errOf(db.Columns().Add(ctx, "users", cinch.Column{Name: "id", Type: cinch.TypeText, Nullable: true})), cinch.ErrInvalidName)
	ok(t, errOf(db.Columns().Rename(ctx, "users", "phone", "mobile")))
	ok(t, errOf(db.Columns().AlterNullable(ctx, "users", "mobile", false, ptr("n/a"))))
	cols = must[[]cinch.ColumnInfo](t)(db.Columns().List(ctx, "users"))
	if last := cols[len(cols)-1]; last.Name != "mobile" || last.Nullable {
		t.Errorf("after rename + not null: %+v", last)
	}
	ok(t, errOf(db.Columns().Drop(ctx, "users", "mobile")))
	wantErr(t, errOf(db.Columns().Drop(ctx, "users", "mobile")), cinch.ErrColumnNotFound)
}

func ptr(s string) *string { return &s }

func errOf[T any](_ T, err error) error { return err }

func testTenants(t *testing.T, ctx context.Context, db cinch.DB) {
	ts := db.Tenants()
	info := must[cinch.TenantInfo](t)(ts.Create(ctx, "acme", cinch.TenantCreateOptions{}))
	if info.Name != "acme" || info.State != cinch.TenantMaterialized {
		t.Errorf("created = %+v", info)
	}
	lazy := must[cinch.TenantInfo](t)(ts.Create(ctx, "later", cinch.TenantCreateOptions{Lazy: true}))
	if lazy.State != cinch.TenantLazy {
		t.Errorf("lazy = %+v", lazy)
	}
	wantErr(t, errOf(ts.Create(ctx, "acme", cinch.TenantCreateOptions{})), cinch.ErrTenantExists)
	list := must[[]cinch.TenantInfo](t)(ts.List(ctx))
	var names []string
	for _, ti := range list {
		names = append(names, ti.Name)
	}
	if want := []string{"acme", "later", "main"}; !slices.Equal(names, want) {
		t.Errorf("tenants = %v, want %v", names, want)
	}
	got := must[cinch.TenantInfo](t)(ts.Info(ctx, "acme"))
	// Create may report created_at finer than the registry stores it (ms).
	if got.Name != "acme" || got.CreatedAt.Sub(info.CreatedAt).Abs() >= time.Millisecond {
		t.Errorf("info = %+v, want %+v", got, info)
	}
	wantErr(t, errOf(ts.Info(ctx, "ghost")), cinch.ErrTenantNotFound)

	ok(t, errOf(ts.Copy(ctx, "acme", "acme_copy", false)))
	ok(t, ts.Rename(ctx, "acme_copy", "acme_two"))
	wantErr(t, errOf(ts.Info(ctx, "acme_copy")), cinch.ErrTenantNotFound)
	ok(t, ts.Delete(ctx, "acme_two"))
	wantErr(t, ts.Delete(ctx, "acme_two"), cinch.ErrTenantNotFound)
	wantErr(t, ts.Delete(ctx, "main"), cinch.ErrProtected)
	wantErr(t, ts.Rename(ctx, "main", "other"), cinch.ErrProtected)
}

func testRows(t *testing.T, ctx context.Context, db cinch.DB) {
	usersTable(t, ctx, db)
	rec := must[cinch.Record](t)(db.Insert(ctx, "users", cinch.Record{"name": "Alice", "age": 30, "score": 2.5}))
	id, _ := rec["id"].(string)
	if id == "" || rec["created_at"] == nil || rec["updated_at"] == nil {
		t.Fatalf("inserted = %v", rec)
	}
	if rec["name"] != "Alice" || rec["age"] != int64(30) || rec["score"] != 2.5 || rec["active"] != true {
		t.Errorf("inserted = %#v", rec)
	}
	whole := must[cinch.Record](t)(db.Insert(ctx, "users", cinch.Record{"id": "u-2", "name": "Bob", "score": 2.0, "active": false}))
	if whole["id"] != "u-2" || whole["score"] != 2.0 || whole["active"] != false || whole["age"] != nil {
		t.Errorf("inserted = %#v", whole)
	}
	many := must[[]cinch.Record](t)(db.InsertMany(ctx, "users", []cinch.Record{{"name": "C"}, {"name": "D"}}))
	if len(many) != 2 || many[1]["name"] != "D" {
		t.Errorf("many = %v", many)
	}
	// All or none.
	wantErr(t, errOf(db.InsertMany(ctx, "users", []cinch.Record{{"name": "E"}, {"age": 1}})), cinch.ErrConstraint)
	res := must[*cinch.Result](t)(db.Query(ctx, "SELECT count(*) AS n FROM users"))
	if res.Value(0, "n") != int64(4) {
		t.Errorf("count = %v, want 4 (failed batch must not be stored)", res.Value(0, "n"))
	}
	wantErr(t, errOf(db.Insert(ctx, "nope", cinch.Record{"name": "x"})), cinch.ErrTableNotFound)
	wantErr(t, errOf(db.Insert(ctx, "users", cinch.Record{"nope": "x"})), cinch.ErrColumnNotFound)
	wantErr(t, errOf(db.Insert(ctx, "users", cinch.Record{"id": "u-2", "name": "dup"})), cinch.ErrConstraint)

	up := must[cinch.Record](t)(db.Update(ctx, "users", id, cinch.Record{"age": 31, "active": false}))
	if up["age"] != int64(31) || up["active"] != false || up["name"] != "Alice" {
		t.Errorf("updated = %v", up)
	}
	wantErr(t, errOf(db.Update(ctx, "users", "ghost", cinch.Record{"age": 1})), cinch.ErrRowNotFound)

	if n := must[int64](t)(db.Delete(ctx, "users", id, "ghost")); n != 1 {
		t.Errorf("deleted %d, want 1", n)
	}
	if n := must[int64](t)(db.Delete(ctx, "users", "u-2")); n != 1 {
		t.Errorf("deleted %d, want 1", n)
	}
	if n := must[int64](t)(db.Delete(ctx, "users", "ghost")); n != 0 {
		t.Errorf("deleted %d, want 0", n)
	}
	if n := must[int64](t)(db.Delete(ctx, "users")); n != 0 {
		t.Errorf("deleted %d with no ids", n)
	}
}

// testLossless: every value comes back, in column order, whatever the
// names: repeated aliases, SELECT * over a join of tables that share id,
// created_at and updated_at, extreme numbers; and a streamed result
// (QueryTo) has the same rows as a collected one.
func testLossless(t *testing.T, ctx context.Context, db cinch.DB) {
	t.Helper()
	res := must[*cinch.Result](t)(db.Query(ctx, "SELECT 1 AS x, 2 AS x, 'three' AS x"))
	if diff := cmp.Diff([]string{"x", "x", "x"}, res.Columns); diff != "" {
		t.Errorf("repeated alias columns (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][]any{{int64(1), int64(2), "three"}}, res.Rows); diff != "" {
		t.Errorf("repeated alias rows (-want +got):\n%s", diff)
	}
	res = must[*cinch.Result](t)(db.Query(ctx, "SELECT 9223372036854775807 AS big, -9223372036854775808 AS small, 1e999 AS inf, -1e999 AS ninf, 0.1 AS f, 2.0 AS two, '' AS empty, NULL AS n"))
	want := []any{int64(math.MaxInt64), int64(math.MinInt64), math.Inf(1), math.Inf(-1), 0.1, 2.0, "", nil}
	if diff := cmp.Diff([][]any{want}, res.Rows); diff != "" {
		t.Errorf("extreme values (-want +got):\n%s", diff)
	}
	// Infinities go in as parameters and come back out.
	res = must[*cinch.Result](t)(db.Query(ctx, "SELECT ? AS p, ? AS n", math.Inf(1), math.Inf(-1)))
	if diff := cmp.Diff([][]any{{math.Inf(1), math.Inf(-1)}}, res.Rows); diff != "" {
		t.Errorf("infinite parameters (-want +got):\n%s", diff)
	}
	join := "SELECT * FROM users a JOIN users b ON a.id = b.id ORDER BY a.name"
	res = must[*cinch.Result](t)(db.Query(ctx, join))
	half := len(res.Columns) / 2
	if half == 0 || len(res.Columns)%2 != 0 || !slices.Equal(res.Columns[:half], res.Columns[half:]) {
		t.Fatalf("join columns = %v, want the users columns twice", res.Columns)
	}
	for i, row := range res.Rows {
		if len(row) != len(res.Columns) || !cmp.Equal(row[:half], row[half:]) {
			t.Errorf("join row %d = %v: the two sides differ or values are missing", i, row)
		}
	}
	var streamed rowsOf
	sum := must[*cinch.Result](t)(db.QueryTo(ctx, cinch.QueryOptions{}, &streamed, join))
	if sum.Rows != nil || sum.Truncated {
		t.Errorf("QueryTo summary = %+v, want no rows, not truncated", sum)
	}
	if diff := cmp.Diff(res.Columns, streamed.columns); diff != "" {
		t.Errorf("streamed columns (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(res.Rows, streamed.rows); diff != "" {
		t.Errorf("streamed rows (-want +got):\n%s", diff)
	}
	// A byte budget cuts between rows and says so.
	res = must[*cinch.Result](t)(db.QueryWith(ctx, cinch.QueryOptions{MaxBytes: 30}, "SELECT printf('%020d', value) FROM generate_series(1, 5)"))
	if len(res.Rows) != 1 || !res.Truncated {
		t.Errorf("MaxBytes 30 over 20-byte rows: %d rows, truncated %v; want 1, true", len(res.Rows), res.Truncated)
	}
	_, err := db.QueryWith(ctx, cinch.QueryOptions{MaxBytes: 10}, "SELECT printf('%020d', 1)")
	if !errors.Is(err, cinch.ErrTooLarge) {
		t.Errorf("first row over MaxBytes: %v, want ErrTooLarge", err)
	}
}

// rowsOf is a RowWriter that keeps what it is given.
type rowsOf struct {
	columns []string
	rows    [][]any
}

func (r *rowsOf) WriteColumns(names []string) error { r.columns = names; return nil }
func (r *rowsOf) WriteRow(values []any) error       { r.rows = append(r.rows, values); return nil }

func testQuery(t *testing.T, ctx context.Context, db cinch.DB) {
	usersTable(t, ctx, db)
	res := must[*cinch.Result](t)(db.Query(ctx, "INSERT INTO users (name, age, score) VALUES (?, ?, ?), (?, ?, ?)",
		"Ann", 20, 1.5, "Ben", nil, 3.0))
	if res.RowsAffected != 2 {
		t.Errorf("rows affected = %d", res.RowsAffected)
	}
	res = must[*cinch.Result](t)(db.Query(ctx, "SELECT name, age, score, active FROM users WHERE age IS ? OR name = ? ORDER BY name", nil, "Ann"))
	if !slices.Equal(res.Columns, []string{"name", "age", "score", "active"}) {
		t.Errorf("columns = %v", res.Columns)
	}
	if len(res.Rows) != 2 {
		t.Fatalf("rows = %v", res.Rows)
	}
	ann, ben := res.Record(0), res.Record(1)
	if ann["name"] != "Ann" || ann["age"] != int64(20) || ann["score"] != 1.5 || ann["active"] != true {
		t.Errorf("ann = %#v", ann)
	}
	if ben["age"] != nil || ben["score"] != 3.0 {
		t.Errorf("ben = %#v", ben)
	}
	res = must[*cinch.Result](t)(db.Query(ctx, "SELECT * FROM users WHERE name = ?", "nobody"))
	if res.Rows == nil || len(res.Rows) != 0 {
		t.Errorf("no rows = %#v, want empty non-nil", res.Rows)
	}
	testLossless(t, ctx, db)
	res = must[*cinch.Result](t)(db.QueryWith(ctx, cinch.QueryOptions{Limit: 1}, "SELECT name FROM users ORDER BY name"))
	if len(res.Rows) != 1 || !res.Truncated {
		t.Errorf("limit 1: rows %v truncated %v", res.Rows, res.Truncated)
	}
	res = must[*cinch.Result](t)(db.QueryWith(ctx, cinch.QueryOptions{Limit: 5}, "SELECT name FROM users"))
	if len(res.Rows) != 2 || res.Truncated {
		t.Errorf("limit 5: rows %v truncated %v", res.Rows, res.Truncated)
	}

	for _, sql := range []string{
		"CREATE TABLE evil (x)", "DROP TABLE users", "ALTER TABLE users ADD COLUMN x", "ATTACH DATABASE 'x.db' AS x",
		"PRAGMA journal_mode=DELETE", "SELECT 1; SELECT 2", "VACUUM INTO '/tmp/x.db'",
	} {
		_, err := db.Query(ctx, sql)
		if !errors.Is(err, cinch.ErrQueryRejected) {
			t.Errorf("Query(%q) = %v, want ErrQueryRejected", sql, err)
		}
	}
	wantErr(t, errOf(db.Query(ctx, "SELECT * FROM users WHERE name = ?")), cinch.ErrInvalidInput)
	wantErr(t, errOf(db.Query(ctx, "SELECT ?", 1, 2)), cinch.ErrInvalidInput)
	wantErr(t, errOf(db.QueryWith(ctx, cinch.QueryOptions{ReadOnly: true}, "DELETE FROM users")), cinch.ErrReadOnly)
	res = must[*cinch.Result](t)(db.QueryWith(ctx, cinch.QueryOptions{ReadOnly: true}, "SELECT count(*) AS n FROM users"))
	if res.Value(0, "n") != int64(2) {
		t.Errorf("read-only count = %v (the refused DELETE must not have run)", res.Value(0, "n"))
	}
	wantErr(t, errOf(db.Query(ctx, "SELECT * FROM nope")), cinch.ErrInvalidInput)
}

func testIsolation(t *testing.T, ctx context.Context, db cinch.DB) {
	usersTable(t, ctx, db)
	ok(t, errOf(db.Tenants().Create(ctx, "acme", cinch.TenantCreateOptions{})))
	ok(t, errOf(db.Tenants().Create(ctx, "lazy", cinch.TenantCreateOptions{Lazy: true})))
	acme := db.SwitchTenant("acme")
	ok(t, errOf(acme.Insert(ctx, "users", cinch.Record{"name": "only in acme"})))
	for _, tc := range []struct {
		db   cinch.DB
		want int64
	}{{db, 0}, {acme, 1}, {db.SwitchTenant("lazy"), 0}} {
		res := must[*cinch.Result](t)(tc.db.Query(ctx, "SELECT count(*) AS n FROM users"))
		if res.Value(0, "n") != tc.want {
			t.Errorf("tenant %s: count = %v, want %d", tc.db.Target().Tenant, res.Value(0, "n"), tc.want)
		}
	}
	// A write to the lazy tenant materializes it.
	ok(t, errOf(db.SwitchTenant("lazy").Insert(ctx, "users", cinch.Record{"name": "z"})))
	if info := must[cinch.TenantInfo](t)(db.Tenants().Info(ctx, "lazy")); info.State != cinch.TenantMaterialized {
		t.Errorf("after write: %+v", info)
	}
	ghost := db.SwitchTenant("ghost")
	wantErr(t, errOf(ghost.Query(ctx, "SELECT 1")), cinch.ErrTenantNotFound)
	wantErr(t, errOf(ghost.Insert(ctx, "users", cinch.Record{"name": "x"})), cinch.ErrTenantNotFound)
	wantErr(t, errOf(db.SwitchBranch("nobranch").Query(ctx, "SELECT 1")), cinch.ErrBranchNotFound)
}

func testViewsAndIndexes(t *testing.T, ctx context.Context, db cinch.DB) {
	usersTable(t, ctx, db)
	ok(t, errOf(db.Views().Create(ctx, "adults", "SELECT name FROM users WHERE age >= 18")))
	wantErr(t, errOf(db.Views().Create(ctx, "adults", "SELECT 1")), cinch.ErrViewExists)
	v := must[cinch.ViewInfo](t)(db.Views().Info(ctx, "adults"))
	if v.Name != "adults" || v.SQL == "" {
		t.Errorf("view = %+v", v)
	}
	ok(t, errOf(db.Views().Update(ctx, "adults", "SELECT name, age FROM users WHERE age >= 21")))
	if list := must[[]cinch.ViewInfo](t)(db.Views().List(ctx)); len(list) != 1 {
		t.Errorf("views = %+v", list)
	}
	ok(t, errOf(db.Views().Drop(ctx, "adults")))
	wantErr(t, errOf(db.Views().Info(ctx, "adults")), cinch.ErrViewNotFound)

	ok(t, errOf(db.Indexes().Create(ctx, cinch.IndexInfo{Table: "users", Columns: []string{"name"}, Name: "idx_name"})))
	wantErr(t, errOf(db.Indexes().Create(ctx, cinch.IndexInfo{Table: "users", Columns: []string{"age"}, Name: "idx_name"})), cinch.ErrIndexExists)
	list := must[[]cinch.IndexInfo](t)(db.Indexes().List(ctx, "users"))
	if len(list) != 1 || list[0].Name != "idx_name" || !slices.Equal(list[0].Columns, []string{"name"}) {
		t.Errorf("indexes = %+v", list)
	}
	ok(t, errOf(db.Indexes().Drop(ctx, "idx_name")))
	wantErr(t, errOf(db.Indexes().Drop(ctx, "idx_name")), cinch.ErrIndexNotFound)
}

func testBranches(t *testing.T, ctx context.Context, db cinch.DB) {
	usersTable(t, ctx, db)
	bs := db.Branches()
	info := must[cinch.BranchInfo](t)(bs.Create(ctx, "feature.x", ""))
	if info.Name != "feature.x" || info.Parent != "main" {
		t.Errorf("created = %+v", info)
	}
	wantErr(t, errOf(bs.Create(ctx, "feature.x", "")), cinch.ErrBranchExists)
	wantErr(t, errOf(bs.Info(ctx, "nope")), cinch.ErrBranchNotFound)
	feature := db.SwitchBranch("feature.x")
	ok(t, errOf(feature.Columns().Add(ctx, "users", col(t, "phone:TEXT"))))
	if n := len(must[[]cinch.Change](t)(bs.Changes(ctx, "feature.x"))); n != 2 {
		t.Errorf("feature changes = %d, want 2", n)
	}
	dry := must[cinch.MergeResult](t)(bs.Merge(ctx, "feature.x", "main", true))
	if !dry.DryRun || len(dry.Changes) != 1 {
		t.Errorf("dry run = %+v", dry)
	}
	if n := len(must[[]cinch.Change](t)(db.Changes(ctx))); n != 1 {
		t.Errorf("dry run changed main: %d changes", n)
	}
	must[cinch.MergeResult](t)(bs.Merge(ctx, "feature.x", "", false))
	if n := len(must[[]cinch.Change](t)(db.Changes(ctx))); n != 2 {
		t.Errorf("after merge main has %d changes, want 2", n)
	}
	list := must[[]cinch.BranchInfo](t)(bs.List(ctx))
	if len(list) != 2 {
		t.Errorf("branches = %+v", list)
	}
	ok(t, bs.Delete(ctx, "feature.x"))
	wantErr(t, bs.Delete(ctx, "main"), cinch.ErrProtected)
}

func testInvalidNames(t *testing.T, ctx context.Context, db cinch.DB) {
	for _, name := range []string{"../evil", "a/b", "Acme", "__x", ""} {
		wantErr(t, errOf(db.Tenants().Create(ctx, name, cinch.TenantCreateOptions{})), cinch.ErrInvalidName)
		if name != "" {
			wantErr(t, errOf(db.SwitchTenant(name).Query(ctx, "SELECT 1")), cinch.ErrInvalidName)
		}
	}
	wantErr(t, errOf(db.Tables().Create(ctx, "User", nil)), cinch.ErrInvalidName)
	wantErr(t, errOf(db.Tables().Create(ctx, "sqlite_x", nil)), cinch.ErrInvalidName)
	wantErr(t, errOf(db.Insert(ctx, "../users", cinch.Record{"x": 1})), cinch.ErrInvalidName)
	wantErr(t, errOf(db.Branches().Create(ctx, "-x", "")), cinch.ErrInvalidName)
}
