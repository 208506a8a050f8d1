package local_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
	"github.com/google/go-cmp/cmp"
	"github.com/ncruces/go-sqlite3"
)

// sqldbFixture is a project with table users (name) and a *sql.DB on its
// main tenant that keeps a single connection, so every statement reuses the
// connection the previous one left behind. The busy timeout is short: a
// connection left inside a transaction shows as "database is locked" on
// the next writer within a second, not ten.
func sqldbFixture(t *testing.T) (*engFixture, *sql.DB) {
	t.Helper()
	ctx := context.Background()
	f := newProject(t, local.Config{BusyTimeout: time.Second})
	engMustChange(t)(f.db.Tables().Create(ctx, "users", engCols(t, "name:TEXT")))
	sdb, err := f.db.SQLDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sdb.Close() })
	sdb.SetMaxOpenConns(1)
	return f, sdb
}

// sqldbCommitted checks that a write through sdb commits: it becomes visible
// to the engine and to a fresh *sql.DB, and another writer (the engine's)
// is not locked out.
func sqldbCommitted(t *testing.T, f *engFixture, sdb *sql.DB, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := sdb.ExecContext(ctx, "INSERT INTO users (name) VALUES (?)", name); err != nil {
		t.Fatalf("insert %s through SQLDB: %v", name, err)
	}
	res, err := f.db.Query(ctx, "SELECT count(*) AS n FROM users WHERE name = ?", name)
	if err != nil {
		t.Fatal(err)
	}
	if n := res.Value(0, "n"); n != int64(1) {
		t.Errorf("DB.Query sees %v rows named %s, want 1: the SQLDB write did not commit", n, name)
	}
	fresh, err := f.db.SQLDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	var n int
	if err := fresh.QueryRowContext(ctx, "SELECT count(*) FROM users WHERE name = ?", name).Scan(&n); err != nil || n != 1 {
		t.Errorf("a fresh SQLDB sees %d rows named %s (%v), want 1", n, name, err)
	}
	if _, err := f.db.Insert(ctx, "users", cinch.Record{"name": name + "-engine"}); err != nil {
		t.Errorf("the engine's writer after the SQLDB write: %v", err)
	}
}

func TestSQLDB_ReadOnlyTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, sdb := sqldbFixture(t)
	engMustInsert(t, f.db, "users", cinch.Record{"name": "before"})

	for _, end := range []string{"commit", "rollback"} {
		tx, err := sdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			t.Fatalf("BeginTx(ReadOnly): %v", err)
		}
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM users").Scan(&n); err != nil || n < 1 {
			t.Errorf("read in a read-only transaction: %d, %v", n, err)
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO users (name) VALUES (?)", "in-ro-tx")
		if !errors.Is(err, cinch.ErrReadOnly) || !strings.Contains(err.Error(), "read-only") {
			t.Errorf("write in a read-only transaction: %v, want ErrReadOnly saying read-only", err)
		}
		if end == "commit" {
			err = tx.Commit()
		} else {
			err = tx.Rollback()
		}
		if err != nil {
			t.Fatalf("%s: %v", end, err)
		}
		// The connection is writable again, and outside any transaction.
		sqldbCommitted(t, f, sdb, "after-ro-"+end)
	}
	res := engMustQuery(t, f.db, "SELECT count(*) AS n FROM users WHERE name = 'in-ro-tx'")
	if n := res.Value(0, "n"); n != int64(0) {
		t.Errorf("the refused write is stored (%v rows)", n)
	}

	// sqlx, sqlc and GORM also ask for serializable read-only transactions.
	tx, err := sdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelSerializable})
	if err != nil {
		t.Fatalf("BeginTx(ReadOnly, Serializable): %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	sqldbCommitted(t, f, sdb, "after-ro-serializable")

	// The driver's own query_only switch is not a door for users: the
	// guard still refuses PRAGMA query_only with a value, as DB.Query does.
	if _, err := sdb.ExecContext(ctx, "PRAGMA query_only=on"); !errors.Is(err, cinch.ErrQueryRejected) {
		t.Errorf("PRAGMA query_only=on through SQLDB: %v, want a rejection", err)
	}
	sqldbCommitted(t, f, sdb, "after-query-only")
}

// A refused statement never leaves the connection inside a transaction,
// even when statements before it in the same Exec opened one.
func TestSQLDB_RefusalLeavesNoTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, sdb := sqldbFixture(t)
	for i, q := range []string{
		"BEGIN; CREATE TABLE z (a)",
		"BEGIN IMMEDIATE; INSERT INTO users (name) VALUES ('ghost'); DROP TABLE users",
		"SAVEPOINT s; INSERT INTO users (name) VALUES ('ghost'); ATTACH 'x.db' AS x",
	} {
		if _, err := sdb.ExecContext(ctx, q); !errors.Is(err, cinch.ErrQueryRejected) {
			t.Errorf("%s: %v, want a rejection", q, err)
		}
		sqldbCommitted(t, f, sdb, "after-refusal-"+string(rune('a'+i)))
	}
	res := engMustQuery(t, f.db, "SELECT count(*) AS n FROM users WHERE name = 'ghost'")
	if n := res.Value(0, "n"); n != int64(0) {
		t.Errorf("a write of a refused batch is stored (%v rows)", n)
	}

	// A refusal inside the caller's own transaction leaves that transaction
	// to the caller: it is still open, and commits what came before.
	tx, err := sdb.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO users (name) VALUES ('kept')"); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "CREATE TABLE z (a)"); !errors.Is(err, cinch.ErrQueryRejected) {
		t.Errorf("CREATE TABLE in a transaction: %v, want a rejection", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("commit after a refusal: %v", err)
	}
	res = engMustQuery(t, f.db, "SELECT count(*) AS n FROM users WHERE name = 'kept'")
	if n := res.Value(0, "n"); n != int64(1) {
		t.Errorf("the transaction's write before the refusal: %v rows, want 1", n)
	}

	// Statements on one *sql.Conn share its connection: BEGIN ... COMMIT
	// spelled out there still works.
	conn, err := sdb.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"BEGIN", "INSERT INTO users (name) VALUES ('conn')", "COMMIT"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s on a *sql.Conn: %v", q, err)
		}
	}
	conn.Close()
	sqldbCommitted(t, f, sdb, "after-conn")

	// A bare BEGIN through the *sql.DB itself leaves its connection in a
	// transaction; database/sql may hand that connection to anyone next,
	// so it is rolled back first.
	if _, err := sdb.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	sqldbCommitted(t, f, sdb, "after-bare-begin")
}

