package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/sqlite"
)

// TestOpenExclusive: a connection opened Exclusive migrates a file with
// no -shm file (its WAL index is in memory) and leaves the change in the
// WAL, which a normal connection then reads; while another connection has
// the file open, opening Exclusive fails with ErrBusy at once, and the
// other connection is unaffected.
func TestOpenExclusive(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	c, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Exec("CREATE TABLE users (id TEXT PRIMARY KEY); INSERT INTO users VALUES ('a'); PRAGMA user_version=1"); err != nil {
		t.Fatal(err)
	}
	changes := []cinch.Change{{ID: "1", SQL: []string{"CREATE TABLE users (id TEXT PRIMARY KEY)"}}, {ID: "2", SQL: []string{"ALTER TABLE users ADD COLUMN name TEXT"}}}

	// c is open: Exclusive cannot have the file.
	if _, err := sqlite.Open(ctx, path, sqlite.Options{Exclusive: true}); !errors.Is(err, cinch.ErrBusy) {
		t.Fatalf("Exclusive open while another connection has the file: %v, want ErrBusy", err)
	}
	if got := gQueryCount(t, c, "SELECT count(*) FROM users"); got != 1 {
		t.Fatalf("the other connection reads %d rows", got)
	}
	c.Close()

	// A normal migration leaves its change in the WAL and the -shm beside
	// it; an Exclusive one after it ignores that -shm (its WAL index is
	// rebuilt in memory) and appends the next change.
	m, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.MigrateWAL(ctx, changes); err != nil {
		t.Fatal(err)
	}
	m.Close()
	if _, err := os.Stat(path + "-shm"); err != nil {
		t.Fatalf("no -shm after a normal migration: %v", err)
	}
	shm, _ := os.ReadFile(path + "-shm")
	changes = append(changes, cinch.Change{ID: "3", SQL: []string{"ALTER TABLE users ADD COLUMN email TEXT"}})
	x, err := sqlite.Open(ctx, path, sqlite.Options{Exclusive: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x.MigrateWAL(ctx, changes); err != nil {
		t.Fatal(err)
	}
	if now, _ := os.ReadFile(path + "-shm"); string(now) != string(shm) {
		t.Error("an Exclusive connection used the -shm file")
	}
	x.Close()
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Errorf("the change is not left in the WAL: %v", err)
	}
	n, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if v, err := n.UserVersion(); err != nil || v != 3 {
		t.Errorf("user_version %d (%v), want 3", v, err)
	}
	if got := gQueryCount(t, n, "SELECT count(name) + count(email) + count(*) FROM users"); got != 1 {
		t.Errorf("after the migration: %d", got)
	}
}

func gQueryCount(t *testing.T, c *sqlite.Conn, sql string) int64 {
	t.Helper()
	res, err := c.Query(context.Background(), cinch.QueryOptions{}, sql)
	if err != nil {
		t.Fatal(err)
	}
	return res.Rows[0][0].(int64)
}
