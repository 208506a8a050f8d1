package local_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
	"github.com/cinchdb/cinch/sqlite"
	"github.com/google/go-cmp/cmp"
)

// ---- helpers shared by the local_test files ----

type engFixture struct {
	dir string
	p   *local.Project
	db  *local.DB
}

// engNewFixture makes a project in a temporary folder and opens it with cfg.
func engNewFixture(t *testing.T, cfg local.Config) *engFixture {
	t.Helper()
	dir := t.TempDir()
	if err := local.Init(context.Background(), dir, ""); err != nil {
		t.Fatal(err)
	}
	p := engOpenProject(t, dir, cfg)
	db, err := p.Connect(cinch.Target{})
	if err != nil {
		t.Fatal(err)
	}
	return &engFixture{dir: dir, p: p, db: db}
}

// engOpenProject opens (another instance of) the project in dir.
func engOpenProject(t *testing.T, dir string, cfg local.Config) *local.Project {
	t.Helper()
	cfg.Dir = dir
	p, err := local.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	return p
}

func engConnect(t *testing.T, p *local.Project, tenant string) *local.DB {
	t.Helper()
	db, err := p.Connect(cinch.Target{Tenant: tenant})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func engBranchDir(dir string) string {
	return filepath.Join(dir, ".cinchdb", "databases", "main", "branches", "main")
}

func engTenantFile(dir, tenant string) string {
	return filepath.Join(engBranchDir(dir), "tenants", tenant+".db")
}

func engFileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func engMustCol(t *testing.T, spec string) cinch.Column {
	t.Helper()
	c, err := cinch.ParseColumnSpec(spec)
	if err != nil {
		t.Fatalf("ParseColumnSpec(%q): %v", spec, err)
	}
	return c
}

func engCols(t *testing.T, specs ...string) []cinch.Column {
	t.Helper()
	out := make([]cinch.Column, len(specs))
	for i, s := range specs {
		out[i] = engMustCol(t, s)
	}
	return out
}

func engStrp(s string) *string { return &s }

func engMustQuery(t *testing.T, db *local.DB, sql string, params ...any) *cinch.Result {
	t.Helper()
	res, err := db.Query(context.Background(), sql, params...)
	if err != nil {
		t.Fatalf("%s on %s: %v", sql, db.Target().Tenant, err)
	}
	return res
}

func engMustInsert(t *testing.T, db *local.DB, table string, rec cinch.Record) cinch.Record {
	t.Helper()
	out, err := db.Insert(context.Background(), table, rec)
	if err != nil {
		t.Fatalf("insert into %s on %s: %v", table, db.Target().Tenant, err)
	}
	return out
}

func engMustChange(t *testing.T) func(cinch.Change, error) cinch.Change {
	return func(ch cinch.Change, err error) cinch.Change {
		t.Helper()
		if err != nil {
			t.Fatalf("change: %v", err)
		}
		return ch
	}
}

func engMustCreateTenant(t *testing.T, db *local.DB, name string, lazy bool) {
	t.Helper()
	if _, err := db.Tenants().Create(context.Background(), name, cinch.TenantCreateOptions{Lazy: lazy}); err != nil {
		t.Fatalf("create tenant %s: %v", name, err)
	}
}

// engInspect opens a tenant file directly (it must exist) and runs fn.
func engInspect(t *testing.T, path string, fn func(c *sqlite.Conn)) {
	t.Helper()
	if !engFileExists(path) {
		t.Fatalf("%s does not exist", path)
	}
	c, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fn(c)
}

func engConnQuery(t *testing.T, c *sqlite.Conn, sql string, params ...any) []cinch.Record {
	t.Helper()
	res, err := c.Query(context.Background(), cinch.QueryOptions{}, sql, params...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return res.Records()
}

func engFileVersion(t *testing.T, path string) int {
	t.Helper()
	var v int
	engInspect(t, path, func(c *sqlite.Conn) {
		var err error
		if v, err = c.UserVersion(); err != nil {
			t.Fatal(err)
		}
	})
	return v
}

// engFileSchema is the schema of a tenant file: one line per object of
// sqlite_schema (SQLite's own sqlite_* objects left out).
func engFileSchema(t *testing.T, path string) []string {
	t.Helper()
	var out []string
	engInspect(t, path, func(c *sqlite.Conn) {
		for _, r := range engConnQuery(t, c, "SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name") {
			out = append(out, fmt.Sprintf("%s %s on %s: %v", r["type"], r["name"], r["tbl_name"], r["sql"]))
		}
	})
	return out
}

func engObjectSQL(t *testing.T, path, name string) string {
	t.Helper()
	var sql string
	engInspect(t, path, func(c *sqlite.Conn) { sql = c.ObjectSQL(name) })
	return sql
}

func engChangesLen(t *testing.T, db *local.DB) int {
	t.Helper()
	ch, err := db.Changes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return len(ch)
}

// engCheckConverged checks that every materialized tenant of the branch is at
// the branch version with the same schema as main and as the template
// (table and view SQL from TableService/ViewService), and lazy tenants
// have no file.
func engCheckConverged(t *testing.T, db *local.DB, dir string) {
	t.Helper()
	ctx := context.Background()
	n := engChangesLen(t, db)
	list, err := db.Tenants().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := db.Tables().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	views, err := db.Views().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ref := engFileSchema(t, engTenantFile(dir, "main"))
	for _, ti := range list {
		path := engTenantFile(dir, ti.Name)
		if ti.State == cinch.TenantLazy {
			if engFileExists(path) {
				t.Errorf("lazy tenant %s has a file", ti.Name)
			}
			continue
		}
		if got := engFileVersion(t, path); got != n {
			t.Errorf("tenant %s: user_version = %d, want %d", ti.Name, got, n)
		}
		if diff := cmp.Diff(ref, engFileSchema(t, path)); diff != "" {
			t.Errorf("tenant %s schema differs from main (-main +%s):\n%s", ti.Name, ti.Name, diff)
		}
		for _, tb := range tables {
			if got := engObjectSQL(t, path, tb.Name); got != tb.SQL {
				t.Errorf("tenant %s table %s:\n file:     %s\n template: %s", ti.Name, tb.Name, got, tb.SQL)
			}
		}
		for _, v := range views {
			if got := engObjectSQL(t, path, v.Name); got != v.SQL {
				t.Errorf("tenant %s view %s:\n file:     %s\n template: %s", ti.Name, v.Name, got, v.SQL)
			}
		}
	}
}

func engColumnNames(t *testing.T, db *local.DB, table string) []string {
	t.Helper()
	infos, err := db.Columns().List(context.Background(), table)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range infos {
		out = append(out, c.Name)
	}
	return out
}

func engWantErrIs(t *testing.T, err, sentinel error) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", sentinel)
	}
	if !errors.Is(err, sentinel) {
		t.Fatalf("got %v (code %s), want %v", err, cinch.Code(err), sentinel)
	}
}

