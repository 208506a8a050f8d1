package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/schema"
	"github.com/cinchdb/cinch/sqlite"
	"github.com/ncruces/go-sqlite3"
)

// guardTenant is a real tenant file in its own temporary directory.
type guardTenant struct {
	conn *sqlite.Conn
	dir  string
	path string
}

// guardTable is a cinch table as the schema commands would create it.
var guardTable = &schema.Table{Name: "t", Columns: []cinch.Column{
	{Name: "name", Type: cinch.TypeText, Nullable: true},
	{Name: "n", Type: cinch.TypeInteger, Nullable: true},
	{Name: "flag", Type: cinch.TypeBoolean, Nullable: true},
}}

// newGuardTenant opens a fresh tenant file with table t (plus its index, view
// and updated_at trigger), a system table __kv, and a few rows.
func newGuardTenant(tb testing.TB) *guardTenant {
	tb.Helper()
	dir := tb.TempDir()
	path := filepath.Join(dir, "acme.db")
	c, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	ddl := []string{
		schema.CreateTableSQL(guardTable, "t"),
		schema.TriggerSQL("t"),
		schema.IndexSQL(cinch.IndexInfo{Name: "idx_t_name", Table: "t", Columns: []string{"name"}}),
		schema.ViewSQL("v_t", "SELECT id, name FROM t"),
		`CREATE TABLE "__kv" (k TEXT PRIMARY KEY, v TEXT)`,
		`INSERT INTO "__kv" VALUES ('schema', 'v1')`,
		`INSERT INTO t (id, name, n, flag) VALUES ('r1', 'alice', 1, 1), ('r2', 'bob', 2, 0), ('r3', NULL, NULL, NULL)`,
	}
	for _, s := range ddl {
		if err := c.Exec(s); err != nil {
			tb.Fatalf("setup %q: %v", s, err)
		}
	}
	return &guardTenant{conn: c, dir: dir, path: path}
}

// snapshot reads, through an independent connection, everything the guard
// promises to keep: the schema (sqlite_stat* aside: ANALYZE is allowed),
// user_version, journal mode, and the __kv system table's rows.
func guardSnapshot(tb testing.TB, path string) string {
	tb.Helper()
	db, err := sqlite3.Open(sqlite.FileURI(path))
	if err != nil {
		tb.Fatalf("snapshot open: %v", err)
	}
	defer db.Close()
	var b strings.Builder
	for _, q := range []string{
		`SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_stat%' ORDER BY type, name`,
		`PRAGMA user_version`,
		`PRAGMA journal_mode`,
		`PRAGMA application_id`,
		`SELECT k, v FROM "__kv" ORDER BY k`,
	} {
		s, _, err := db.Prepare(q)
		if err != nil {
			tb.Fatalf("snapshot %q: %v", q, err)
		}
		for s.Step() {
			for i := range s.ColumnCount() {
				fmt.Fprintf(&b, "%q|", s.ColumnText(i))
			}
			b.WriteString("\n")
		}
		if err := s.Err(); err != nil {
			tb.Fatalf("snapshot %q: %v", q, err)
		}
		s.Close()
	}
	return b.String()
}

