package sqlite_test

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/sqlite"
)

// readerSeeds are statements for FuzzReader: ones a Reader answers, and
// ones that reach beyond the attached file, which it must notice.
var readerSeeds = []string{
	"SELECT * FROM t ORDER BY id",
	"SELECT count(*) FROM t",
	"SELECT count(*) FROM T, V",
	"SELECT name, flag FROM t WHERE flag ORDER BY name",
	"SELECT * FROM v",
	"SELECT 1",
	"SELECT changes(), total_changes(), last_insert_rowid()",
	"SELECT count(*) FROM sqlite_schema",
	"SELECT (SELECT count(*) FROM sqlite_master), count(*) FROM t",
	"SELECT count(*) FROM sqlite_temp_master",
	"SELECT name FROM sqlite_schema",
	"SELECT * FROM main.t",
	"SELECT * FROM temp.sqlite_schema",
	"SELECT * FROM cinch_reader_file.t",
	"SELECT * FROM Cinch_Reader_File.sqlite_schema",
	"PRAGMA user_version",
	"PRAGMA table_info(t)",
	"PRAGMA database_list",
	"SELECT * FROM pragma_table_list",
	"SELECT count(*) FROM pragma_database_list",
	"SELECT count(*) FROM json_each('[1]')",
	"SELECT count(*) FROM dbstat",
	"EXPLAIN SELECT * FROM t",
	"EXPLAIN QUERY PLAN SELECT * FROM t WHERE name = 'a'",
	"WITH sqlite_schema AS (SELECT 1) SELECT count(*) FROM sqlite_schema",
	"WITH x AS (SELECT * FROM t) SELECT count(*) FROM x",
	"SELECT * FROM nosuch",
	"DELETE FROM t",
	"SELECT sqlite_version() IS NOT NULL",
}

// readerFile makes a tenant-like file: t (id, name, flag BOOLEAN) with
// rows, an index, a view v, user_version 7.
func readerFile(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tenant.db")
	c, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, flag BOOLEAN);
		CREATE INDEX t_name ON t (name);
		CREATE VIEW v AS SELECT name FROM t WHERE flag;
		INSERT INTO t (name, flag) VALUES ('a', 1), ('b', 0), ('c', 1);
		PRAGMA user_version = 7;`); err != nil {
		t.Fatal(err)
	}
	if err := c.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	return path
}

// collected is what a statement answered.
type collected struct {
	cols []string
	rows [][]any
}

func (c *collected) WriteColumns(names []string) error { c.cols = names; return nil }
func (c *collected) WriteRow(values []any) error       { c.rows = append(c.rows, values); return nil }

// FuzzReader: whatever the statement, a Reader either says it reached
// beyond the attached file (foreign: the caller reads the file on its own
// connection) or answers exactly what a connection of the file's own
// answers: columns, rows, truncation. The Reader stays usable, with
// nothing left attached, and a wrong user_version is reported as behind.
func FuzzReader(f *testing.F) {
	for _, s := range readerSeeds {
		f.Add(s)
	}
	path := readerFile(f)
	r, err := sqlite.OpenReader(context.Background(), sqlite.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { r.Close() })
	own, err := sqlite.Open(context.Background(), path, sqlite.Options{ReadOnly: true, Immutable: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { own.Close() })
	opts := cinch.QueryOptions{ReadOnly: true, Limit: 50}
	f.Fuzz(func(t *testing.T, sql string) {
		if r.Broken() {
			r, err = sqlite.OpenReader(context.Background(), sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		var got collected
		res, behind, foreign, err := r.QueryTo(ctx, path, 7, opts, &got, sql)
		if behind || err != nil {
			t.Fatalf("%q: behind %v, err %v: want neither", sql, behind, err)
		}
		if !foreign {
			var want collected
			var wres *cinch.Result
			werr := own.Do(func() (err error) {
				wres, err = own.QueryTo(ctx, opts, &want, sql)
				return err
			})
			if own.Broken() {
				own, _ = sqlite.Open(context.Background(), path, sqlite.Options{ReadOnly: true, Immutable: true})
			}
			if werr != nil {
				t.Fatalf("%q: a Reader answered %v %v, the file's own connection fails: %v", sql, got.cols, got.rows, werr)
			}
			if !reflect.DeepEqual(got, want) || res.Truncated != wres.Truncated {
				t.Fatalf("%q: a Reader answered %v %v (truncated %v), the file's own connection %v %v (%v)",
					sql, got.cols, got.rows, res.Truncated, want.cols, want.rows, wres.Truncated)
			}
		}
		// Still usable, the file detached, the version checked.
		if r.Broken() {
			return
		}
		var after collected
		if _, _, foreign, err := r.QueryTo(context.Background(), path, 7, opts, &after, "SELECT count(*) FROM t"); foreign || err != nil ||
			!reflect.DeepEqual(after.rows, [][]any{{int64(3)}}) {
			t.Fatalf("after %q: the Reader answers %v (foreign %v, err %v)", sql, after.rows, foreign, err)
		}
		if _, behind, _, _ := r.QueryTo(context.Background(), path, 8, opts, &after, "SELECT 1"); !behind {
			t.Fatalf("after %q: a file at version 7 read as version 8 is not reported behind", sql)
		}
	})
}

// TestReaderForeignStatements: the statements that must not be answered
// by a Reader are recognized (FuzzReader checks only that what is
// answered is right; this checks the classification itself).
func TestReaderForeignStatements(t *testing.T) {
	path := readerFile(t)
	r, err := sqlite.OpenReader(context.Background(), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, sql := range []string{
		"SELECT count(*) FROM sqlite_schema",
		"SELECT (SELECT count(*) FROM sqlite_master), count(*) FROM t",
		"SELECT count(*) FROM sqlite_temp_master",
		"SELECT * FROM main.t",
		"SELECT * FROM temp.sqlite_schema",
		"SELECT * FROM cinch_reader_file.t",
		"PRAGMA user_version",
		"PRAGMA table_info(t)",
		"SELECT count(*) FROM pragma_database_list",
		"EXPLAIN SELECT * FROM t",
		"EXPLAIN QUERY PLAN SELECT * FROM t",
		"SELECT * FROM nosuch",
	} {
		var got collected
		if _, _, foreign, err := r.QueryTo(context.Background(), path, 7, cinch.QueryOptions{ReadOnly: true}, &got, sql); !foreign || err != nil {
			t.Errorf("%s: foreign %v, err %v: want foreign", sql, foreign, err)
		}
	}
	for _, sql := range []string{"SELECT count(*) FROM t", "SELECT count(*) FROM T, V", "SELECT * FROM v", "SELECT 1"} {
		var got collected
		if _, _, foreign, err := r.QueryTo(context.Background(), path, 7, cinch.QueryOptions{ReadOnly: true}, &got, sql); foreign || err != nil {
			t.Errorf("%s: foreign %v, err %v: want an answer", sql, foreign, err)
		}
	}
}
