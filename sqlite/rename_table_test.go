package sqlite_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/schema"
)

// TestConn_MigrateRenameTable runs RENAME_TABLE on a file with rows:
// SQLite carries the rename into the view, the index and the foreign keys
// that name the table, and the model agrees with what it stored, so a
// later rebuild of a referencing table (from the model) keeps its foreign
// keys pointing at the renamed table.
func TestConn_MigrateRenameTable(t *testing.T) {
	ctx := context.Background()
	h := usersAndOrders(t)
	h.add(schema.PlanCreateIndex(h.s, cinch.IndexInfo{Table: "users", Columns: []string{"name"}}))
	h.add(schema.PlanCreateView(h.s, "user_names", "SELECT name FROM users", false))
	c := openFile(t, filepath.Join(t.TempDir(), "t.db"))
	if _, err := c.Migrate(ctx, h.changes); err != nil {
		t.Fatal(err)
	}
	query(t, c, "INSERT INTO users (id, name, email) VALUES ('u1', 'Alice', 'a@x')")
	query(t, c, "INSERT INTO orders (user_id, note) VALUES ('u1', 'first')")

	h.add(schema.PlanRenameTable(h.s, "users", "people"))
	if _, err := c.Migrate(ctx, h.changes); err != nil {
		t.Fatalf("Migrate rename: %v", err)
	}
	for _, name := range []string{"people", "orders"} {
		if got, want := c.ObjectSQL(name), schema.CreateTableSQL(h.s.Tables[name], name); got != want {
			t.Errorf("table %s: file has\n%s\nmodel renders\n%s", name, got, want)
		}
	}
	if got, want := c.ObjectSQL("idx_users_name"), schema.IndexSQL(h.s.Indexes["idx_users_name"]); got != want {
		t.Errorf("index: file has %q, model renders %q", got, want)
	}
	if got, want := c.ObjectSQL(schema.TriggerName("people")), schema.TriggerSQL("people"); got != want {
		t.Errorf("trigger: file has %q, want %q", got, want)
	}
	if got := c.ObjectSQL(schema.TriggerName("users")); got != "" {
		t.Errorf("the old trigger is still there: %q", got)
	}
	if err := c.CheckViews(ctx); err != nil {
		t.Errorf("CheckViews: %v", err)
	}
	if got := query(t, c, "SELECT name FROM user_names").Rows; len(got) != 1 || got[0][0] != "Alice" {
		t.Errorf("view rows = %v, want Alice", got)
	}

	// Rebuild orders from the model; its rows must still pass the
	// foreign key check against people.
	h.add(schema.PlanDropColumn(h.s, "orders", "note"))
	if _, err := c.Migrate(ctx, h.changes); err != nil {
		t.Fatalf("Migrate rebuild of orders: %v", err)
	}
	query(t, c, "DELETE FROM people WHERE id = 'u1'") // ON DELETE CASCADE follows the rename
	if got := query(t, c, "SELECT count(*) FROM orders").Rows[0][0]; got != int64(0) {
		t.Errorf("orders rows after deleting their user = %v, want 0", got)
	}

	// The old name, and its trigger's name, are free again.
	h.add(schema.PlanCreateTable(h.s, "users", []cinch.Column{col(t, "name:TEXT")}))
	if _, err := c.Migrate(ctx, h.changes); err != nil {
		t.Fatalf("Migrate create users again: %v", err)
	}
	var tables []string
	for _, r := range query(t, c, "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").Rows {
		tables = append(tables, r[0].(string))
	}
	if want := []string{"orders", "people", "users"}; !slices.Equal(tables, want) {
		t.Errorf("tables = %v, want %v", tables, want)
	}
}
