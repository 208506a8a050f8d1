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
//
// Every helper more than one test file uses lives here; a helper of one
// file's tests stays beside them. newProject is the one way a test makes a
// project; engOpenProject opens another instance of one.

// engFixture is a test project: its folder, the open project and a DB on
// its main tenant.
type engFixture struct {
	dir string
	p   *local.Project
	db  *local.DB
}

// newProject makes a project and opens it with cfg; it is closed at
// cleanup. The project is made in cfg.Dir when set (a folder the test
// prepared, such as a small disk), else in a fresh temporary folder. A test
// that needs a clock sets cfg.Now.
func newProject(t *testing.T, cfg local.Config) *engFixture {
	t.Helper()
	dir := cfg.Dir
	if dir == "" {
		dir = t.TempDir()
	}
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

// newBranchProject makes a project with table users(name) and tenants
// acme (one row) and wayne (lazy).
func newBranchProject(t *testing.T) (*local.Project, *local.DB) {
	t.Helper()
	ctx := context.Background()
	f := newProject(t, local.Config{})
	p, db := f.p, f.db
	mustChange(t)(db.Tables().Create(ctx, "users", []cinch.Column{mustCol(t, "name:TEXT")}))
	if _, err := db.Tenants().Create(ctx, "acme", cinch.TenantCreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Tenants().Create(ctx, "wayne", cinch.TenantCreateOptions{Lazy: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SwitchTenant("acme").Insert(ctx, "users", cinch.Record{"name": "Alice"}); err != nil {
		t.Fatal(err)
	}
	return p, db
}

func mustCol(t *testing.T, spec string) cinch.Column {
	t.Helper()
	c, err := cinch.ParseColumnSpec(spec)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustChange(t *testing.T) func(cinch.Change, error) cinch.Change {
	return func(c cinch.Change, err error) cinch.Change {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
}

func count(t *testing.T, db cinch.DB, sql string) int64 {
	t.Helper()
	res, err := db.Query(context.Background(), sql)
	if err != nil {
		t.Fatal(err)
	}
	return res.Value(0, "n").(int64)
}