// engClock is a settable Config.Now.
type engClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *engClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *engClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// ---- 1. schema changes reach every tenant ----

func TestTableService_ChangesReachEveryTenant(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := engNewFixture(t, local.Config{})
	db := f.db
	engMustCreateTenant(t, db, "acme", false)
	engMustCreateTenant(t, db, "opened", false)
	engMustCreateTenant(t, db, "cold", false) // never opened by this process
	engMustCreateTenant(t, db, "lazy_read", true)
	engMustCreateTenant(t, db, "lazy_cold", true)
	opened := db.WithTenant("opened")
	lazyRead := db.WithTenant("lazy_read")
	engMustQuery(t, opened, "SELECT 1")
	engMustQuery(t, lazyRead, "SELECT 1")

	must := engMustChange(t)
	steps := []struct {
		name string
		do   func() (cinch.Change, error)
	}{
		{"create users", func() (cinch.Change, error) {
			return db.Tables().Create(ctx, "users", engCols(t, "name:TEXT:not_null", "email:TEXT:unique", "active:BOOLEAN:default=true", "score:INTEGER:default=5", "nick:TEXT"))
		}},
		{"create orders", func() (cinch.Change, error) {
			return db.Tables().Create(ctx, "orders", engCols(t, "user_id:TEXT:fk=users.cascade", "amount:REAL"))
		}},
		{"add column", func() (cinch.Change, error) { return db.Columns().Add(ctx, "users", engMustCol(t, "phone:TEXT")) }},
		{"create index", func() (cinch.Change, error) {
			return db.Indexes().Create(ctx, cinch.IndexInfo{Table: "users", Columns: []string{"name"}})
		}},
		{"create view", func() (cinch.Change, error) {
			return db.Views().Create(ctx, "v_names", "SELECT name, phone FROM users")
		}},
		{"rename column", func() (cinch.Change, error) { return db.Columns().Rename(ctx, "users", "phone", "mobile") }},
		{"copy table", func() (cinch.Change, error) { return db.Tables().Copy(ctx, "users", "users_archive", false) }},
		{"not null with fill", func() (cinch.Change, error) {
			return db.Columns().AlterNullable(ctx, "users", "nick", false, engStrp("anon"))
		}},
		{"nullable again", func() (cinch.Change, error) { return db.Columns().AlterNullable(ctx, "users", "nick", true, nil) }},
		{"drop view", func() (cinch.Change, error) { return db.Views().Drop(ctx, "v_names") }},
		{"drop column", func() (cinch.Change, error) { return db.Columns().Drop(ctx, "users", "mobile") }},
		{"add unique column", func() (cinch.Change, error) { return db.Columns().Add(ctx, "users", engMustCol(t, "code:TEXT:unique")) }},
		{"unique index", func() (cinch.Change, error) {
			return db.Indexes().Create(ctx, cinch.IndexInfo{Table: "users", Columns: []string{"email", "name"}, Unique: true})
		}},
		{"drop index", func() (cinch.Change, error) { return db.Indexes().Drop(ctx, "idx_users_name") }},
		{"create view 2", func() (cinch.Change, error) { return db.Views().Create(ctx, "v2", "SELECT email FROM users") }},
		{"update view", func() (cinch.Change, error) { return db.Views().Update(ctx, "v2", "SELECT email, code FROM users") }},
		{"drop table", func() (cinch.Change, error) { return db.Tables().Drop(ctx, "users_archive") }},
	}
	for i, st := range steps {
		ch := must(st.do())
		if ch.ID == "" || ch.Timestamp.IsZero() {
			t.Errorf("%s: change lacks id or timestamp: %+v", st.name, ch)
		}
		if got, want := engChangesLen(t, db), i+1; got != want {
			t.Fatalf("%s: %d changes, want %d", st.name, got, want)
		}
		if i == 0 {
			// Rows that live through every later change.
			engMustInsert(t, db.WithTenant("acme"), "users", cinch.Record{"name": "Alice", "email": "a@x"})
			engMustInsert(t, opened, "users", cinch.Record{"name": "Bob"})
		}
		engCheckConverged(t, db, f.dir)
		if t.Failed() {
			t.Fatalf("not converged after %q", st.name)
		}
		// The open handles and the lazy tenant see the new schema.
		res := engMustQuery(t, lazyRead, "SELECT * FROM users")
		if diff := cmp.Diff(engColumnNames(t, db, "users"), res.Columns); diff != "" {
			t.Errorf("%s: lazy tenant columns (-want +got):\n%s", st.name, diff)
		}
		if len(res.Rows) != 0 {
			t.Errorf("%s: lazy tenant has rows: %v", st.name, res.Rows)
		}
		res = engMustQuery(t, opened, "SELECT * FROM users")
		if diff := cmp.Diff(engColumnNames(t, db, "users"), res.Columns); diff != "" {
			t.Errorf("%s: open tenant columns (-want +got):\n%s", st.name, diff)
		}
	}
	if engFileExists(engTenantFile(f.dir, "lazy_read")) || engFileExists(engTenantFile(f.dir, "lazy_cold")) {
		t.Fatalf("reads created a lazy tenant's file")
	}
	if info, err := db.Tenants().Info(ctx, "lazy_cold"); err != nil || info.State != cinch.TenantLazy || info.SchemaVersion != len(steps) {
		t.Errorf("lazy tenant info = %+v, %v", info, err)
	}

	t.Run("rows survive", func(t *testing.T) {
		res := engMustQuery(t, db.WithTenant("acme"), "SELECT name, email, nick, active, score FROM users")
		want := []cinch.Record{{"name": "Alice", "email": "a@x", "nick": "anon", "active": true, "score": int64(5)}}
		if diff := cmp.Diff(want, res.Records()); diff != "" {
			t.Errorf("acme rows (-want +got):\n%s", diff)
		}
	})
	t.Run("first write materializes a lazy tenant at the current version", func(t *testing.T) {
		lazy := db.WithTenant("lazy_cold")
		engMustInsert(t, lazy, "users", cinch.Record{"name": "Carol"})
		if got, want := engFileVersion(t, engTenantFile(f.dir, "lazy_cold")), len(steps); got != want {
			t.Errorf("user_version = %d, want %d", got, want)
		}
		if got := len(engMustQuery(t, lazy, "SELECT * FROM users").Rows); got != 1 {
			t.Errorf("rows = %d, want 1", got)
		}
		info, err := db.Tenants().Info(ctx, "lazy_cold")
		if err != nil || info.State != cinch.TenantMaterialized {
			t.Errorf("info = %+v, %v", info, err)
		}
		// A raw-SQL write materializes too.
		engMustQuery(t, lazyRead, "INSERT INTO users (name) VALUES ('Dan')")
		if got := len(engMustQuery(t, lazyRead, "SELECT * FROM users").Rows); got != 1 {
			t.Errorf("rows = %d, want 1", got)
		}
		engMustCreateTenant(t, db, "late", false)
		engCheckConverged(t, db, f.dir)
	})
	t.Run("reading a lazy tenant's missing table is an error", func(t *testing.T) {
		engMustCreateTenant(t, db, "lazy_more", true)
		_, err := db.WithTenant("lazy_more").Query(ctx, "SELECT * FROM nope")
		engWantErrIs(t, err, cinch.ErrInvalidInput)
		if engFileExists(engTenantFile(f.dir, "lazy_more")) {
			t.Errorf("a failed read created the file")
		}
	})
}

