package sqlite_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/sqlite"
)

// Issue 10, item 5.5, at the connection: a connection that has read the
// schema sees a change another connection makes in every statement kind,
// including the ones SQLite compiles from its copy of the schema without
// re-checking it (REINDEX's name, EXPLAIN, pragmas), cached or not.
func TestConn_SeesSchemaChangesOfOtherConnections(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	open := func() *sqlite.Conn {
		c, err := sqlite.Open(ctx, path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	ddl, user := open(), open()
	if err := ddl.Exec("CREATE TABLE users(id TEXT PRIMARY KEY, name TEXT)"); err != nil {
		t.Fatal(err)
	}
	query := func(sql string) (*cinch.Result, error) {
		return user.Query(ctx, cinch.QueryOptions{}, sql)
	}
	const eqp = "EXPLAIN QUERY PLAN SELECT id FROM users WHERE name = 'x'"
	plan := func() string {
		t.Helper()
		res, err := query(eqp)
		if err != nil {
			t.Fatal(err)
		}
		var details []string
		for i := range res.Rows {
			s, _ := res.Value(i, "detail").(string)
			details = append(details, s)
		}
		return strings.Join(details, "; ")
	}
	// Read the schema, and cache the statements that depend on it.
	if _, err := query("SELECT count(*) FROM users"); err != nil {
		t.Fatal(err)
	}
	if p := plan(); strings.Contains(p, "idx_name") {
		t.Fatalf("plan before the index: %s", p)
	}
	if res, err := query("PRAGMA index_info(idx_name)"); err != nil || len(res.Rows) != 0 {
		t.Fatalf("index_info before the index: %v, %v", res, err)
	}

	if err := ddl.Exec("CREATE INDEX idx_name ON users(name)"); err != nil {
		t.Fatal(err)
	}
	if _, err := query("REINDEX idx_name"); err != nil {
		t.Errorf("REINDEX of the new index: %v", err)
	}
	if p := plan(); !strings.Contains(p, "idx_name") {
		t.Errorf("cached EXPLAIN QUERY PLAN does not see the new index: %s", p)
	}
	if res, err := query("PRAGMA index_info(idx_name)"); err != nil || len(res.Rows) != 1 {
		t.Errorf("cached index_info of the new index: %v, %v", res, err)
	}

	if err := ddl.Exec("DROP INDEX idx_name"); err != nil {
		t.Fatal(err)
	}
	if p := plan(); strings.Contains(p, "idx_name") {
		t.Errorf("cached EXPLAIN QUERY PLAN still uses the dropped index: %s", p)
	}
	if _, err := query("REINDEX idx_name"); err == nil || cinch.Code(err) != "invalid_input" {
		t.Errorf("REINDEX of the dropped index: %v (code %s), want invalid_input", err, cinch.Code(err))
	}
}