// files lists a directory's entries.
func dirFiles(tb testing.TB, dir string) []string {
	tb.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// attached lists the databases attached to c with a file behind them
// (other than main): what ATTACH must never produce.
func attachedFiles(tb testing.TB, c *sqlite.Conn) []string {
	tb.Helper()
	var out []string
	err := c.System(func() error {
		s, _, err := sqlite.RawConn(c).Prepare("PRAGMA database_list")
		if err != nil {
			return err
		}
		defer s.Close()
		for s.Step() {
			if name, file := s.ColumnText(1), s.ColumnText(2); name != "main" && name != "temp" && file != "" {
				out = append(out, name+"="+file)
			}
		}
		return s.Err()
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func gQuery(c *sqlite.Conn, sql string, params ...any) (*cinch.Result, error) {
	return c.Query(context.Background(), cinch.QueryOptions{}, sql, params...)
}

func TestGuardAllows(t *testing.T) {
	cases := []struct {
		sql    string
		params []any
		check  func(t *testing.T, r *cinch.Result)
	}{
		{sql: "SELECT * FROM t", check: wantRows(3)},
		{sql: "select name from t where n = ?", params: []any{1}, check: wantRows(1)},
		{sql: "SELECT 1"},
		{sql: "SELECT 1;"},
		{sql: "SELECT 1; -- trailing comment"},
		{sql: "SELECT 1 /* c */ ; /* another */"},
		{sql: "  \n\tSELECT 1\n"},
		{sql: "WITH c AS (SELECT name FROM t) SELECT * FROM c", check: wantRows(3)},
		{sql: "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 10) SELECT sum(x) AS s FROM c",
			check: func(t *testing.T, r *cinch.Result) {
				if len(r.Rows) != 1 || r.Value(0, "s") != int64(55) {
					t.Errorf("recursive CTE: %v", r.Rows)
				}
			}},
		{sql: "EXPLAIN SELECT * FROM t"},
		{sql: "EXPLAIN QUERY PLAN SELECT * FROM t WHERE name = 'x'"},
		{sql: "SELECT * FROM v_t", check: wantRows(3)},
		{sql: "INSERT INTO t (name, n) VALUES ('carol', 3)", check: wantAffected(1)},
		{sql: "INSERT INTO t (name) VALUES (?), (?)", params: []any{"d", "e"}, check: wantAffected(2)},
		{sql: "INSERT INTO t (name, n) VALUES ('f', 4) RETURNING id, name", check: wantRows(1)},
		{sql: "UPDATE t SET name = 'x' WHERE n = 1", check: wantAffected(1)},
		{sql: "DELETE FROM t WHERE n = 2", check: wantAffected(1)},
		{sql: "INSERT INTO t (name, n) SELECT name || '2', n FROM t WHERE name IS NOT NULL", check: wantAffected(2)},
		{sql: "WITH c AS (SELECT 'z' AS n) INSERT INTO t (name) SELECT n FROM c", check: wantAffected(1)},
		{sql: "REPLACE INTO t (id, name) VALUES ('r1', 'alice2')"},
		{sql: "VACUUM"},
		{sql: "vacuum main"},
		{sql: "ANALYZE"},
		{sql: "ANALYZE t"},
		{sql: "REINDEX"},
		{sql: "PRAGMA integrity_check", check: wantRows(1)},
		{sql: "PRAGMA quick_check"},
		{sql: "PRAGMA main.integrity_check"},
		{sql: "PRAGMA table_info(t)", check: wantRows(6)},
		{sql: "PRAGMA table_xinfo('t')"},
		{sql: "PRAGMA index_list(t)"},
		{sql: "PRAGMA foreign_key_check"},
		{sql: "PRAGMA foreign_key_list(t)"},
		{sql: "PRAGMA user_version", check: wantRows(1)},
		{sql: "PRAGMA main.user_version"},
		{sql: "PRAGMA journal_mode"},
		{sql: "PRAGMA foreign_keys"},
		{sql: "PRAGMA synchronous"},
		{sql: "PRAGMA page_count"},
		{sql: "PRAGMA optimize"},
		{sql: "SELECT * FROM pragma_table_info('t')", check: wantRows(6)},
		{sql: "SELECT name FROM pragma_table_info('t') WHERE pk = 1", check: wantRows(1)},
		{sql: "SELECT name, sql FROM sqlite_schema"},
		{sql: "SELECT * FROM __kv", check: wantRows(1)},
	}
	for _, tc := range cases {
		t.Run(tc.sql, func(t *testing.T) {
			tn := newGuardTenant(t)
			r, err := gQuery(tn.conn, tc.sql, tc.params...)
			if err != nil {
				t.Fatalf("%q refused: %v", tc.sql, err)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

func wantRows(n int) func(*testing.T, *cinch.Result) {
	return func(t *testing.T, r *cinch.Result) {
		t.Helper()
		if len(r.Rows) != n {
			t.Errorf("got %d rows, want %d: %v", len(r.Rows), n, r.Rows)
		}
	}
}

func wantAffected(n int64) func(*testing.T, *cinch.Result) {
	return func(t *testing.T, r *cinch.Result) {
		t.Helper()
		if r.RowsAffected != n {
			t.Errorf("RowsAffected = %d, want %d", r.RowsAffected, n)
		}
	}
}

// refusedSQL must be refused with ErrQueryRejected. %[1]s is a path in the
// tenant's directory, %[2]s the tenant file itself.
var refusedSQL = []string{
	// DDL
	"CREATE TABLE x (a)",
	"create table x (a)",
	"CrEaTe /**/ TABLE x (a)",
	"CREATE TABLE x AS SELECT * FROM t",
	"CREATE TABLE main.x (a)",
	`CREATE TABLE "x" (a)`,
	"CREATE INDEX i ON t (n)",
	"CREATE UNIQUE INDEX i ON t (n)",
	"CREATE INDEX IF NOT EXISTS i2 ON t (name)",
	"CREATE VIEW v AS SELECT 1",
	"CREATE TRIGGER tr AFTER INSERT ON t BEGIN DELETE FROM t; END",
	"CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO __kv VALUES ('a', 'b'); END",
	"CREATE TEMP TABLE x (a)",
	"CREATE TEMPORARY TABLE x AS SELECT 1",
	"CREATE TEMP VIEW v AS SELECT * FROM t",
	"CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN DELETE FROM t; END",
	"CREATE TABLE temp.x (a)",
	"DROP TABLE t",
	"drop table main.t",
	"DROP TABLE __kv",
	"DROP INDEX idx_t_name",
	"DROP VIEW v_t",
	"DROP TRIGGER __cinch_t_updated_at",
	"ALTER TABLE t ADD COLUMN x TEXT",
	"ALTER TABLE t RENAME TO u",
	"ALTER TABLE t RENAME COLUMN name TO nm",
	"ALTER TABLE t DROP COLUMN n",
	"EXPLAIN DROP TABLE t",
	"EXPLAIN QUERY PLAN CREATE TABLE x (a)",
	// ATTACH / DETACH, many spellings
	"ATTACH '%[1]s' AS x",
	"attach '%[1]s' as x",
	"AtTaCh DaTaBaSe '%[1]s' AS x",
	"ATTACH DATABASE '%[1]s' AS x",
	"ATTACH/**/'%[1]s'/**/AS/**/x",
	" \n\tATTACH\n'%[1]s'\tAS  x ;",
	"ATTACH 'file:%[1]s' AS x",
	"ATTACH 'file:%[1]s?mode=rwc' AS x",
	"ATTACH 'file:%[1]s?mode=ro' AS x",
	"ATTACH '%[2]s' AS self",
	"ATTACH 'other.db' AS x",
	"ATTACH ':memory:' AS m",
	"ATTACH 'file::memory:?cache=shared' AS m",
	"ATTACH 'file:mem?mode=memory' AS m",
	"ATTACH '%[1]s' AS vacuum_x",
	"DETACH main",
	"DETACH DATABASE temp",
	"DETACH x",
	// VACUUM INTO
	"VACUUM INTO '%[1]s'",
	"vacuum  /*x*/ into '%[1]s'",
	"VACUUM main INTO '%[1]s'",
	"VACUUM INTO 'file:%[1]s'",
	"VACUUM INTO '%[1]s' || ''",
	"VACUUM INTO 'copy.db'",
	"VACUUM INTO ':memory:'",
	// pragmas that change schema or durability
	"PRAGMA writable_schema=1",
	"PRAGMA writable_schema = ON",
	"pragma WRITABLE_SCHEMA(1)",
	"PRAGMA main.writable_schema=1",
	"PRAGMA/**/writable_schema=1",
	"PRAGMA writable_schema",
	"PRAGMA journal_mode=DELETE",
	"PRAGMA journal_mode = off",
	"PRAGMA main.journal_mode=MEMORY",
	"PRAGMA synchronous=OFF",
	"PRAGMA synchronous = 0",
	"PRAGMA user_version=5",
	"PRAGMA user_version(5)",
	"PRAGMA main.user_version = 5",
	"PRAGMA schema_version=1",
	"PRAGMA application_id=1",
	"PRAGMA key='x'",
	"PRAGMA rekey='x'",
	"PRAGMA hexkey='00'",
	"PRAGMA foreign_keys=OFF",
	"PRAGMA foreign_keys = 0",
	"PRAGMA trusted_schema=ON",
	"PRAGMA ignore_check_constraints=1",
	"PRAGMA defer_foreign_keys=1",
	"PRAGMA legacy_alter_table=ON",
	"PRAGMA locking_mode=EXCLUSIVE",
	"PRAGMA auto_vacuum=FULL",
	"PRAGMA page_size=1024",
	"PRAGMA max_page_count=1",
	"PRAGMA busy_timeout=0",
	"PRAGMA query_only=1",
	// transactions via Query
	"BEGIN",
	"BEGIN IMMEDIATE",
	"begin exclusive transaction",
	"SAVEPOINT sp",
	// more than one statement
	"SELECT 1; DROP TABLE t",
	"SELECT 1;DROP TABLE t",
	"SELECT 1; SELECT 2",
	"SELECT 1;/**/DROP TABLE t",
	"SELECT 1; -- x\nDROP TABLE t",
	"INSERT INTO t (name) VALUES ('a'); DELETE FROM t",
	"SELECT 1; ATTACH '%[1]s' AS x",
	"SELECT 1; VACUUM INTO '%[1]s'",
	"SELECT 1; PRAGMA writable_schema=1",
	// writes to system tables
	"INSERT INTO __kv VALUES ('a', 'b')",
	`INSERT INTO "__kv" VALUES ('a', 'b')`,
	"INSERT INTO main.__kv VALUES ('a', 'b')",
	"REPLACE INTO __kv VALUES ('schema', 'evil')",
	"INSERT OR REPLACE INTO __kv VALUES ('schema', 'evil')",
	"UPDATE __kv SET v = 'evil'",
	"DELETE FROM __kv",
	"WITH c AS (SELECT 1) DELETE FROM __kv",
	"INSERT INTO __kv SELECT name, name FROM t WHERE name IS NOT NULL",
}

// refusedAnyError must fail (the error class may vary: SQLite refuses some
// of these before the guard sees them) and leave no trace.
var refusedAnyError = []string{
	"COMMIT",
	"ROLLBACK",
	"END",
	"RELEASE sp",
	"WITH c AS (SELECT 1) CREATE TABLE x (a)",                       // DDL hidden in a CTE: not even valid syntax
	"CREATE TRIGGER tr AFTER INSERT ON t BEGIN DROP TABLE t; END",   // DDL in a trigger body
	"SELECT load_extension('x')",                                    // not compiled in: "no such function"
	"SELECT load_extension('%[1]s', 'sqlite3_extension_init')",      //
	"CREATE VIRTUAL TABLE x USING fts5(a)",                          //
	"CREATE VIRTUAL TABLE temp.x USING fts5(a)",                     //
	"UPDATE sqlite_schema SET sql = 'CREATE TABLE t (a)'",           // SQLite refuses
	"DELETE FROM sqlite_master",                                     //
	"INSERT INTO sqlite_master VALUES ('table','x','x',0,'CREATE')", //
	"",
	"   ",
	"-- only a comment",
	";",
	"SELEKT 1",
}

func TestGuardRefuses(t *testing.T) {
	check := func(t *testing.T, sql string, wantRejected bool) {
		tn := newGuardTenant(t)
		t.Chdir(tn.dir) // relative filenames land where we look
		other := filepath.Join(tn.dir, "other.db")
		q := sql
		if strings.Contains(q, "%[") {
			q = fmt.Sprintf(sql, other, tn.path)
		}
		before := guardSnapshot(t, tn.path)
		beforeFiles := dirFiles(t, tn.dir)
		r, err := gQuery(tn.conn, q)
		if err == nil {
			t.Errorf("%q accepted: %+v", q, r)
		} else if wantRejected && !errors.Is(err, cinch.ErrQueryRejected) {
			t.Errorf("%q: %v (code %s), want ErrQueryRejected", q, err, cinch.Code(err))
		} else if !wantRejected && !errors.Is(err, cinch.ErrQueryRejected) && !errors.Is(err, cinch.ErrInvalidInput) {
			t.Errorf("%q: %v (code %s), want ErrQueryRejected or ErrInvalidInput", q, err, cinch.Code(err))
		}
		if err != nil && strings.TrimSpace(err.Error()) == "" {
			t.Errorf("%q: empty error message", q)
		}
		// The error for DDL points to the schema commands.
		if err != nil && errors.Is(err, cinch.ErrQueryRejected) && strings.Contains(err.Error(), "schema changes") &&
			!strings.Contains(err.Error(), "table, column, view and index commands") {
			t.Errorf("%q: DDL error %q does not point to the schema commands", q, err)
		}
		if after := guardSnapshot(t, tn.path); after != before {
			t.Errorf("%q changed the tenant file:\nbefore:\n%s\nafter:\n%s", q, before, after)
		}
		if got := dirFiles(t, tn.dir); !slices.Equal(got, beforeFiles) {
			t.Errorf("%q changed the directory: %v -> %v", q, beforeFiles, got)
		}
		if a := attachedFiles(t, tn.conn); len(a) > 0 {
			t.Errorf("%q left databases attached: %v", q, a)
		}
		// The connection still works, and the guard is still on.
		if _, err := gQuery(tn.conn, "SELECT count(*) FROM t"); err != nil {
			t.Errorf("after %q: SELECT fails: %v", q, err)
		}
		if _, err := gQuery(tn.conn, "DROP TABLE t"); !errors.Is(err, cinch.ErrQueryRejected) {
			t.Errorf("after %q: DROP TABLE not rejected: %v", q, err)
		}
	}
	for _, sql := range refusedSQL {
		t.Run("rejected/"+sql, func(t *testing.T) { check(t, sql, true) })
	}
	for _, sql := range refusedAnyError {
		t.Run("error/"+sql, func(t *testing.T) { check(t, sql, false) })
	}
}

// TestGuardAttachEmptyFilename documents what the guard does with
// ATTACH ” (a private, temporary database): VACUUM needs it, so the guard
// lets it through. It must not create a file or touch the tenant's schema.
func TestGuardAttachEmptyFilename(t *testing.T) {
	tn := newGuardTenant(t)
	t.Chdir(tn.dir)
	before, beforeFiles := guardSnapshot(t, tn.path), dirFiles(t, tn.dir)
	// An empty filename is what SQLite reports for VACUUM's scratch database
	// and for a non-literal filename; at prepare time it is always refused.
	for _, q := range []string{"ATTACH '' AS x", "ATTACH '' AS vacuum_x", "ATTACH DATABASE '' AS y"} {
		if _, err := gQuery(tn.conn, q); !errors.Is(err, cinch.ErrQueryRejected) {
			t.Errorf("%q: %v, want ErrQueryRejected", q, err)
		}
	}
	// VACUUM itself, which attaches '' while it runs, still works.
	if _, err := gQuery(tn.conn, "VACUUM"); err != nil {
		t.Errorf("VACUUM: %v", err)
	}
	if after := guardSnapshot(t, tn.path); after != before {
		t.Errorf("ATTACH '' changed the tenant file:\n%s\n%s", before, after)
	}
	if got := dirFiles(t, tn.dir); !slices.Equal(got, beforeFiles) {
		t.Errorf("ATTACH '' changed the directory: %v -> %v", beforeFiles, got)
	}
}

// TestGuardAttachExpression: the authorizer is given the ATTACH filename only
// when it is a string literal; for any other expression SQLite passes NULL,
// which the Go binding turns into "", which the guard allows as VACUUM's
// scratch database. So a query can attach (and create, read, write) any file.
func TestGuardAttachExpression(t *testing.T) {
	cases := []struct {
		sql    string
		params []any
	}{
		{"ATTACH '%s' || '' AS x", nil},
		{"ATTACH ? AS x", []any{"%s"}},
		{"ATTACH (SELECT '%s') AS x", nil},
		{"ATTACH CAST('%s' AS TEXT) AS x", nil},
		{"ATTACH DATABASE trim(' %s ') AS x", nil},
	}
	var bugs []string
	for _, tc := range cases {
		tn := newGuardTenant(t)
		victim := newGuardTenant(t) // another tenant's file
		victimBefore := guardSnapshot(t, victim.path)
		q := tc.sql
		if strings.Contains(q, "%s") {
			q = fmt.Sprintf(q, victim.path)
		}
		params := slices.Clone(tc.params)
		for i, p := range params {
			params[i] = fmt.Sprintf(p.(string), victim.path)
		}
		_, err := gQuery(tn.conn, q, params...)
		if err == nil {
			// Prove the damage: read and write the other tenant.
			r, rerr := gQuery(tn.conn, "SELECT v FROM x.__kv")
			_, werr := gQuery(tn.conn, "UPDATE x.t SET name = 'pwned'")
			bugs = append(bugs, fmt.Sprintf("%q accepted (read other tenant: %v %v; write other tenant: %v)", q, resultRows(r), rerr, werr))
			if len(attachedFiles(t, tn.conn)) == 0 {
				t.Errorf("%q accepted but nothing attached?", q)
			}
			continue
		}
		if !errors.Is(err, cinch.ErrQueryRejected) {
			t.Errorf("%q: %v, want ErrQueryRejected", q, err)
		}
		if guardSnapshot(t, victim.path) != victimBefore {
			t.Errorf("%q changed another tenant", q)
		}
	}
	if len(bugs) > 0 {
		t.Fatalf("regression (sqlite/guard.go AUTH_ATTACH): ATTACH with a non-literal filename bypasses the guard "+
			"(SQLite passes a NULL filename to the authorizer, seen as \"\" and allowed as VACUUM's scratch db):\n  %s",
			strings.Join(bugs, "\n  "))
	}
}

func resultRows(r *cinch.Result) any {
	if r == nil {
		return nil
	}
	return r.Rows
}

// TestGuardStaleDenial: a multi-statement rejection whose second statement
// the guard denied leaves Guard.Denied set; the next runtime error of a
// cached statement is then reported as that stale rejection.
func TestGuardStaleDenial(t *testing.T) {
	tn := newGuardTenant(t)
	ins := "INSERT INTO t (id, name) VALUES ('dup', 'x')"
	if _, err := gQuery(tn.conn, ins); err != nil {
		t.Fatal(err)
	}
	_, err := gQuery(tn.conn, ins)
	if !errors.Is(err, cinch.ErrConstraint) {
		t.Fatalf("duplicate id: %v, want ErrConstraint", err)
	}
	if _, err := gQuery(tn.conn, "SELECT 1; DROP TABLE t"); !errors.Is(err, cinch.ErrQueryRejected) {
		t.Fatalf("two statements: %v", err)
	}
	_, err = gQuery(tn.conn, ins) // cached statement, fails at step
	if !errors.Is(err, cinch.ErrConstraint) {
		if errors.Is(err, cinch.ErrQueryRejected) {
			t.Fatalf("regression (sqlite/conn.go prepare): stale Guard.Denied after a rejected multi-statement query: "+
				"a later UNIQUE violation of a cached statement is reported as %q (code %s), want constraint_failed", err, cinch.Code(err))
		}
		t.Fatalf("duplicate id after a rejected query: %v, want ErrConstraint", err)
	}
}

func TestQueryReadOnlyOption(t *testing.T) {
	tn := newGuardTenant(t)
	ro := cinch.QueryOptions{ReadOnly: true}
	ctx := context.Background()
	for _, q := range []string{"SELECT * FROM t", "WITH c AS (SELECT 1) SELECT * FROM c", "PRAGMA integrity_check", "EXPLAIN SELECT 1"} {
		if _, err := tn.conn.Query(ctx, ro, q); err != nil {
			t.Errorf("read-only %q: %v", q, err)
		}
	}
	before := guardSnapshot(t, tn.path)
	for _, q := range []string{
		"INSERT INTO t (name) VALUES ('x')", "UPDATE t SET name = 'y'", "DELETE FROM t",
		"WITH c AS (SELECT 1) DELETE FROM t", "INSERT INTO t (name) SELECT name FROM t", "REPLACE INTO t (id) VALUES ('r1')",
	} {
		_, err := tn.conn.Query(ctx, ro, q)
		if !errors.Is(err, cinch.ErrReadOnly) {
			t.Errorf("read-only %q: %v, want ErrReadOnly", q, err)
		}
	}
	if r, err := gQuery(tn.conn, "SELECT count(*) AS n FROM t"); err != nil || r.Value(0, "n") != int64(3) {
		t.Errorf("rows changed under read-only: %v %v", resultRows(r), err)
	}
	if guardSnapshot(t, tn.path) != before {
		t.Error("schema changed under read-only")
	}

	// A connection opened read-only refuses writes too.
	tn.conn.Close()
	c, err := sqlite.Open(ctx, tn.path, sqlite.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := gQuery(c, "SELECT * FROM t"); err != nil {
		t.Errorf("read on read-only connection: %v", err)
	}
	if _, err := gQuery(c, "DROP TABLE t"); !errors.Is(err, cinch.ErrQueryRejected) {
		t.Errorf("DDL on read-only connection: %v, want ErrQueryRejected", err)
	}
	_, err = gQuery(c, "INSERT INTO t (name) VALUES ('x')")
	if untranslated(err, sqlite3.READONLY) {
		t.Fatalf("regression (sqlite/conn.go translate): write on a read-only connection returns the raw driver error %q (code %s), want ErrReadOnly", err, cinch.Code(err))
	}
	if !errors.Is(err, cinch.ErrReadOnly) {
		t.Errorf("write on read-only connection: %v (code %s), want ErrReadOnly", err, cinch.Code(err))
	}
}

func TestQueryLimit(t *testing.T) {
	tn := newGuardTenant(t)
	ctx := context.Background()
	const q = "SELECT value FROM generate_series(1, 10)"
	src := "WITH RECURSIVE c(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM c WHERE value < 10) SELECT value FROM c"
	if _, err := gQuery(tn.conn, q); err != nil {
		t.Logf("generate_series unavailable (%v); using a CTE", err)
	} else {
		src = q
	}
	for _, tc := range []struct {
		limit     int
		rows      int
		truncated bool
	}{{0, 10, false}, {-1, 10, false}, {1, 1, true}, {3, 3, true}, {9, 9, true}, {10, 10, false}, {11, 10, false}} {
		r, err := tn.conn.Query(ctx, cinch.QueryOptions{Limit: tc.limit}, src)
		if err != nil {
			t.Fatalf("limit %d: %v", tc.limit, err)
		}
		if len(r.Rows) != tc.rows || r.Truncated != tc.truncated {
			t.Errorf("limit %d: %d rows, truncated=%v; want %d, %v", tc.limit, len(r.Rows), r.Truncated, tc.rows, tc.truncated)
		}
		for i, row := range r.Records() {
			if row["value"] != int64(i+1) {
				t.Errorf("limit %d: row %d = %v", tc.limit, i, row)
			}
		}
	}
	// A limited result does not leave the statement half-run for the next caller.
	r, err := tn.conn.Query(ctx, cinch.QueryOptions{}, src)
	if err != nil || len(r.Rows) != 10 {
		t.Errorf("after a limited run: %d rows, %v", len(r.Rows), err)
	}
}

func TestQueryBoolean(t *testing.T) {
	tn := newGuardTenant(t)
	r, err := gQuery(tn.conn, "SELECT id, flag, flag + 0 AS raw, n FROM t ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Columns, []string{"id", "flag", "raw", "n"}) {
		t.Errorf("columns %v", r.Columns)
	}
	want := []cinch.Record{
		{"id": "r1", "flag": true, "raw": int64(1), "n": int64(1)},
		{"id": "r2", "flag": false, "raw": int64(0), "n": int64(2)},
		{"id": "r3", "flag": nil, "raw": nil, "n": nil},
	}
	if fmt.Sprint(r.Records()) != fmt.Sprint(want) {
		t.Errorf("rows %v, want %v", r.Rows, want)
	}
	for i, row := range r.Records() {
		for k, v := range want[i] {
			if fmt.Sprintf("%T", row[k]) != fmt.Sprintf("%T", v) {
				t.Errorf("row %d %s: %T, want %T", i, k, row[k], v)
			}
		}
	}
	// Through a view and with a bool parameter.
	if _, err := gQuery(tn.conn, "UPDATE t SET flag = ? WHERE id = 'r2'", true); err != nil {
		t.Fatal(err)
	}
	r, err = gQuery(tn.conn, "SELECT flag FROM t WHERE id = ?", "r2")
	if err != nil || len(r.Rows) != 1 || r.Value(0, "flag") != true {
		t.Errorf("bool param: %v %v", resultRows(r), err)
	}
	// The CHECK keeps BOOLEAN to 0/1.
	if _, err := gQuery(tn.conn, "UPDATE t SET flag = 2 WHERE id = 'r1'"); !errors.Is(err, cinch.ErrConstraint) {
		t.Errorf("flag = 2: %v, want ErrConstraint", err)
	}
}

func TestQueryParams(t *testing.T) {
	tn := newGuardTenant(t)
	for _, tc := range []struct {
		sql    string
		params []any
	}{
		{"SELECT ?", nil},
		{"SELECT ?", []any{1, 2}},
		{"SELECT ?, ?", []any{1}},
		{"SELECT * FROM t", []any{1}},
		{"SELECT ?1, ?1", []any{1, 2}},
		{"SELECT :a", nil},
		{"SELECT ?", []any{struct{}{}}},
		{"SELECT ?", []any{uint64(1 << 63)}},
		{"SELECT ?", []any{map[string]any{}}},
	} {
		_, err := gQuery(tn.conn, tc.sql, tc.params...)
		if !errors.Is(err, cinch.ErrInvalidInput) {
			t.Errorf("%q %v: %v, want ErrInvalidInput", tc.sql, tc.params, err)
		} else if !strings.Contains(err.Error(), "param") {
			t.Errorf("%q %v: message %q does not mention the parameters", tc.sql, tc.params, err)
		}
	}
	r, err := gQuery(tn.conn, "SELECT ? AS a, ? AS b, ? AS c, ? AS d, ? AS e, ?1 AS f", int64(7), "s", 1.5, []byte{1, 2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	row := r.Record(0)
	if row["a"] != int64(7) || row["b"] != "s" || row["c"] != 1.5 || fmt.Sprint(row["d"]) != "[1 2]" || row["e"] != nil || row["f"] != int64(7) {
		t.Errorf("bound values came back as %v", row)
	}
}

// TestQueryCancel: a context canceled before the call interrupts a query
// that would otherwise run for a very long time.
func TestQueryCancel(t *testing.T) {
	tn := newGuardTenant(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	const long = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000000) SELECT count(*) FROM c"
	_, err := tn.conn.Query(ctx, cinch.QueryOptions{}, long)
	if !errors.Is(err, sqlite3.INTERRUPT) && !errors.Is(err, cinch.ErrCanceled) {
		t.Fatalf("canceled context did not interrupt: %v", err)
	}
	bug := untranslated(err, sqlite3.INTERRUPT)
	if !bug && !errors.Is(err, cinch.ErrCanceled) {
		t.Fatalf("canceled context: %v (code %s), want ErrCanceled", err, cinch.Code(err))
	}
	// The connection is usable afterwards with a live context.
	if r, err := gQuery(tn.conn, "SELECT count(*) AS n FROM t"); err != nil || r.Value(0, "n") != int64(3) {
		t.Errorf("after cancel: %v %v", resultRows(r), err)
	}
	// A write under a canceled context leaves no change behind.
	_, err = tn.conn.Query(ctx, cinch.QueryOptions{}, "INSERT INTO t (name) SELECT 'x' FROM ("+long+")")
	if !errors.Is(err, cinch.ErrCanceled) && !untranslated(err, sqlite3.INTERRUPT) {
		t.Errorf("canceled write: %v", err)
	}
	if r, _ := gQuery(tn.conn, "SELECT count(*) AS n FROM t"); r.Value(0, "n") != int64(3) {
		t.Errorf("canceled write left rows: %v", r.Rows)
	}
	if bug {
		t.Fatalf("regression (sqlite/conn.go translate): an interrupted query returns the raw driver error %q (code %s), want ErrCanceled", err, cinch.Code(err))
	}
}

// untranslated reports the translate bug: when SQLite's message is its
// default text, the driver returns a bare error code rather than a
// *sqlite3.Error, and translate passes it through unmapped ("internal").
func untranslated(err error, code sqlite3.ErrorCode) bool {
	return err != nil && errors.Is(err, code) && cinch.Code(err) == "internal"
}

// TestQueryBusy: a writer blocked past the busy timeout gets ErrBusy.
func TestQueryBusy(t *testing.T) {
	tn := newGuardTenant(t)
	other, err := sqlite.Open(context.Background(), tn.path, sqlite.Options{BusyTimeout: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := tn.conn.Begin(); err != nil {
		t.Fatal(err)
	}
	defer tn.conn.Rollback()
	_, err = gQuery(other, "INSERT INTO t (name) VALUES ('x')")
	if untranslated(err, sqlite3.BUSY) {
		t.Fatalf("regression (sqlite/conn.go translate): busy timeout returns the raw driver error %q (code %s), want ErrBusy", err, cinch.Code(err))
	}
	if !errors.Is(err, cinch.ErrBusy) {
		t.Fatalf("blocked writer: %v (code %s), want ErrBusy", err, cinch.Code(err))
	}
}

func TestQueryResultShape(t *testing.T) {
	tn := newGuardTenant(t)
	r, err := gQuery(tn.conn, "SELECT * FROM t WHERE 0")
	if err != nil {
		t.Fatal(err)
	}
	if r.Rows == nil || len(r.Rows) != 0 {
		t.Errorf("empty result rows = %#v, want empty non-nil", r.Rows)
	}
	if !slices.Equal(r.Columns, []string{"id", "created_at", "updated_at", "name", "n", "flag"}) {
		t.Errorf("columns %v", r.Columns)
	}
	if r, err = gQuery(tn.conn, "SELECT * FROM t"); err != nil || r.RowsAffected != 0 {
		t.Errorf("SELECT RowsAffected = %v, %v", r.RowsAffected, err)
	}
	// updated_at moves on update (the trigger runs under the guard).
	if _, err := gQuery(tn.conn, "UPDATE t SET updated_at = '2000-01-01T00:00:00.000Z'"); err != nil {
		t.Fatal(err)
	}
	if _, err := gQuery(tn.conn, "UPDATE t SET name = 'z' WHERE id = 'r1'"); err != nil {
		t.Fatal(err)
	}
	r, err = gQuery(tn.conn, "SELECT updated_at FROM t WHERE id = 'r1'")
	if err != nil || r.Value(0, "updated_at") == "2000-01-01T00:00:00.000Z" {
		t.Errorf("updated_at did not move: %v %v", resultRows(r), err)
	}
}
