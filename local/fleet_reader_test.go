package local_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
	"github.com/cinchdb/cinch/sqlite"
)

// fanOutAnswer is one tenant's answer to a statement, as a user sees it.
type fanOutAnswer struct {
	Columns []string
	Rows    [][]any
	Err     string
}

// readerFixture makes items (n, flag, note) with a view and an index on
// tenants t0..t3 (i rows each), a lazy tenant and an encrypted one (key
// "k1", two rows), and closes the project: nothing is open afterwards.
func readerFixture(t *testing.T, wait bool) string {
	t.Helper()
	ctx := context.Background()
	f := newProject(t, local.Config{WaitForRollout: wait})
	engMustChange(t)(f.db.Tables().Create(ctx, "items", engCols(t, "n:INTEGER", "flag:BOOLEAN", "note:TEXT")))
	engMustChange(t)(f.db.Views().Create(ctx, "big", "SELECT n FROM items WHERE n > 1"))
	engMustChange(t)(f.db.Indexes().Create(ctx, cinch.IndexInfo{Table: "items", Columns: []string{"n"}}))
	for i := range 4 {
		name := fmt.Sprintf("t%d", i)
		engMustCreateTenant(t, f.db, name, false)
		for j := range i {
			engMustInsert(t, f.db.WithTenant(name), "items", cinch.Record{"n": j, "flag": j%2 == 0, "note": fmt.Sprintf("%s/%d", name, j)})
		}
	}
	engMustCreateTenant(t, f.db, "lazy", true)
	if _, err := f.db.Tenants().Create(ctx, "enc", cinch.TenantCreateOptions{Encrypt: true, Key: "k1"}); err != nil {
		t.Fatal(err)
	}
	for j := range 2 {
		engMustInsert(t, f.db.WithKey("k1").WithTenant("enc"), "items", cinch.Record{"n": 10 + j, "flag": true})
	}
	if err := f.p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	return f.dir
}