// SQLDB refuses what DB.Query refuses, with the same words.
func TestSQLDB_RefusalReasons(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, sdb := sqldbFixture(t)
	for _, q := range []string{
		"CREATE TABLE z (a)",
		"DROP TABLE users",
		"ATTACH 'x.db' AS x",
		"PRAGMA writable_schema=ON",
		"SELECT load_extension('x')",
	} {
		_, want := f.db.Query(ctx, q)
		if !errors.Is(want, cinch.ErrQueryRejected) {
			t.Fatalf("DB.Query(%s) = %v, want a rejection", q, want)
		}
		check := func(how string, err error) {
			t.Helper()
			if !errors.Is(err, cinch.ErrQueryRejected) || !local.IsQueryRejected(err) {
				t.Errorf("SQLDB %s %s: %v, want ErrQueryRejected", how, q, err)
			}
			if err == nil || err.Error() != want.Error() {
				t.Errorf("SQLDB %s %s:\n got %v\nwant %v", how, q, err, want)
			}
			// The driver's error stays in the chain, for code that looks
			// at its codes (GORM's error translation does).
			var se *sqlite3.Error
			if !errors.As(err, &se) {
				t.Errorf("SQLDB %s %s: %v does not carry the driver's error", how, q, err)
			}
		}
		_, err := sdb.ExecContext(ctx, q)
		check("Exec", err)
		_, err = sdb.ExecContext(ctx, q, "an argument") // prepared, not run by sqlite3_exec
		check("Exec with an argument", err)
		_, err = sdb.PrepareContext(ctx, q)
		check("Prepare", err)
		rows, err := sdb.QueryContext(ctx, q)
		if err == nil {
			rows.Close()
		}
		check("Query", err)
	}
	_, err := sdb.ExecContext(ctx, "CREATE TABLE z (a)")
	if err == nil || !strings.Contains(err.Error(), "table, column, view and index commands") {
		t.Errorf("CREATE TABLE through SQLDB: %v, want it to point to the schema commands", err)
	}
	sqldbCommitted(t, f, sdb, "after-reasons")
}

