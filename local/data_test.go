package local_test

import (
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
	"github.com/google/go-cmp/cmp"
)

// ---- 7. data API ----

var engUuidV7 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestDB_DataAPI(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := &engClock{now: time.Date(2001, 2, 3, 4, 5, 6, 789_123_456, time.FixedZone("X", 3600))}
	f := newProject(t, local.Config{Now: clk.Now})
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
	f := newProject(t, local.Config{})
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