// ---- 2. rebuilds keep everything ----

type engTableFacts struct {
	PK       []string
	Unique   []string // columns with a UNIQUE constraint (autoindexes)
	Indexes  []string // named indexes
	FKs      []string
	Triggers []string
	Checks   []string
	Defaults map[string]any
}

func engFactsOf(t *testing.T, path, table string) engTableFacts {
	t.Helper()
	f := engTableFacts{Defaults: map[string]any{}}
	engInspect(t, path, func(c *sqlite.Conn) {
		for _, r := range engConnQuery(t, c, "SELECT name, pk, dflt_value FROM pragma_table_info(?)", table) {
			if r["pk"].(int64) > 0 {
				f.PK = append(f.PK, r["name"].(string))
			}
			if d := r["dflt_value"]; d != nil && !strings.Contains(d.(string), "strftime") && !strings.Contains(d.(string), "randomblob") {
				f.Defaults[r["name"].(string)] = d
			}
		}
		for _, r := range engConnQuery(t, c, "SELECT name, origin FROM pragma_index_list(?) ORDER BY name", table) {
			name := r["name"].(string)
			switch r["origin"] {
			case "u":
				for _, ic := range engConnQuery(t, c, "SELECT name FROM pragma_index_info(?)", name) {
					f.Unique = append(f.Unique, ic["name"].(string))
				}
			case "c":
				f.Indexes = append(f.Indexes, name)
			}
		}
		sort.Strings(f.Unique)
		for _, r := range engConnQuery(t, c, `SELECT "from", "table", "to", on_delete FROM pragma_foreign_key_list(?) ORDER BY "from"`, table) {
			f.FKs = append(f.FKs, fmt.Sprintf("%s -> %s.%s ON DELETE %s", r["from"], r["table"], r["to"], r["on_delete"]))
		}
		for _, r := range engConnQuery(t, c, "SELECT name FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = ? ORDER BY name", table) {
			f.Triggers = append(f.Triggers, r["name"].(string))
		}
		sql := c.ObjectSQL(table)
		f.Checks = append(f.Checks, regexp.MustCompile(`CHECK \([^)]*\)\)`).FindAllString(sql, -1)...)
	})
	return f
}

func engDump(t *testing.T, db *local.DB, sql string) []cinch.Record {
	t.Helper()
	return engMustQuery(t, db, sql).Records()
}

