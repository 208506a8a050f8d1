package sqlite_test

import (
	"context"
	"errors"
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