// SQLDB works on an encrypted tenant opened with its key.
func TestSQLDB_EncryptedTenant(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	p, db := newBranchProject(t)
	if _, err := db.Tenants().Create(ctx, "wayne_ent", cinch.TenantCreateOptions{Encrypt: true, Key: "k1"}); err != nil {
		t.Fatal(err)
	}
	wayne := db.WithKey("k1").WithTenant("wayne_ent")
	sdb, err := wayne.SQLDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	if _, err := sdb.ExecContext(ctx, "INSERT INTO users (id, name) VALUES ('r1', ?)", secret); err != nil {
		t.Fatalf("insert through SQLDB: %v", err)
	}
	var name string
	if err := sdb.QueryRowContext(ctx, "SELECT name FROM users WHERE id = 'r1'").Scan(&name); err != nil || name != secret {
		t.Errorf("read back through SQLDB: %q, %v", name, err)
	}
	res, err := wayne.Query(ctx, "SELECT name FROM users WHERE id = 'r1'")
	if err != nil {
		t.Fatal(err)
	}
	if v := res.Value(0, "name"); v != secret {
		t.Errorf("DB.Query reads %v, want %q", v, secret)
	}
	// The guard is on there too.
	if _, err := sdb.ExecContext(ctx, "DROP TABLE users"); !errors.Is(err, cinch.ErrQueryRejected) {
		t.Errorf("DROP TABLE through SQLDB on an encrypted tenant: %v", err)
	}
	// Still encrypted at rest.
	if err := sdb.Close(); err != nil {
		t.Fatal(err)
	}
	assertNoPlaintext(t, p, "main", "wayne_ent")
	// Without the key, or with a wrong one, no handle.
	if _, err := db.WithTenant("wayne_ent").SQLDB(ctx); !errors.Is(err, cinch.ErrEncryptionKey) {
		t.Errorf("SQLDB without the key: %v", err)
	}
	if _, err := db.WithKey("nope").WithTenant("wayne_ent").SQLDB(ctx); !errors.Is(err, cinch.ErrEncryptionKey) {
		t.Errorf("SQLDB with a wrong key: %v", err)
	}
}

// SQL with a NUL byte is refused everywhere: SQLite would stop reading at
// the NUL and run only what comes before it.
func TestQuery_NULByte(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, sdb := sqldbFixture(t)
	engMustCreateTenant(t, f.db, "lazy", true)
	for _, n := range []string{"alice", "bob"} {
		engMustInsert(t, f.db, "users", cinch.Record{"name": n})
	}
	refused := func(how string, err error) {
		t.Helper()
		if !errors.Is(err, cinch.ErrInvalidInput) || !strings.Contains(err.Error(), "NUL") {
			t.Errorf("%s: %v, want ErrInvalidInput naming the NUL byte", how, err)
		}
	}
	del := "DELETE FROM users\x00 WHERE name = 'alice'"
	_, err := f.db.Query(ctx, del)
	refused("DB.Query", err)
	_, err = f.db.Query(ctx, "SELECT 1\x00; DROP TABLE users")
	refused("DB.Query", err)
	_, err = f.db.WithTenant("lazy").Query(ctx, "SELECT * FROM users\x00 WHERE 0")
	refused("DB.Query on a lazy tenant", err)
	_, err = sdb.ExecContext(ctx, del)
	refused("SQLDB Exec", err)
	_, err = sdb.ExecContext(ctx, "DELETE FROM users\x00 WHERE name = ?", "alice")
	refused("SQLDB Exec with args", err)
	_, err = sdb.QueryContext(ctx, "SELECT name FROM users\x00 WHERE 0")
	refused("SQLDB Query", err)
	results, err := f.db.Fleet().Query(ctx, cinch.FanOutOptions{}, "SELECT name FROM users\x00 WHERE 0")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		refused("QueryAll on "+r.Tenant, r.Err)
	}
	res := engMustQuery(t, f.db, "SELECT count(*) AS n FROM users")
	if n := res.Value(0, "n"); n != int64(2) {
		t.Errorf("%v rows left, want 2: a statement cut at its NUL ran", n)
	}
}

// Through the *sql.DB, a driver panic is an error too, and the connection
// it broke is not handed out again.
func TestSQLDB_DriverPanicIsAnError(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f, sdb := sqldbFixture(t)
	for i := range 3 {
		err := noPanic(t, "SQLDB Query", func() error {
			rows, err := sdb.QueryContext(ctx, `SELECT 1 AS "`+hugeName+`"`)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
			}
			return rows.Err()
		})
		if !errors.Is(err, cinch.ErrInvalidInput) || !strings.Contains(fmt.Sprint(err), "too long") {
			t.Fatalf("round %d: %.300v, want ErrInvalidInput saying the name is too long", i+1, err)
		}
		err = noPanic(t, "SQLDB Exec", func() error {
			_, err := sdb.ExecContext(ctx, `PRAGMA "`+hugeName+`"`)
			return err
		})
		if !errors.Is(err, cinch.ErrInvalidInput) {
			t.Fatalf("round %d: %.300v, want ErrInvalidInput", i+1, err)
		}
	}
	sqldbCommitted(t, f, sdb, "after-panics")
}

func TestDB_SQLDB(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newProject(t, local.Config{})
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
