package sqlite_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/sqlite"
	"github.com/ncruces/go-sqlite3"
)

// guardSeeds are tricky statements for FuzzGuard (more live in
// testdata/fuzz/FuzzGuard).
var guardSeeds = []string{
	"SELECT * FROM t",
	"INSERT INTO t (name) VALUES ('x')",
	"UPDATE t SET name = 'y'",
	"DELETE FROM t",
	"VACUUM",
	"ANALYZE",
	"PRAGMA optimize",
	"PRAGMA integrity_check",
	"DROP TABLE t",
	"CREATE TABLE x (a)",
	"CREATE TEMP TABLE x (a)",
	"ALTER TABLE t ADD COLUMN x",
	"ATTACH 'other.db' AS x",
	"ATTACH 'other.db' || '' AS x",
	"ATTACH (SELECT 'other.db') AS x",
	"ATTACH '' AS vacuum_x",
	"VACUUM INTO 'copy.db'",
	"vacuum  /*x*/ into 'copy.db'",
	"VACUUM INTO 'copy' || '.db'",
	"PRAGMA writable_schema=1",
	"PRAGMA journal_mode=DELETE",
	"PRAGMA user_version=5",
	"PRAGMA foreign_keys=OFF",
	"SELECT 1; DROP TABLE t",
	"BEGIN",
	"SAVEPOINT a",
	"INSERT INTO __kv VALUES ('a', 'b')",
	"UPDATE __kv SET v = 'x'",
	"CREATE TRIGGER tr AFTER INSERT ON t BEGIN DELETE FROM __kv; END",
	"SELECT load_extension('x')",
	"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c",
	"SELECT * FROM pragma_table_info('t')",
	"UPDATE sqlite_schema SET sql = ''",
	"REPLACE INTO t (id, name) VALUES ('r1', 'x') RETURNING *",
	// SQLite stops reading at a NUL: the WHERE must not be lost.
	"DELETE FROM t\x00 WHERE name = 'alice'",
	"SELECT 1\x00; DROP TABLE t",
	// Names the driver cannot read back (over 1,000,000 bytes): it panics.
	`SELECT 1 AS "` + strings.Repeat("x", 1<<20) + `"`,
	`SELECT '` + strings.Repeat("x", 1_000_100) + `'`,
	`PRAGMA "` + strings.Repeat("x", 1<<20) + `"`,
}

// FuzzGuard: whatever the statement, Query run as every caller runs it
// (under Conn.Do) does not panic (a driver panic is an ErrInvalidInput and
// a closed connection), the tenant file's schema (and system table) is
// byte-identical afterwards, no file appears next to it or in the working
// directory, and nothing with a file behind it is left attached.
func FuzzGuard(f *testing.F) {
	for _, s := range guardSeeds {
		f.Add(s)
	}
	cwd := f.TempDir()
	f.Fuzz(func(t *testing.T, sql string) {
		// Relative filenames land in cwd, where we look. (Per input, not
		// f.Chdir: the seed corpus under testdata/ is read after this.)
		t.Chdir(cwd)
		tn := newGuardTenant(t)
		raw := sqlite.RawConn(tn.conn)
		raw.Limit(sqlite3.LIMIT_LENGTH, 1<<20) // keep randomblob(1e9) and friends small
		before, beforeFiles, beforeCwd := guardSnapshot(t, tn.path), dirFiles(t, tn.dir), dirFiles(t, cwd)

		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		err := tn.conn.Do(func() error {
			_, err := tn.conn.Query(ctx, cinch.QueryOptions{Limit: 100}, sql)
			return err
		})
		if tn.conn.Broken() {
			if !errors.Is(err, cinch.ErrInvalidInput) {
				t.Fatalf("%.100q: a driver panic gave %v, want ErrInvalidInput", sql, err)
			}
			// Closed by Do: look at the file through a new connection.
			c, oerr := sqlite.Open(context.Background(), tn.path, sqlite.Options{})
			if oerr != nil {
				t.Fatal(oerr)
			}
			t.Cleanup(func() { c.Close() })
			tn.conn = c
		}
		if err != nil {
			var ce *cinch.Error
			if !errors.As(err, &ce) && !untranslated(err, sqlite3.INTERRUPT) && !untranslated(err, sqlite3.BUSY) &&
				!errors.Is(err, cinch.ErrInternal) {
				t.Logf("%q: error outside the vocabulary: %v", sql, err)
			}
		}

		if a := attachedFiles(t, tn.conn); len(a) > 0 {
			// Known: see TestGuardAttachExpression.
			t.Fatalf("regression (sqlite/guard.go AUTH_ATTACH): %q attached %v", sql, a)
		}
		if after := guardSnapshot(t, tn.path); after != before {
			t.Fatalf("%q (err %v) changed the tenant file:\nbefore:\n%s\nafter:\n%s", sql, err, before, after)
		}
		if got := dirFiles(t, tn.dir); !slices.Equal(got, beforeFiles) {
			t.Fatalf("%q (err %v) changed the tenant directory: %v -> %v", sql, err, beforeFiles, got)
		}
		if got := dirFiles(t, cwd); !slices.Equal(got, beforeCwd) {
			t.Fatalf("%q (err %v) created files in the working directory: %v -> %v", sql, err, beforeCwd, got)
		}
		// The guard is still on.
		if _, err := gQuery(tn.conn, "DROP TABLE t"); !errors.Is(err, cinch.ErrQueryRejected) {
			t.Fatalf("after %q the guard no longer refuses DROP TABLE: %v", sql, err)
		}
	})
}

