package sqlite_test

import (
	"context"
	"strings"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/schema"
	"github.com/google/go-cmp/cmp"
)

func ptr(s string) *string { return &s }

func col(t *testing.T, spec string) cinch.Column {
	t.Helper()
	c, err := cinch.ParseColumnSpec(spec)
	if err != nil {
		t.Fatalf("ParseColumnSpec(%q): %v", spec, err)
	}
	return c
}

// mustPlan fails the test on a planning error.
func mustPlan(t *testing.T) func(schema.Plan, error) schema.Plan {
	return func(p schema.Plan, err error) schema.Plan {
		t.Helper()
		if err != nil {
			t.Fatalf("plan: %v", err)
		}
		return p
	}
}

// TestPlan_SQLRuns applies a history built from every planner to a real
// database: the SQL the planners record must run.
func TestPlan_SQLRuns(t *testing.T) {
	ctx := context.Background()
	must := mustPlan(t)
	s := schema.NewSchema()
	var changes []cinch.Change
	add := func(p schema.Plan) {
		t.Helper()
		changes = append(changes, p.Change)
		s = p.After
	}
	add(must(schema.PlanCreateTable(s, "users", []cinch.Column{col(t, "name:TEXT:not_null"), col(t, "email:TEXT:unique"), col(t, "active:BOOLEAN:default=false"), col(t, "nick:TEXT")})))
	add(must(schema.PlanCreateTable(s, "orders", []cinch.Column{col(t, "user_id:TEXT:fk=users.cascade"), col(t, "amount:REAL")})))
	add(must(schema.PlanCreateIndex(s, cinch.IndexInfo{Table: "users", Columns: []string{"name"}})))
	add(must(schema.PlanCreateView(s, "names", "SELECT name FROM users", false)))
	add(must(schema.PlanAddColumn(s, "users", col(t, "phone:TEXT"))))
	add(must(schema.PlanAddColumn(s, "users", col(t, "code:TEXT:unique"))))
	add(must(schema.PlanRenameColumn(s, "users", "phone", "mobile")))
	add(must(schema.PlanAlterNullable(s, "users", "nick", false, ptr("anon"))))
	add(must(schema.PlanAlterNullable(s, "users", "nick", true, nil)))
	add(must(schema.PlanDropColumn(s, "users", "mobile")))
	add(must(schema.PlanCopyTable(s, "users", "users_copy", false)))
	add(must(schema.PlanCreateView(s, "names", "SELECT name, email FROM users", true)))
	add(must(schema.PlanCreateIndex(s, cinch.IndexInfo{Table: "users", Columns: []string{"email", "name"}, Unique: true})))
	add(must(schema.PlanDropIndex(s, "idx_users_name")))
	// SQLite rewrites the view, the index and orders' foreign key; the
	// model follows, so rebuilding orders keeps the reference right.
	add(must(schema.PlanRenameTable(s, "users", "people")))
	add(must(schema.PlanDropColumn(s, "orders", "amount")))
	add(must(schema.PlanDropView(s, "names")))
	add(must(schema.PlanDropTable(s, "users_copy")))
	add(must(schema.PlanCreateTable(s, "users", []cinch.Column{col(t, "name:TEXT")}))) // the old name (and its trigger's) is free

	c := openMem(t)
	if _, err := c.Migrate(ctx, changes); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if got, want := userVersion(t, c), len(changes); got != want {
		t.Errorf("user_version = %d, want %d", got, want)
	}
	if err := c.CheckViews(ctx); err != nil {
		t.Errorf("CheckViews: %v", err)
	}
	// The model replayed from the records equals the planners' model.
	replayed := schema.NewSchema()
	for _, ch := range changes {
		if err := replayed.Apply(ch); err != nil {
			t.Fatalf("Apply %s: %v", ch.Type, err)
		}
	}
	if diff := cmp.Diff(s, replayed); diff != "" {
		t.Errorf("replayed schema differs from planned (-planned +replayed):\n%s", diff)
	}
	// Every table in the model is in the file with the model's SQL.
	for _, name := range s.TableNames() {
		if got, want := c.ObjectSQL(name), schema.CreateTableSQL(s.Tables[name], name); got != want && !strings.Contains(got, "ADD") {
			// ADD COLUMN appends to the stored text, so compare columns instead.
			gotCols := tableColumns(t, c, name)
			wantCols := append([]string{"id", "created_at", "updated_at"}, columnNames(s.Tables[name])...)
			if diff := cmp.Diff(wantCols, gotCols); diff != "" {
				t.Errorf("table %s columns (-model +file):\n%s", name, diff)
			}
		}
	}
	for _, name := range s.IndexNames() {
		if got, want := c.ObjectSQL(name), schema.IndexSQL(s.Indexes[name]); got != want {
			t.Errorf("index %s: file has %q, model renders %q", name, got, want)
		}
	}
}
