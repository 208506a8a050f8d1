package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/sqlite"
)

// IsQueryRejected knows the guard's refusal both as Query gives it and as
// the *sql.DB of OpenDB gives it.
func TestIsQueryRejected(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	c, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Exec("CREATE TABLE t (v TEXT UNIQUE)"); err != nil {
		t.Fatal(err)
	}
	_, err = c.Query(ctx, cinch.QueryOptions{}, "DROP TABLE t")
	if !sqlite.IsQueryRejected(err) {
		t.Errorf("Query(DROP TABLE) = %v: IsQueryRejected false", err)
	}
	db, err := sqlite.OpenDB(path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, "CREATE TABLE u (v)")
	if !sqlite.IsQueryRejected(err) {
		t.Errorf("*sql.DB CREATE TABLE = %v: IsQueryRejected false", err)
	}
	db.ExecContext(ctx, "INSERT INTO t VALUES ('a')")
	_, err = db.ExecContext(ctx, "INSERT INTO t VALUES ('a')")
	if err == nil || sqlite.IsQueryRejected(err) {
		t.Errorf("*sql.DB duplicate insert = %v: want an error that is not a refusal", err)
	}
	if sqlite.IsQueryRejected(nil) {
		t.Error("IsQueryRejected(nil) = true")
	}
}