func TestColumnService_RebuildsKeepEverything(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := engNewFixture(t, local.Config{})
	db := f.db
	must := engMustChange(t)
	must(db.Tables().Create(ctx, "users", engCols(t, "name:TEXT:not_null", "email:TEXT:unique", "active:BOOLEAN:default=true", "score:INTEGER:default=5", "nick:TEXT")))
	must(db.Tables().Create(ctx, "orders", engCols(t, "user_id:TEXT:fk=users.cascade", "buyer_email:TEXT:fk=users.email.set_null", "note:TEXT", "paid:BOOLEAN:not_null:default=false")))
	must(db.Indexes().Create(ctx, cinch.IndexInfo{Table: "users", Columns: []string{"name"}}))
	must(db.Indexes().Create(ctx, cinch.IndexInfo{Table: "orders", Columns: []string{"note"}}))
	must(db.Views().Create(ctx, "big_spenders", "SELECT u.name, o.note FROM users u JOIN orders o ON o.user_id = u.id"))
	engMustCreateTenant(t, db, "acme", false)

	tenants := []*local.DB{db, db.WithTenant("acme")}
	for i, tdb := range tenants {
		for j := range 3 {
			u := engMustInsert(t, tdb, "users", cinch.Record{"name": fmt.Sprintf("u%d%d", i, j), "email": fmt.Sprintf("u%d%d@x", i, j), "nick": "n", "active": j%2 == 0})
			engMustInsert(t, tdb, "orders", cinch.Record{"user_id": u["id"], "buyer_email": u["email"], "note": "o" + u["name"].(string)})
		}
	}
	const usersCols = "SELECT id, created_at, updated_at, name, email, active, score FROM users ORDER BY id"
	const ordersCols = "SELECT id, created_at, updated_at, user_id, buyer_email, paid FROM orders ORDER BY id"
	wantUsers := map[string][]cinch.Record{}
	wantOrders := map[string][]cinch.Record{}
	for _, tdb := range tenants {
		wantUsers[tdb.Target().Tenant] = engDump(t, tdb, usersCols)
		wantOrders[tdb.Target().Tenant] = engDump(t, tdb, ordersCols)
	}
	wantFacts := map[string]engTableFacts{
		"users": {
			PK: []string{"id"}, Unique: []string{"email"}, Indexes: []string{"idx_users_name"},
			Triggers: []string{"__cinch_users_updated_at"},
			Checks:   []string{`CHECK ("active" IN (0, 1))`},
			Defaults: map[string]any{"active": "1", "score": "5"},
		},
		"orders": {
			PK: []string{"id"}, Unique: nil, Indexes: []string{"idx_orders_note"},
			FKs:      []string{"buyer_email -> users.email ON DELETE SET NULL", "user_id -> users.id ON DELETE CASCADE"},
			Triggers: []string{"__cinch_orders_updated_at"},
			Checks:   []string{`CHECK ("paid" IN (0, 1))`},
			Defaults: map[string]any{"paid": "0"},
		},
	}
	check := func(t *testing.T) {
		t.Helper()
		for _, tdb := range tenants {
			name := tdb.Target().Tenant
			path := engTenantFile(f.dir, name)
			for table, want := range wantFacts {
				if diff := cmp.Diff(want, engFactsOf(t, path, table)); diff != "" {
					t.Errorf("tenant %s table %s (-want +got):\n%s", name, table, diff)
				}
			}
			if diff := cmp.Diff(wantUsers[name], engDump(t, tdb, usersCols)); diff != "" {
				t.Errorf("tenant %s users rows (-want +got):\n%s", name, diff)
			}
			if diff := cmp.Diff(wantOrders[name], engDump(t, tdb, ordersCols)); diff != "" {
				t.Errorf("tenant %s orders rows (-want +got):\n%s", name, diff)
			}
			if got := engDump(t, tdb, "PRAGMA integrity_check"); len(got) != 1 || got[0]["integrity_check"] != "ok" {
				t.Errorf("tenant %s integrity_check = %v", name, got)
			}
			if got := engDump(t, tdb, "PRAGMA foreign_key_check"); len(got) != 0 {
				t.Errorf("tenant %s foreign_key_check = %v", name, got)
			}
			if got := len(engDump(t, tdb, "SELECT * FROM big_spenders")); got != 3 {
				t.Errorf("tenant %s view rows = %d, want 3", name, got)
			}
		}
		engCheckConverged(t, db, f.dir)
	}
	check(t)

	steps := []struct {
		name string
		do   func() (cinch.Change, error)
		then func()
	}{
		{"drop column", func() (cinch.Change, error) { return db.Columns().Drop(ctx, "users", "nick") }, nil},
		{"to nullable", func() (cinch.Change, error) { return db.Columns().AlterNullable(ctx, "users", "name", true, nil) }, nil},
		{"to not null", func() (cinch.Change, error) { return db.Columns().AlterNullable(ctx, "users", "name", false, nil) }, nil},
		{"add unique column", func() (cinch.Change, error) { return db.Columns().Add(ctx, "users", engMustCol(t, "code:TEXT:unique")) }, func() {
			u := wantFacts["users"]
			u.Unique = []string{"code", "email"}
			wantFacts["users"] = u
		}},
		{"rebuild the child", func() (cinch.Change, error) { return db.Columns().AlterNullable(ctx, "orders", "paid", true, nil) }, nil},
		{"drop column of the child", func() (cinch.Change, error) {
			if _, err := db.Indexes().Drop(ctx, "idx_orders_note"); err != nil {
				return cinch.Change{}, err
			}
			if _, err := db.Views().Update(ctx, "big_spenders", "SELECT u.name, o.paid FROM users u JOIN orders o ON o.user_id = u.id"); err != nil {
				return cinch.Change{}, err
			}
			return db.Columns().Drop(ctx, "orders", "note")
		}, func() {
			o := wantFacts["orders"]
			o.Indexes = nil
			wantFacts["orders"] = o
		}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			ch := must(st.do())
			if !ch.Rebuild {
				t.Errorf("change %s is not a rebuild", ch.Type)
			}
			if st.then != nil {
				st.then()
			}
			check(t)
		})
	}

	t.Run("constraints still enforced", func(t *testing.T) {
		acme := db.WithTenant("acme")
		_, err := acme.Query(ctx, "INSERT INTO users (name, active) VALUES ('x', 2)")
		engWantErrIs(t, err, cinch.ErrConstraint)
		_, err = acme.Insert(ctx, "users", cinch.Record{"name": "x", "email": "u10@x"})
		engWantErrIs(t, err, cinch.ErrConstraint)
		_, err = acme.Insert(ctx, "users", cinch.Record{"email": "fresh@x"})
		engWantErrIs(t, err, cinch.ErrConstraint) // name is NOT NULL again
		_, err = acme.Insert(ctx, "orders", cinch.Record{"user_id": "ghost"})
		engWantErrIs(t, err, cinch.ErrConstraint)
		rec := engMustInsert(t, acme, "users", cinch.Record{"name": "d"})
		if got, want := rec["score"], int64(5); got != want {
			t.Errorf("default score = %v, want %v", got, want)
		}
		if got, want := rec["active"], true; got != want {
			t.Errorf("default active = %v, want %v", got, want)
		}
		// ON DELETE CASCADE and SET NULL still act.
		u := wantUsers["acme"][0]
		o := engMustInsert(t, acme, "orders", cinch.Record{"user_id": rec["id"], "buyer_email": u["email"]})
		if n, err := acme.Delete(ctx, "users", u["id"].(string)); err != nil || n != 1 {
			t.Fatalf("delete = %d, %v", n, err)
		}
		if got := engMustQuery(t, acme, "SELECT count(*) AS n FROM orders WHERE user_id = ?", u["id"]).Records(); got[0]["n"] != int64(0) {
			t.Errorf("cascade: %v orders left", got[0]["n"])
		}
		if got := engDump(t, acme, "SELECT buyer_email FROM orders WHERE id = '"+o["id"].(string)+"'"); got[0]["buyer_email"] != nil {
			t.Errorf("set null: buyer_email = %v", got[0]["buyer_email"])
		}
		// The updated_at trigger still fires.
		old := engDump(t, acme, "SELECT updated_at FROM users WHERE id = '"+rec["id"].(string)+"'")[0]["updated_at"]
		engMustQuery(t, acme, "UPDATE users SET updated_at = '2000-01-01T00:00:00.000Z' WHERE id = ?", rec["id"])
		engMustQuery(t, acme, "UPDATE users SET name = 'e' WHERE id = ?", rec["id"])
		if got := engDump(t, acme, "SELECT updated_at FROM users WHERE id = '"+rec["id"].(string)+"'")[0]["updated_at"]; got == "2000-01-01T00:00:00.000Z" || got == nil {
			t.Errorf("updated_at after raw update = %v (was %v)", got, old)
		}
	})
}