// schemaSeeds are changes.json files for FuzzSchemaApply.
var schemaSeeds = []string{
	`[]`,
	`[{"id":"1","timestamp":"2024-01-01T00:00:00Z","type":"CREATE_TABLE","entity":"users","details":{"table":"users","columns":[{"name":"email","type":"TEXT","nullable":false,"unique":true}]},"sql":["CREATE TABLE users (x)"]}]`,
	`[{"type":"CREATE_TABLE","details":{"table":"orgs","columns":[{"name":"code","type":"TEXT","nullable":true}]}},
	  {"type":"CREATE_TABLE","details":{"table":"users","columns":[{"name":"org","type":"TEXT","nullable":true,"default":"x","foreign_key":{"table":"orgs","column":"code","on_delete":"CASCADE"}}]}},
	  {"type":"COPY_TABLE","details":{"table":"users2","source":"users","no_data":true}},
	  {"type":"RENAME_COLUMN","details":{"table":"orgs","old":"code","new":"key"}},
	  {"type":"CREATE_INDEX","details":{"index":"i","table":"users","columns":["org"],"unique":true}},
	  {"type":"RENAME_TABLE","details":{"table":"users","old":"users","new":"people"}},
	  {"type":"ADD_COLUMN","details":{"table":"people","column":{"name":"age","type":"INTEGER","nullable":true}}},
	  {"type":"ALTER_COLUMN_NULLABLE","details":{"table":"people","column":"age","nullable":false,"fill_value":"0"}},
	  {"type":"DROP_COLUMN","details":{"table":"people","column":{"name":"age"}}},
	  {"type":"CREATE_VIEW","details":{"view":"v","sql":"SELECT 1"}},
	  {"type":"UPDATE_VIEW","details":{"view":"v","sql":"SELECT 2"}},
	  {"type":"DROP_VIEW","details":{"view":"v"}},
	  {"type":"DROP_INDEX","details":{"index":"i"}},
	  {"type":"DROP_TABLE","details":{"table":"people"}}]`,
	`[{"type":"RENAME_TABLE","details":{"old":"nope","new":"x"}}]`,
	`[{"type":"RENAME_COLUMN","details":null}]`,
	`[{"type":"ADD_COLUMN","details":{"table":"t"}}]`,
	`[{"type":"COPY_TABLE","details":{"table":"a","source":"a"}}]`,
	`[{"type":"CREATE_TABLE","details":{"table":"a","columns":null}},{"type":"RENAME_TABLE","details":{"old":"a","new":"a"}},{"type":"RENAME_COLUMN","details":{"table":"a","old":"x","new":"y"}}]`,
	`[{"type":"CREATE_INDEX","details":{"index":"i","table":"a","columns":["x","x"]}},{"type":"RENAME_COLUMN","details":{"table":"a","old":"x","new":"y"}}]`,
	`[{"type":"NOPE"},{"type":""},{}]`,
	`[{"type":"CREATE_TABLE","details":"not an object"}]`,
	`[{"type":"CREATE_TABLE","details":{"table":"t","columns":[{"name":"a","type":"BOOLEAN","default":"true"},{"name":"b","type":"INTEGER","default":"0x10"}]}}]`,
	`null`,
}

// FuzzSchemaApply: any changes.json, parsed as []cinch.Change and replayed
// into a Schema, never panics; errors wrap ErrInternal; the model stays
// consistent (map key == table name), survives Clone, and renders SQL.
func FuzzSchemaApply(f *testing.F) {
	for _, s := range schemaSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var changes []cinch.Change
		if err := json.Unmarshal(data, &changes); err != nil {
			return
		}
		s := sqlite.NewSchema()
		for _, ch := range changes {
			if err := s.Apply(ch); err != nil && !errors.Is(err, cinch.ErrInternal) {
				t.Fatalf("Apply(%s): error %v does not wrap ErrInternal", ch.Type, err)
			}
		}
		for name, tb := range s.Tables {
			if tb == nil {
				t.Fatalf("table %q is nil", name)
			}
			if tb.Name != name {
				t.Fatalf("table under key %q is named %q", name, tb.Name)
			}
		}
		if c := s.Clone(); !reflect.DeepEqual(c, s) {
			t.Fatalf("Clone differs:\n%#v\n%#v", c, s)
		}
		for _, name := range s.TableNames() {
			tb := s.Tables[name]
			_ = sqlite.CreateTableSQL(tb, name)
			_ = sqlite.TriggerSQL(name)
			_ = sqlite.RebuildSQL(s, tb, nil)
			for _, c := range tb.Columns {
				_ = sqlite.ColumnDef(c)
			}
		}
		for _, name := range s.IndexNames() {
			_ = sqlite.IndexSQL(s.Indexes[name])
		}
		for _, name := range s.ViewNames() {
			_ = sqlite.ViewSQL(name, s.Views[name])
		}
	})
}
