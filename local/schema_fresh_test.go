package local_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// Issue 10, item 5.5: pooled connections opened before a schema change
// see it in every kind of statement the guard allows, not only in those
// SQLite re-prepares on its own. REINDEX of an index created through cinch
// failed on a warm connection with "unable to identify the object to be
// reindexed": SQLite resolves REINDEX's name at prepare time against the
// connection's cached schema and, unlike a missing table, does not check
// whether that cache is stale. Pragmas that describe the schema and
// EXPLAIN are compiled from the same cache.
func TestDB_WarmConnectionsSeeSchemaChanges(t *testing.T) {
	ctx := context.Background()
	// One reader, so the warm-up query warms the connection later ones use.
	f := newProject(t, local.Config{ReadersPerTenant: 1})
	engMustChange(t)(f.db.Tables().Create(ctx, "users", engCols(t, "name:TEXT")))
	other := engOpenProject(t, f.dir, local.Config{ReadersPerTenant: 1}) // another process
	otherDB := engConnect(t, other, "main")

	// Statements whose answer depends on the new index / table, each run
	// once before the change too, so a cached statement is tested as well
	// as a fresh prepare.
	type probe struct {
		sql  string
		want func(*cinch.Result) error
	}
	rowsAtLeast := func(n int) func(*cinch.Result) error {
		return func(r *cinch.Result) error {
			if len(r.Rows) < n {
				return fmt.Errorf("%d rows, want at least %d", len(r.Rows), n)
			}
			return nil
		}
	}
	hasIndex := func(idx string) func(*cinch.Result) error {
		return func(r *cinch.Result) error {
			for i := range r.Rows {
				if r.Value(i, "name") == idx {
					return nil
				}
			}
			return fmt.Errorf("no index %s in %d rows", idx, len(r.Rows))
		}
	}
	mentions := func(idx string) func(*cinch.Result) error {
		return func(r *cinch.Result) error {
			for i := range r.Rows {
				if s, _ := r.Value(i, "detail").(string); strings.Contains(s, idx) {
					return nil
				}
			}
			return fmt.Errorf("plan does not use %s: %v", idx, r.Rows)
		}
	}
	// opens: the program reads the index idx (by its root page: EXPLAIN
	// names no objects in this build). The root page is looked up after
	// the EXPLAIN ran, so the lookup cannot refresh the connection first.
	opens := func(idx string) func(*cinch.Result) error {
		return func(r *cinch.Result) error {
			root := engMustQuery(t, f.db, "SELECT rootpage FROM sqlite_schema WHERE name = ?", idx).Value(0, "rootpage")
			for i := range r.Rows {
				p4, _ := r.Value(i, "p4").(string)
				if r.Value(i, "opcode") == "OpenRead" && strings.HasPrefix(p4, "k(") && r.Value(i, "p2") == root {
					return nil
				}
			}
			return fmt.Errorf("program does not open %s (root page %v)", idx, root)
		}
	}
	ok := func(*cinch.Result) error { return nil }

	// Each probe gets its own change, and runs first after it, so no other
	// statement has refreshed the connection's schema before it.
	probes := []probe{
		{"REINDEX %[1]s", ok},
		{"SELECT name FROM users INDEXED BY %[1]s WHERE name = 'x'", rowsAtLeast(1)},
		{"PRAGMA index_list(users)", nil}, // want: the new index
		{"PRAGMA index_info(%[1]s)", rowsAtLeast(1)},
		{"PRAGMA table_info(%[2]s)", rowsAtLeast(4)},
		{"EXPLAIN QUERY PLAN SELECT id FROM users WHERE name = 'x'", nil}, // want: the new index used
		{"SELECT count(*) AS n FROM %[2]s", rowsAtLeast(1)},
		{"SELECT name FROM pragma_index_info('%[1]s')", rowsAtLeast(1)},
		{"SELECT name FROM pragma_table_info('%[2]s')", rowsAtLeast(4)},
		{"EXPLAIN SELECT id FROM users WHERE name = 'x'", nil}, // want: the new index opened
	}
	n := 0
	for _, via := range []struct {
		name string
		db   *local.DB
	}{{"same process", f.db}, {"another process", otherDB}} {
		for _, p := range probes {
			n++
			idx, table := fmt.Sprintf("idx_%d", n), fmt.Sprintf("t_%d", n)
			sql := strings.NewReplacer("%[1]s", idx, "%[2]s", table).Replace(p.sql)
			want := p.want
			switch {
			case strings.HasPrefix(sql, "PRAGMA index_list"):
				want = hasIndex(idx)
			case strings.HasPrefix(sql, "EXPLAIN QUERY PLAN"):
				want = mentions(idx)
			case strings.HasPrefix(sql, "EXPLAIN"):
				want = opens(idx)
			}
			// Warm the writer and the reader; cache sql if it prepares now.
			engMustInsert(t, f.db, "users", cinch.Record{"name": "x"})
			engMustQuery(t, f.db, "SELECT count(*) FROM users")
			f.db.Query(ctx, sql)
			if n > 1 { // the previous index would serve the plan: only the newest may exist
				engMustChange(t)(via.db.Indexes().Drop(ctx, fmt.Sprintf("idx_%d", n-1)))
				engMustQuery(t, f.db, "SELECT count(*) FROM users")
				f.db.Query(ctx, sql)
			}
			// The table first, so the index does not reuse the dropped
			// index's root page (a stale EXPLAIN would look right).
			engMustChange(t)(via.db.Tables().Create(ctx, table, engCols(t, "x:TEXT")))
			engMustChange(t)(via.db.Indexes().Create(ctx, cinch.IndexInfo{Name: idx, Table: "users", Columns: []string{"name"}}))
			res, err := f.db.Query(ctx, sql)
			if err != nil {
				t.Errorf("%s: %s on a warm connection: %v", via.name, sql, err)
				continue
			}
			if err := want(res); err != nil {
				t.Errorf("%s: %s on a warm connection: %v", via.name, sql, err)
			}
		}
	}
}