// ---- 7. data API ----

var engUuidV7 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestDB_DataAPI(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := &engClock{now: time.Date(2001, 2, 3, 4, 5, 6, 789_123_456, time.FixedZone("X", 3600))}
	f := engNewFixture(t, local.Config{Now: clk.Now})
	db := f.db
	engMustChange(t)(db.Tables().Create(ctx, "users", engCols(t, "name:TEXT:not_null", "email:TEXT:unique", "active:BOOLEAN:default=true", "score:INTEGER:default=5", "ratio:REAL", "data:BLOB")))
	created := clk.Now().UTC().Format(cinch.TimeFormat)
	if got, want := created, "2001-02-03T03:05:06.789Z"; got != want {
		t.Fatalf("time format = %s, want %s", got, want)
	}

	t.Run("Insert", func(t *testing.T) {
		rec := engMustInsert(t, db, "users", cinch.Record{"name": "Alice", "ratio": 0.5, "data": []byte{1, 2}})
		id, _ := rec["id"].(string)
		if !engUuidV7.MatchString(id) {
			t.Errorf("id = %q, want a UUID v7", rec["id"])
		}
		want := cinch.Record{"id": id, "created_at": created, "updated_at": created, "name": "Alice", "email": nil,
			"active": true, "score": int64(5), "ratio": 0.5, "data": []byte{1, 2}}
		if diff := cmp.Diff(want, rec); diff != "" {
			t.Errorf("insert returned (-want +got):\n%s", diff)
		}
		res := engMustQuery(t, db, "SELECT * FROM users WHERE id = ?", id)
		if diff := cmp.Diff([]cinch.Record{want}, res.Records()); diff != "" {
			t.Errorf("stored row (-want +got):\n%s", diff)
		}
		if got := res.Columns[:3]; !cmp.Equal(got, []string{"id", "created_at", "updated_at"}) {
			t.Errorf("columns start %v", got)
		}
		rec = engMustInsert(t, db, "users", cinch.Record{"id": "my-id", "name": "Bob", "active": false})
		if rec["id"] != "my-id" || rec["active"] != false {
			t.Errorf("insert with id and false = %v", rec)
		}
	})
	t.Run("Insert refusals", func(t *testing.T) {
		for _, tc := range []struct {
			table string
			rec   cinch.Record
			want  error
		}{
			{"nope", cinch.Record{"name": "x"}, cinch.ErrTableNotFound},
			{"users", cinch.Record{"name": "x", "nope": 1}, cinch.ErrColumnNotFound},
			{"users", cinch.Record{"name": "x", "created_at": "2000"}, cinch.ErrInvalidInput},
			{"users", cinch.Record{"name": "x", "id": 7}, cinch.ErrInvalidInput},
			{"users", cinch.Record{"name": "x", "score": map[string]any{}}, cinch.ErrInvalidInput},
			{"users", cinch.Record{"email": "no-name"}, cinch.ErrConstraint},
			{"users", cinch.Record{"name": "x", "active": 3}, cinch.ErrConstraint},
			{"Users", cinch.Record{"name": "x"}, cinch.ErrInvalidName},
		} {
			_, err := db.Insert(ctx, tc.table, tc.rec)
			if !errors.Is(err, tc.want) {
				t.Errorf("Insert(%s, %v) = %v, want %v", tc.table, tc.rec, err, tc.want)
			}
		}
	})
	t.Run("InsertMany is all or none", func(t *testing.T) {
		count := func() int64 { return engDump(t, db, "SELECT count(*) AS n FROM users")[0]["n"].(int64) }
		before := count()
		for _, bad := range []cinch.Record{{"name": "z", "nope": 1}, {"name": "z", "email": "dup@x"}, {"email": "no-name"}} {
			_, err := db.InsertMany(ctx, "users", []cinch.Record{{"name": "a", "email": "dup@x"}, {"name": "b"}, bad})
			if err == nil {
				t.Fatalf("InsertMany with bad record %v succeeded", bad)
			}
			if got := count(); got != before {
				t.Errorf("after a failed batch (%v): %d rows, want %d", err, got, before)
			}
		}
		out, err := db.InsertMany(ctx, "users", []cinch.Record{{"name": "a"}, {"name": "b", "active": false}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != 2 || out[0]["name"] != "a" || out[1]["active"] != false || out[0]["id"] == out[1]["id"] {
			t.Errorf("InsertMany returned %v", out)
		}
		if got := count(); got != before+2 {
			t.Errorf("rows = %d, want %d", got, before+2)
		}
		if out, err := db.InsertMany(ctx, "users", nil); err != nil || len(out) != 0 {
			t.Errorf("InsertMany(nil) = %v, %v", out, err)
		}
	})
	t.Run("Update", func(t *testing.T) {
		rec := engMustInsert(t, db, "users", cinch.Record{"name": "Upd"})
		clk.Set(clk.Now().Add(90 * time.Minute))
		later := clk.Now().UTC().Format(cinch.TimeFormat)
		got, err := db.Update(ctx, "users", rec["id"].(string), cinch.Record{"name": "Upd2", "active": false})
		if err != nil {
			t.Fatal(err)
		}
		if got["name"] != "Upd2" || got["active"] != false || got["created_at"] != rec["created_at"] || got["updated_at"] != later {
			t.Errorf("Update returned %v (created %v, want updated_at %s)", got, rec["created_at"], later)
		}
		_, err = db.Update(ctx, "users", "missing", cinch.Record{"name": "x"})
		engWantErrIs(t, err, cinch.ErrRowNotFound)
		_, err = db.Update(ctx, "nope", rec["id"].(string), cinch.Record{"name": "x"})
		engWantErrIs(t, err, cinch.ErrTableNotFound)
		_, err = db.Update(ctx, "users", rec["id"].(string), cinch.Record{"nope": "x"})
		engWantErrIs(t, err, cinch.ErrColumnNotFound)
		_, err = db.Update(ctx, "users", rec["id"].(string), cinch.Record{"id": "other"})
		engWantErrIs(t, err, cinch.ErrInvalidInput)
	})
	t.Run("raw SQL update moves updated_at", func(t *testing.T) {
		rec := engMustInsert(t, db, "users", cinch.Record{"name": "Raw"})
		res := engMustQuery(t, db, "UPDATE users SET name = 'Raw2' WHERE id = ?", rec["id"])
		if got, want := res.RowsAffected, int64(1); got != want {
			t.Errorf("RowsAffected = %d, want %d", got, want)
		}
		row := engDump(t, db, "SELECT name, updated_at, created_at FROM users WHERE id = '"+rec["id"].(string)+"'")[0]
		// The engine engClock is in 2001; the trigger uses SQLite's engClock.
		if row["updated_at"] == rec["updated_at"] || row["created_at"] != rec["created_at"] {
			t.Errorf("after raw update: %v (inserted %v)", row, rec)
		}
		if _, err := time.Parse(cinch.TimeFormat, row["updated_at"].(string)); err != nil {
			t.Errorf("updated_at %v is not in cinch.TimeFormat: %v", row["updated_at"], err)
		}
		// An update that sets updated_at itself keeps its value.
		engMustQuery(t, db, "UPDATE users SET updated_at = '2010-01-01T00:00:00.000Z' WHERE id = ?", rec["id"])
		if got := engDump(t, db, "SELECT updated_at FROM users WHERE id = '"+rec["id"].(string)+"'")[0]["updated_at"]; got != "2010-01-01T00:00:00.000Z" {
			t.Errorf("explicit updated_at overwritten: %v", got)
		}
		// Raw inserts get an id and timestamps.
		engMustQuery(t, db, "INSERT INTO users (name) VALUES ('RawIns')")
		row = engDump(t, db, "SELECT id, created_at FROM users WHERE name = 'RawIns'")[0]
		if id, _ := row["id"].(string); len(id) != 36 {
			t.Errorf("raw insert id = %v", row["id"])
		}
	})
	t.Run("Delete", func(t *testing.T) {
		a := engMustInsert(t, db, "users", cinch.Record{"name": "Del1"})
		b := engMustInsert(t, db, "users", cinch.Record{"name": "Del2"})
		n, err := db.Delete(ctx, "users", a["id"].(string), b["id"].(string), "missing")
		if err != nil || n != 2 {
			t.Errorf("Delete = %d, %v; want 2", n, err)
		}
		n, err = db.Delete(ctx, "users", a["id"].(string))
		if err != nil || n != 0 {
			t.Errorf("Delete again = %d, %v; want 0", n, err)
		}
		_, err = db.Delete(ctx, "nope", "x")
		engWantErrIs(t, err, cinch.ErrTableNotFound)
	})
	t.Run("query results", func(t *testing.T) {
		res := engMustQuery(t, db, "SELECT active, NOT active AS inv, 1.5 AS f, NULL AS n, x'00' AS b FROM users WHERE name = 'Alice'")
		want := []cinch.Record{{"active": true, "inv": int64(0), "f": 1.5, "n": nil, "b": []byte{0}}}
		if diff := cmp.Diff(want, res.Records()); diff != "" {
			t.Errorf("rows (-want +got):\n%s", diff)
		}
		res, err := db.QueryWith(ctx, cinch.QueryOptions{Limit: 2}, "SELECT * FROM users")
		if err != nil || len(res.Rows) != 2 || !res.Truncated {
			t.Errorf("limit 2: %d rows truncated=%v err=%v", len(res.Rows), res.Truncated, err)
		}
		_, err = db.QueryWith(ctx, cinch.QueryOptions{ReadOnly: true}, "DELETE FROM users")
		engWantErrIs(t, err, cinch.ErrReadOnly)
		res, err = db.Query(ctx, "SELECT * FROM users WHERE 0")
		if err != nil || res.Rows == nil || len(res.Rows) != 0 {
			t.Errorf("empty result = %#v, %v", res, err)
		}
		_, err = db.Query(ctx, "SELECT ?, ?", 1)
		engWantErrIs(t, err, cinch.ErrInvalidInput)
		_, err = db.Query(ctx, "SELECT 1", 1)
		engWantErrIs(t, err, cinch.ErrInvalidInput)
		_, err = db.Query(ctx, "SELECT * FROM nope")
		engWantErrIs(t, err, cinch.ErrInvalidInput)
		_, err = db.Query(ctx, "   ")
		engWantErrIs(t, err, cinch.ErrInvalidInput)
	})
	t.Run("unknown tenant", func(t *testing.T) {
		_, err := db.WithTenant("ghost").Query(ctx, "SELECT 1")
		engWantErrIs(t, err, cinch.ErrTenantNotFound)
		_, err = db.WithTenant("ghost").Insert(ctx, "users", cinch.Record{"name": "x"})
		engWantErrIs(t, err, cinch.ErrTenantNotFound)
		if engFileExists(engTenantFile(f.dir, "ghost")) {
			t.Errorf("using an unknown tenant created a file")
		}
	})
}

// ---- 8. query guard ----

func TestDB_QueryGuard(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := engNewFixture(t, local.Config{})
	db := f.db
	engMustChange(t)(db.Tables().Create(ctx, "users", engCols(t, "name:TEXT")))
	engMustInsert(t, db, "users", cinch.Record{"name": "a"})
	outside := filepath.Join(t.TempDir(), "evil.db")
	rejected := []string{
		"CREATE TABLE z (a)",
		"create temp table z (a)",
		"CREATE INDEX i ON users (name)",
		"CREATE VIEW v AS SELECT 1",
		"CREATE TRIGGER tr AFTER INSERT ON users BEGIN SELECT 1; END",
		"ALTER TABLE users ADD COLUMN x TEXT",
		"ALTER TABLE users RENAME TO people",
		"DROP TABLE users",
		"DROP TRIGGER __cinch_users_updated_at",
		"CREATE VIRTUAL TABLE z USING fts5(a)",
		"ATTACH '" + outside + "' AS x",
		"attach database '" + outside + "' as x",
		"/* hi */ AtTaCh\n'" + outside + "' AS x",
		"-- comment\nATTACH ':memory:' AS x",
		"ATTACH 'file:" + outside + "?mode=rwc' AS x",
		"DETACH x",
		"VACUUM INTO '" + outside + "'",
		"vacuum main into '" + outside + "'",
		"PRAGMA writable_schema=ON",
		"PRAGMA writable_schema",
		"PRAGMA journal_mode=DELETE",
		"pragma JOURNAL_MODE = off",
		"PRAGMA synchronous=OFF",
		"PRAGMA foreign_keys=OFF",
		"PRAGMA user_version=7",
		"PRAGMA key='x'",
		"SELECT 1; SELECT 2",
		"SELECT 1; DROP TABLE users",
		"INSERT INTO users (name) VALUES ('b'); DELETE FROM users",
		"BEGIN",
		"BEGIN IMMEDIATE",
		"SAVEPOINT s",
		"SELECT load_extension('x')",
		"INSERT INTO __cinch_x SELECT 1",
		"UPDATE sqlite_master SET sql = '' WHERE 0",
		"DELETE FROM sqlite_sequence",
	}
	for _, q := range rejected {
		t.Run("reject "+q, func(t *testing.T) {
			_, err := db.Query(ctx, q)
			if err == nil {
				t.Fatalf("accepted")
			}
			// load_extension is not even compiled in; system tables may be refused by SQLite itself.
			if !errors.Is(err, cinch.ErrQueryRejected) && !strings.Contains(q, "sqlite_") && !strings.Contains(q, "__cinch") && !strings.Contains(q, "load_extension") {
				t.Fatalf("error %v (code %s), want ErrQueryRejected", err, cinch.Code(err))
			}
			if !errors.Is(err, cinch.ErrQueryRejected) && !errors.Is(err, cinch.ErrInvalidInput) {
				t.Fatalf("error %v (code %s), want ErrQueryRejected or ErrInvalidInput", err, cinch.Code(err))
			}
		})
	}
	if engFileExists(outside) {
		t.Errorf("a rejected statement created %s", outside)
	}
	t.Run("DDL error points to the schema commands", func(t *testing.T) {
		_, err := db.Query(ctx, "CREATE TABLE z (a)")
		if err == nil || !strings.Contains(err.Error(), "column") || !strings.Contains(err.Error(), "table") {
			t.Errorf("error %v should point to the table/column commands", err)
		}
	})
	// After all those, the tenant is unchanged and still usable.
	if got := len(engMustQuery(t, db, "SELECT * FROM users").Rows); got != 1 {
		t.Errorf("rows = %d, want 1", got)
	}
	if got, want := engFileVersion(t, engTenantFile(f.dir, "main")), 1; got != want {
		t.Errorf("user_version = %d, want %d", got, want)
	}

	accepted := []string{
		"SELECT * FROM users",
		"WITH x AS (SELECT name FROM users) SELECT * FROM x",
		"WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM c WHERE n < 5) SELECT n FROM c",
		"EXPLAIN SELECT * FROM users",
		"EXPLAIN QUERY PLAN SELECT * FROM users",
		"INSERT INTO users (name) SELECT name || '2' FROM users",
		"UPDATE users SET name = upper(name)",
		"DELETE FROM users WHERE name = 'nobody'",
		"INSERT INTO users (name) VALUES ('c') RETURNING id",
		"VACUUM",
		"ANALYZE",
		"PRAGMA integrity_check",
		"PRAGMA quick_check",
		"PRAGMA foreign_key_check",
		"PRAGMA table_info(users)",
		"PRAGMA journal_mode",
		"PRAGMA user_version",
		"PRAGMA optimize",
		"SELECT * FROM pragma_table_info('users')",
		"SELECT 1; -- trailing comment",
		"SELECT 1;",
		"SELECT name FROM sqlite_schema",
	}
	for _, q := range accepted {
		t.Run("accept "+q, func(t *testing.T) {
			if _, err := db.Query(ctx, q); err != nil {
				t.Fatalf("rejected: %v", err)
			}
		})
	}
	if got, want := engDump(t, db, "PRAGMA journal_mode")[0]["journal_mode"], "wal"; got != want {
		t.Errorf("journal_mode = %v, want %v", got, want)
	}
	t.Run("lazy tenant uses the same guard", func(t *testing.T) {
		engMustCreateTenant(t, db, "lazy", true)
		lazy := db.WithTenant("lazy")
		// VACUUM INTO last: SQLite authorizes its ATTACH only when it runs,
		// so on a lazy tenant it is refused after the file was created.
		for _, q := range []string{"CREATE TABLE z (a)", "ATTACH '" + outside + "' AS x", "PRAGMA writable_schema=ON", "SELECT 1; SELECT 2", "VACUUM INTO '" + outside + "'"} {
			_, err := lazy.Query(ctx, q)
			if !errors.Is(err, cinch.ErrQueryRejected) {
				t.Errorf("%s on a lazy tenant = %v, want ErrQueryRejected", q, err)
			}
			if engFileExists(engTenantFile(f.dir, "lazy")) && !strings.HasPrefix(q, "VACUUM") {
				t.Errorf("%s on a lazy tenant created its file", q)
			}
		}
		if engFileExists(outside) {
			t.Errorf("a rejected statement created %s", outside)
		}
		if _, err := lazy.Query(ctx, "SELECT * FROM users"); err != nil {
			t.Errorf("read on lazy: %v", err)
		}
	})
}

func TestDB_SQLDB(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := engNewFixture(t, local.Config{})
	engMustChange(t)(f.db.Tables().Create(ctx, "users", engCols(t, "name:TEXT", "active:BOOLEAN:default=false")))
	engMustCreateTenant(t, f.db, "lazy", true)
	tdb := f.db.WithTenant("lazy")
	sdb, err := tdb.SQLDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	if !engFileExists(engTenantFile(f.dir, "lazy")) {
		t.Fatalf("SQLDB did not materialize the lazy tenant")
	}
	outside := filepath.Join(t.TempDir(), "evil.db")
	for _, q := range []string{
		"CREATE TABLE z (a)", "DROP TABLE users", "ALTER TABLE users ADD COLUMN x TEXT",
		"ATTACH '" + outside + "' AS x", "/**/aTTach '" + outside + "' as x",
		"VACUUM INTO '" + outside + "'", "PRAGMA writable_schema=ON", "PRAGMA journal_mode=DELETE",
	} {
		_, err := sdb.ExecContext(ctx, q)
		if err == nil || !local.IsQueryRejected(err) {
			t.Errorf("SQLDB %s = %v, want a rejection", q, err)
		}
	}
	if engFileExists(outside) {
		t.Errorf("a rejected statement created %s", outside)
	}
	// VACUUM attaches a scratch database while it runs, which the guard can
	// tell from a user's ATTACH only on cinch's own connections (it knows
	// when a statement is prepared and when it runs); through database/sql
	// it is refused, and runs through DB.Query instead.
	if _, err := sdb.ExecContext(ctx, "VACUUM"); err == nil || !local.IsQueryRejected(err) {
		t.Errorf("SQLDB VACUUM = %v, want a rejection", err)
	}
	for _, q := range []string{"ANALYZE", "PRAGMA integrity_check", "INSERT INTO users (name) SELECT 'x' WHERE 0"} {
		if _, err := sdb.ExecContext(ctx, q); err != nil {
			t.Errorf("SQLDB %s: %v", q, err)
		}
	}
	t.Run("transactions", func(t *testing.T) {
		tx, err := sdb.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO users (name) VALUES (?)", "in-tx"); err != nil {
			t.Fatal(err)
		}
		if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
		tx, err = sdb.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []string{"a", "b"} {
			if _, err := tx.ExecContext(ctx, "INSERT INTO users (name) VALUES (?)", n); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := sdb.QueryRowContext(ctx, "SELECT count(*) FROM users").Scan(&n); err != nil || n != 2 {
			t.Errorf("count = %d, %v; want 2", n, err)
		}
		// The engine sees the rows, with automatic columns filled.
		res := engMustQuery(t, tdb, "SELECT name, active, id IS NOT NULL AS has_id FROM users ORDER BY name")
		want := []cinch.Record{{"name": "a", "active": false, "has_id": int64(1)}, {"name": "b", "active": false, "has_id": int64(1)}}
		if diff := cmp.Diff(want, res.Records()); diff != "" {
			t.Errorf("rows (-want +got):\n%s", diff)
		}
	})
	t.Run("schema changes reach it", func(t *testing.T) {
		engMustChange(t)(f.db.Columns().Add(ctx, "users", engMustCol(t, "phone:TEXT")))
		if _, err := sdb.ExecContext(ctx, "UPDATE users SET phone = '1'"); err != nil {
			t.Errorf("after add column: %v", err)
		}
	})
}

// ---- 9. tenants ----

func TestTenantService_CreateAndNames(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := engNewFixture(t, local.Config{})
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
	f := engNewFixture(t, local.Config{})
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
	f := engNewFixture(t, local.Config{})
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

func TestPool_MaxOpenTenants(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := engNewFixture(t, local.Config{MaxOpenTenants: 4, ReadersPerTenant: 1})
	engMustChange(t)(f.db.Tables().Create(ctx, "items", engCols(t, "n:INTEGER")))
	const n = 50
	for i := range n {
		engMustCreateTenant(t, f.db, fmt.Sprintf("t%02d", i), i%2 == 1)
	}
	for round := range 2 {
		for i := range n {
			db := f.db.WithTenant(fmt.Sprintf("t%02d", i))
			engMustInsert(t, db, "items", cinch.Record{"n": i})
			if got := len(engMustQuery(t, db, "SELECT * FROM items").Rows); got != round+1 {
				t.Fatalf("t%02d round %d: %d rows", i, round, got)
			}
		}
		engMustChange(t)(f.db.Columns().Add(ctx, "items", engMustCol(t, fmt.Sprintf("c%d:TEXT", round))))
	}
	// Many goroutines over many tenants with a tiny pool.
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db := f.db.WithTenant(fmt.Sprintf("t%02d", i))
			if _, err := db.Insert(ctx, "items", cinch.Record{"n": i, "c1": "x"}); err != nil {
				errs <- err
				return
			}
			if _, err := db.Query(ctx, "SELECT * FROM items"); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	engCheckConverged(t, f.db, f.dir)
}