// fanOut runs sql as a fan-out in a fresh instance of the project in dir,
// and reports each tenant's answer and how many tenants a sqlite.Reader
// answered.
func fanOut(t *testing.T, dir, sql string, params ...any) (map[string]fanOutAnswer, int64) {
	t.Helper()
	ctx := context.Background()
	p := engOpenProject(t, dir, local.Config{})
	defer p.Close(ctx)
	db := engConnect(t, p, "main").WithKey("k1")
	before := local.FanOutReaderReads()
	res, err := db.Fleet().Query(ctx, cinch.FanOutOptions{}, sql, params...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	used := local.FanOutReaderReads() - before
	out := map[string]fanOutAnswer{}
	for _, r := range res {
		a := fanOutAnswer{}
		if r.Err != nil {
			a.Err = r.Err.Error()
		} else {
			a.Columns, a.Rows = r.Result.Columns, r.Result.Rows
		}
		out[r.Tenant] = a
	}
	return out, used
}

// oneByOne asks each tenant the normal way (its own handle, read-only),
// in a fresh instance of the project in dir.
func oneByOne(t *testing.T, dir string, tenants []string, sql string, params ...any) map[string]fanOutAnswer {
	t.Helper()
	ctx := context.Background()
	p := engOpenProject(t, dir, local.Config{})
	defer p.Close(ctx)
	db := engConnect(t, p, "main").WithKey("k1")
	out := map[string]fanOutAnswer{}
	for _, name := range tenants {
		res, err := db.WithTenant(name).QueryWith(ctx, cinch.QueryOptions{ReadOnly: true}, sql, params...)
		a := fanOutAnswer{}
		if err != nil {
			a.Err = err.Error()
		} else {
			a.Columns, a.Rows = res.Columns, res.Rows
		}
		out[name] = a
	}
	return out
}

// TestFanOut_ReaderAnswersAsEachTenant: a fan-out over tenants nobody has
// open reads them through one connection per worker (sqlite.Reader,
// which attaches each file in turn), and every tenant's answer is the one
// its own connection gives: rows, column names, BOOLEAN values, errors.
// Statements that would see the Reader's own (empty) main database, or a
// connection's state, are recognized and read the old way: the
// unqualified sqlite_schema, pragmas and pragma functions, main. and
// temp. names, EXPLAIN, the name the Reader attaches files under. A
// tenant with a -wal (another connection has it open), a lazy tenant
// and an encrypted one keep their own paths.
//
// Not parallel: it counts the process's Reader reads.
func TestFanOut_ReaderAnswersAsEachTenant(t *testing.T) {
	ctx := context.Background()
	dir := readerFixture(t, true)
	tenants := []string{"main", "t0", "t1", "t2", "t3", "lazy", "enc"}

	// Another connection (as another process would) holds t2 open with a
	// row only in its WAL.
	other, err := sqlite.Open(ctx, engTenantFile(dir, "t2"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.Exec("PRAGMA wal_autocheckpoint=0; INSERT INTO items(id, created_at, updated_at, n, flag) VALUES ('x', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 99, 1)"); err != nil {
		t.Fatal(err)
	}
	// quiet counts the files a Reader may read: no -wal. t2 has one (the
	// other connection), lazy has no file, enc is encrypted; main keeps the
	// WAL its rollouts left (MigrateWAL) until a connection closes it.
	quiet := func() (n int64) {
		for _, name := range []string{"main", "t0", "t1", "t2", "t3"} {
			if !engFileExists(engTenantFile(dir, name) + "-wal") {
				n++
			}
		}
		return n
	}

	cases := []struct {
		sql    string
		params []any
		reader bool // answered by a Reader on the quiet files
	}{
		{sql: "SELECT count(*) AS c FROM items", reader: true},
		{sql: "SELECT * FROM items ORDER BY n", reader: true},
		{sql: "SELECT n, flag, typeof(flag) FROM items WHERE n >= ? ORDER BY n", params: []any{1}, reader: true},
		{sql: "SELECT n FROM big ORDER BY n", reader: true},
		{sql: "SELECT count(*) FROM items INDEXED BY idx_items_n WHERE n > 0", reader: true},
		{sql: "SELECT changes(), total_changes(), last_insert_rowid()", reader: true},
		{sql: "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3) SELECT x, (SELECT count(*) FROM items) FROM c", reader: true},
		{sql: "SELECT 1 AS one", reader: true},
		{sql: "SELECT name FROM sqlite_schema ORDER BY name"},
		{sql: "SELECT count(*) FROM sqlite_master WHERE type = 'view'"},
		{sql: "SELECT (SELECT count(*) FROM sqlite_schema) AS s, count(*) AS c FROM items"},
		{sql: "SELECT count(*) FROM sqlite_temp_schema"},
		{sql: "SELECT count(*) FROM ITEMS, Big", reader: true},
		{sql: "SELECT count(*) FROM pragma_table_list"},
		{sql: "SELECT count(*) FROM json_each('[1,2,3]')"},
		{sql: "PRAGMA user_version"},
		{sql: "PRAGMA table_info(items)"},
		{sql: "SELECT name FROM pragma_table_info('items') ORDER BY cid"},
		{sql: "SELECT count(*) FROM main.items"},
		{sql: "SELECT count(*) FROM temp.sqlite_schema"},
		{sql: "EXPLAIN QUERY PLAN SELECT * FROM items WHERE n = 1"},
		{sql: "EXPLAIN SELECT count(*) FROM items"},
		{sql: "SELECT count(*) FROM cinch_reader_file.items"},
		{sql: "SELECT count(*) FROM CINCH_READER_FILE.sqlite_schema"},
		{sql: "SELECT * FROM nosuch"},
		{sql: "SELECT value FROM json_each('[1,2]')"},
	}
	for _, tc := range cases {
		quiet := quiet()
		got, used := fanOut(t, dir, tc.sql, tc.params...)
		want := oneByOne(t, dir, tenants, tc.sql, tc.params...)
		for _, name := range tenants {
			if !reflect.DeepEqual(got[name], want[name]) {
				t.Errorf("%s\n  on %s: fan-out gave %+v\n  its own connection gives %+v", tc.sql, name, got[name], want[name])
			}
		}
		switch {
		case tc.reader && used != quiet:
			t.Errorf("%s: a Reader answered %d tenants, want the %d quiet ones", tc.sql, used, quiet)
		case !tc.reader && used != 0:
			t.Errorf("%s: a Reader answered %d tenants, want none (the statement reaches beyond the file)", tc.sql, used)
		}
	}
	if n := len(want(t, dir, "SELECT n FROM items WHERE n = 99", "t2")); n != 1 {
		t.Errorf("t2's row in the other connection's WAL: %d rows", n)
	}
	for _, name := range []string{"t0", "t1", "t3"} {
		for _, companion := range []string{"-wal", "-shm"} {
			if engFileExists(engTenantFile(dir, name) + companion) {
				t.Errorf("%s: %s left behind", name, companion)
			}
		}
	}
	if engFileExists(engTenantFile(dir, "lazy")) {
		t.Error("the fan-out created the lazy tenant's file")
	}
}

// want is the rows of sql on one tenant, read the normal way.
func want(t *testing.T, dir, sql, tenant string) [][]any {
	t.Helper()
	a := oneByOne(t, dir, []string{tenant}, sql)[tenant]
	if a.Err != "" {
		t.Fatalf("%s on %s: %s", sql, tenant, a.Err)
	}
	return a.Rows
}

// TestFanOut_ReaderBehindTenants: tenants at different schema versions.
// After a column add that returned at its commit point, the tenants
// nobody opened are behind: the fan-out catches each up (through the
// pool) and shows the new column; a Reader answers only for the tenants
// already at the branch's version.
//
// Not parallel: it counts the process's Reader reads.
func TestFanOut_ReaderBehindTenants(t *testing.T) {
	ctx := context.Background()
	dir := readerFixture(t, false)
	p := engOpenProject(t, dir, local.Config{})
	db := engConnect(t, p, "main")
	engMustChange(t)(db.Columns().Add(ctx, "items", engMustCol(t, "extra:TEXT")))
	// t0 and t1 are caught up by a read; the others stay behind.
	for _, name := range []string{"t0", "t1"} {
		engMustQuery(t, db.WithTenant(name), "SELECT count(*) FROM items")
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for round, wantReader := range []int64{2, 5} { // then every materialized unencrypted tenant is caught up
		got, used := fanOut(t, dir, "SELECT * FROM items ORDER BY n")
		for name, a := range got {
			if a.Err != "" {
				t.Fatalf("round %d, %s: %s", round, name, a.Err)
			}
			if n := len(a.Columns); n == 0 || a.Columns[n-1] != "extra" {
				t.Errorf("round %d, %s: columns %v, want the added one last", round, name, a.Columns)
			}
		}
		if used != wantReader {
			t.Errorf("round %d: a Reader answered %d tenants, want %d", round, used, wantReader)
		}
	}
}
