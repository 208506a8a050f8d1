package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/schema"
	"github.com/cinchdb/cinch/sqlite"
	"github.com/google/go-cmp/cmp"
)

func openMem(t *testing.T) *sqlite.Conn {
	t.Helper()
	c, err := sqlite.Open(context.Background(), "", sqlite.Options{Memory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func openFile(t *testing.T, path string) *sqlite.Conn {
	t.Helper()
	c, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func userVersion(t *testing.T, c *sqlite.Conn) int {
	t.Helper()
	v, err := c.UserVersion()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func query(t *testing.T, c *sqlite.Conn, sql string, params ...any) *cinch.Result {
	t.Helper()
	res, err := c.Query(context.Background(), cinch.QueryOptions{}, sql, params...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return res
}

func tableColumns(t *testing.T, c *sqlite.Conn, table string) []string {
	t.Helper()
	var out []string
	for _, r := range query(t, c, "SELECT name FROM pragma_table_info(?) ORDER BY cid", table).Records() {
		out = append(out, r["name"].(string))
	}
	return out
}

func columnNames(tb *schema.Table) []string {
	var out []string
	for _, c := range tb.Columns {
		out = append(out, c.Name)
	}
	return out
}

func schemaRows(t *testing.T, c *sqlite.Conn) []string {
	t.Helper()
	var out []string
	for _, r := range query(t, c, "SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").Records() {
		out = append(out, fmt.Sprintf("%s %s: %v", r["type"], r["name"], r["sql"]))
	}
	return out
}

// history plans a list of changes from scratch and returns the records and
// the final schema.
type history struct {
	t       *testing.T
	s       *schema.Schema
	changes []cinch.Change
	plans   []schema.Plan
}

func newHistory(t *testing.T) *history { return &history{t: t, s: schema.NewSchema()} }

func (h *history) add(p schema.Plan, err error) *history {
	h.t.Helper()
	if err != nil {
		h.t.Fatalf("plan: %v", err)
	}
	p.Change.ID = fmt.Sprintf("change-%d", len(h.changes)+1)
	h.changes = append(h.changes, p.Change)
	h.plans = append(h.plans, p)
	h.s = p.After
	return h
}

func usersAndOrders(t *testing.T) *history {
	h := newHistory(t)
	h.add(schema.PlanCreateTable(h.s, "users", []cinch.Column{col(t, "name:TEXT"), col(t, "email:TEXT:unique"), col(t, "active:BOOLEAN:default=true")}))
	h.add(schema.PlanCreateTable(h.s, "orders", []cinch.Column{col(t, "user_id:TEXT:fk=users.cascade"), col(t, "note:TEXT")}))
	return h
}

func TestConn_Migrate(t *testing.T) {
	ctx := context.Background()

	t.Run("applies missing changes and sets user_version", func(t *testing.T) {
		h := usersAndOrders(t)
		c := openFile(t, filepath.Join(t.TempDir(), "t.db"))
		from, err := c.Migrate(ctx, h.changes[:1])
		if err != nil {
			t.Fatal(err)
		}
		if got, want := from, 0; got != want {
			t.Errorf("from = %d, want %d", got, want)
		}
		query(t, c, "INSERT INTO users (name, email) VALUES ('a', 'a@x')")
		from, err = c.Migrate(ctx, h.changes)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := from, 1; got != want {
			t.Errorf("from = %d, want %d", got, want)
		}
		if got, want := userVersion(t, c), 2; got != want {
			t.Errorf("user_version = %d, want %d", got, want)
		}
		// A second call is a no-op.
		if from, err := c.Migrate(ctx, h.changes); err != nil || from != 2 {
			t.Errorf("second Migrate = %d, %v; want 2, nil", from, err)
		}
		if got := len(query(t, c, "SELECT * FROM users").Rows); got != 1 {
			t.Errorf("rows = %d, want 1", got)
		}
	})

	t.Run("file ahead is ErrAhead", func(t *testing.T) {
		h := usersAndOrders(t)
		c := openMem(t)
		if _, err := c.Migrate(ctx, h.changes); err != nil {
			t.Fatal(err)
		}
		_, err := c.Migrate(ctx, h.changes[:1])
		if !errors.Is(err, sqlite.ErrAhead) || !errors.Is(err, cinch.ErrSchemaDrift) {
			t.Fatalf("Migrate behind = %v, want ErrAhead (schema drift)", err)
		}
		if got, want := userVersion(t, c), 2; got != want {
			t.Errorf("user_version = %d, want %d", got, want)
		}
	})

	t.Run("a failing change rolls back the whole batch", func(t *testing.T) {
		h := usersAndOrders(t)
		c := openFile(t, filepath.Join(t.TempDir(), "t.db"))
		if _, err := c.Migrate(ctx, h.changes[:1]); err != nil {
			t.Fatal(err)
		}
		query(t, c, "INSERT INTO users (name) VALUES ('dup')")
		query(t, c, "INSERT INTO users (name) VALUES ('dup')")
		h.add(schema.PlanCreateIndex(h.s, cinch.IndexInfo{Table: "users", Columns: []string{"name"}, Unique: true}))
		before := schemaRows(t, c)
		_, err := c.Migrate(ctx, h.changes)
		if !errors.Is(err, cinch.ErrRolloutFailed) {
			t.Fatalf("Migrate = %v, want ErrRolloutFailed", err)
		}
		if !strings.Contains(err.Error(), "change 3") || !strings.Contains(err.Error(), "CREATE_INDEX") {
			t.Errorf("error %q should name the change", err)
		}
		if got, want := userVersion(t, c), 1; got != want {
			t.Errorf("user_version = %d, want %d", got, want)
		}
		if diff := cmp.Diff(before, schemaRows(t, c)); diff != "" {
			t.Errorf("schema changed by a failed batch (orders must not exist):\n%s", diff)
		}
		if got := len(query(t, c, "SELECT * FROM users").Rows); got != 2 {
			t.Errorf("rows = %d, want 2", got)
		}
	})

	t.Run("rebuild keeps rows and restores foreign keys", func(t *testing.T) {
		h := usersAndOrders(t)
		c := openFile(t, filepath.Join(t.TempDir(), "t.db"))
		if _, err := c.Migrate(ctx, h.changes); err != nil {
			t.Fatal(err)
		}
		query(t, c, "INSERT INTO users (id, name, email) VALUES ('u1', 'a', 'a@x')")
		query(t, c, "INSERT INTO orders (user_id, note) VALUES ('u1', 'n')")
		// Rebuild the parent: dropping it with foreign keys on would cascade.
		h.add(schema.PlanAlterNullable(h.s, "users", "name", false, ptr("?")))
		if _, err := c.Migrate(ctx, h.changes); err != nil {
			t.Fatal(err)
		}
		if got := len(query(t, c, "SELECT * FROM orders").Rows); got != 1 {
			t.Errorf("orders rows after parent rebuild = %d, want 1", got)
		}
		if got := query(t, c, "PRAGMA foreign_keys").Value(0, "foreign_keys"); got != int64(1) {
			t.Errorf("foreign_keys after rebuild = %v, want 1", got)
		}
		query(t, c, "DELETE FROM users WHERE id = 'u1'")
		if got := len(query(t, c, "SELECT * FROM orders").Rows); got != 0 {
			t.Errorf("ON DELETE CASCADE lost by the rebuild: %d orders left", got)
		}
	})

	t.Run("rebuild with a dangling foreign key is refused", func(t *testing.T) {
		h := usersAndOrders(t)
		c := openFile(t, filepath.Join(t.TempDir(), "t.db"))
		if _, err := c.Migrate(ctx, h.changes); err != nil {
			t.Fatal(err)
		}
		if err := c.Exec("PRAGMA foreign_keys=OFF; INSERT INTO orders (user_id) VALUES ('ghost'); PRAGMA foreign_keys=ON"); err != nil {
			t.Fatal(err)
		}
		h.add(schema.PlanDropColumn(h.s, "orders", "note"))
		_, err := c.Migrate(ctx, h.changes)
		if !errors.Is(err, cinch.ErrConstraint) {
			t.Fatalf("Migrate = %v, want ErrConstraint", err)
		}
		if got, want := userVersion(t, c), 2; got != want {
			t.Errorf("user_version = %d, want %d", got, want)
		}
		if got, want := tableColumns(t, c, "orders"), []string{"id", "created_at", "updated_at", "user_id", "note"}; !cmp.Equal(got, want) {
			t.Errorf("orders columns = %v, want %v", got, want)
		}
	})

	t.Run("the guard stays installed", func(t *testing.T) {
		h := usersAndOrders(t)
		c := openMem(t)
		if _, err := c.Migrate(ctx, h.changes); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Query(ctx, cinch.QueryOptions{}, "DROP TABLE orders"); !errors.Is(err, cinch.ErrQueryRejected) {
			t.Errorf("DROP TABLE after Migrate = %v, want ErrQueryRejected", err)
		}
	})
}

func TestConn_Revert(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		plan func(h *history) (schema.Plan, error)
	}{
		{"unique index", func(h *history) (schema.Plan, error) {
			return schema.PlanCreateIndex(h.s, cinch.IndexInfo{Table: "users", Columns: []string{"name"}, Unique: true})
		}},
		{"not null", func(h *history) (schema.Plan, error) {
			return schema.PlanAlterNullable(h.s, "users", "name", false, nil)
		}},
		{"unique column", func(h *history) (schema.Plan, error) {
			return schema.PlanAddColumn(h.s, "users", col(t, "code:TEXT:unique"))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := usersAndOrders(t)
			c := openFile(t, filepath.Join(t.TempDir(), "t.db"))
			if _, err := c.Migrate(ctx, h.changes); err != nil {
				t.Fatal(err)
			}
			query(t, c, "INSERT INTO users (id, name, email) VALUES ('u1', 'a', 'a@x')")
			query(t, c, "INSERT INTO orders (user_id) VALUES ('u1')")
			before := schemaRows(t, c)
			rows := query(t, c, "SELECT * FROM users").Rows
			h.add(tc.plan(h))
			p := h.plans[len(h.plans)-1]
			if !p.DataDependent {
				t.Fatalf("plan is not data-dependent")
			}
			if _, err := c.Migrate(ctx, h.changes); err != nil {
				t.Fatal(err)
			}
			// At another version, Revert does nothing.
			if err := c.Revert(ctx, 5, p.Inverse, p.InverseRebuild); err != nil {
				t.Fatal(err)
			}
			if got, want := userVersion(t, c), 3; got != want {
				t.Fatalf("user_version after a no-op Revert = %d, want %d", got, want)
			}
			if err := c.Revert(ctx, 3, p.Inverse, p.InverseRebuild); err != nil {
				t.Fatal(err)
			}
			if got, want := userVersion(t, c), 2; got != want {
				t.Errorf("user_version = %d, want %d", got, want)
			}
			if diff := cmp.Diff(before, schemaRows(t, c)); diff != "" {
				t.Errorf("schema after Revert (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(rows, query(t, c, "SELECT * FROM users").Rows); diff != "" {
				t.Errorf("rows after Revert:\n%s", diff)
			}
			if got := len(query(t, c, "SELECT * FROM orders").Rows); got != 1 {
				t.Errorf("orders rows = %d, want 1", got)
			}
			// A second Revert of the same version is a no-op.
			if err := c.Revert(ctx, 3, p.Inverse, p.InverseRebuild); err != nil {
				t.Fatal(err)
			}
			if got, want := userVersion(t, c), 2; got != want {
				t.Errorf("user_version after second Revert = %d, want %d", got, want)
			}
		})
	}
}

func TestConn_CheckViews(t *testing.T) {
	ctx := context.Background()
	h := usersAndOrders(t)
	h.add(schema.PlanCreateView(h.s, "v", "SELECT note FROM orders", false))
	c := openMem(t)
	if _, err := c.Migrate(ctx, h.changes); err != nil {
		t.Fatal(err)
	}
	if err := c.CheckViews(ctx); err != nil {
		t.Fatalf("CheckViews on a healthy schema: %v", err)
	}
	// Break the view the way an unchecked drop would.
	if err := c.Exec("DROP TABLE orders"); err != nil {
		t.Fatal(err)
	}
	err := c.CheckViews(ctx)
	if !errors.Is(err, cinch.ErrInvalidInput) || !strings.Contains(err.Error(), `"v"`) {
		t.Errorf("CheckViews = %v, want ErrInvalidInput naming view v", err)
	}
}

func TestConn_BackupToTemp(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	h := usersAndOrders(t)
	src := openFile(t, filepath.Join(dir, "src.db"))
	if _, err := src.Migrate(ctx, h.changes); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		query(t, src, "INSERT INTO users (name) VALUES (?)", fmt.Sprint("user", i))
	}
	dst := filepath.Join(dir, "dst.db")
	if err := src.BackupToTemp(ctx, dst+".tmp", nil); err != nil {
		t.Fatal(err)
	}
	if err := sqlite.Publish(dst+".tmp", dst); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{".tmp", ".tmp-wal", ".tmp-shm"} {
		if _, err := os.Stat(dst + suffix); err == nil {
			t.Errorf("%s left behind", dst+suffix)
		}
	}
	c := openFile(t, dst)
	if got := len(query(t, c, "SELECT * FROM users").Rows); got != 100 {
		t.Errorf("copied rows = %d, want 100", got)
	}
	if got, want := userVersion(t, c), 2; got != want {
		t.Errorf("copy user_version = %d, want %d", got, want)
	}
	msgs, err := c.IntegrityCheck(ctx)
	if err != nil || !cmp.Equal(msgs, []string{"ok"}) {
		t.Errorf("IntegrityCheck = %v, %v", msgs, err)
	}
	if diff := cmp.Diff(schemaRows(t, src), schemaRows(t, c)); diff != "" {
		t.Errorf("schema of the copy:\n%s", diff)
	}
}
