package schema_test

import (
	"encoding/json"
	"errors"
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

// baseSchema is users(name NOT NULL, email UNIQUE, active BOOLEAN, score
// INTEGER default 5), orders(user_id -> users CASCADE, note), index
// idx_users_name and view active_users.
func baseSchema(t *testing.T) *schema.Schema {
	t.Helper()
	must := mustPlan(t)
	s := schema.NewSchema()
	s = must(schema.PlanCreateTable(s, "users", []cinch.Column{
		col(t, "name:TEXT:not_null"), col(t, "email:TEXT:unique"), col(t, "active:BOOLEAN:default=true"),
		col(t, "score:INTEGER:default=5"), col(t, "nick:TEXT"),
	})).After
	s = must(schema.PlanCreateTable(s, "orders", []cinch.Column{
		col(t, "user_id:TEXT:fk=users.cascade"), col(t, "note:TEXT"), col(t, "by_email:TEXT:fk=users.email.set_null"),
	})).After
	s = must(schema.PlanCreateIndex(s, cinch.IndexInfo{Table: "users", Columns: []string{"name"}})).After
	s = must(schema.PlanCreateView(s, "active_users", "SELECT name FROM users WHERE active = 1", false)).After
	return s
}

func wantErr(t *testing.T, err, sentinel error) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", sentinel)
	}
	if !errors.Is(err, sentinel) {
		t.Fatalf("got error %v (code %s), want %v", err, cinch.Code(err), sentinel)
	}
}

func TestPlan_Refusals(t *testing.T) {
	s := baseSchema(t)
	tests := []struct {
		name string
		plan func() (schema.Plan, error)
		want error
	}{
		{"create table existing", func() (schema.Plan, error) { return schema.PlanCreateTable(s, "users", nil) }, cinch.ErrTableExists},
		{"create table named like view", func() (schema.Plan, error) { return schema.PlanCreateTable(s, "active_users", nil) }, cinch.ErrTableExists},
		{"create table named like index", func() (schema.Plan, error) { return schema.PlanCreateTable(s, "idx_users_name", nil) }, cinch.ErrTableExists},
		{"create table bad name", func() (schema.Plan, error) { return schema.PlanCreateTable(s, "User", nil) }, cinch.ErrInvalidName},
		{"create table sqlite_ name", func() (schema.Plan, error) { return schema.PlanCreateTable(s, "sqlite_x", nil) }, cinch.ErrInvalidName},
		{"create table duplicate column", func() (schema.Plan, error) {
			return schema.PlanCreateTable(s, "t", []cinch.Column{col(t, "a:TEXT"), col(t, "a:INTEGER")})
		}, cinch.ErrColumnExists},
		{"create table reserved column", func() (schema.Plan, error) {
			return schema.PlanCreateTable(s, "t", []cinch.Column{{Name: "id", Type: cinch.TypeText, Nullable: true}})
		}, cinch.ErrInvalidName},
		{"create table bad type", func() (schema.Plan, error) {
			return schema.PlanCreateTable(s, "t", []cinch.Column{{Name: "a", Type: "VARCHAR", Nullable: true}})
		}, cinch.ErrInvalidInput},
		{"create table fk to missing table", func() (schema.Plan, error) {
			return schema.PlanCreateTable(s, "t", []cinch.Column{col(t, "x:TEXT:fk=nope")})
		}, cinch.ErrTableNotFound},
		{"create table fk to missing column", func() (schema.Plan, error) {
			return schema.PlanCreateTable(s, "t", []cinch.Column{col(t, "x:TEXT:fk=users.nope")})
		}, cinch.ErrColumnNotFound},
		{"create table fk to non-unique column", func() (schema.Plan, error) {
			return schema.PlanCreateTable(s, "t", []cinch.Column{col(t, "x:TEXT:fk=users.name")})
		}, cinch.ErrInvalidInput},
		{"copy table missing source", func() (schema.Plan, error) { return schema.PlanCopyTable(s, "nope", "t", false) }, cinch.ErrTableNotFound},
		{"copy table existing target", func() (schema.Plan, error) { return schema.PlanCopyTable(s, "users", "orders", false) }, cinch.ErrTableExists},
		{"copy table bad target", func() (schema.Plan, error) { return schema.PlanCopyTable(s, "users", "__x", false) }, cinch.ErrInvalidName},
		{"drop table missing", func() (schema.Plan, error) { return schema.PlanDropTable(s, "nope") }, cinch.ErrTableNotFound},
		{"drop table referenced by fk", func() (schema.Plan, error) { return schema.PlanDropTable(s, "users") }, cinch.ErrInvalidInput},
		{"drop table bad name", func() (schema.Plan, error) { return schema.PlanDropTable(s, "sqlite_master") }, cinch.ErrInvalidName},
		{"rename table missing", func() (schema.Plan, error) { return schema.PlanRenameTable(s, "nope", "t") }, cinch.ErrTableNotFound},
		{"rename table to existing", func() (schema.Plan, error) { return schema.PlanRenameTable(s, "users", "orders") }, cinch.ErrTableExists},
		{"rename table to itself", func() (schema.Plan, error) { return schema.PlanRenameTable(s, "users", "users") }, cinch.ErrTableExists},
		{"rename table to a view's name", func() (schema.Plan, error) { return schema.PlanRenameTable(s, "users", "active_users") }, cinch.ErrTableExists},
		{"rename table to an index's name", func() (schema.Plan, error) { return schema.PlanRenameTable(s, "users", "idx_users_name") }, cinch.ErrTableExists},
		{"rename table bad name", func() (schema.Plan, error) { return schema.PlanRenameTable(s, "users", "__x") }, cinch.ErrInvalidName},
		{"rename table bad old name", func() (schema.Plan, error) { return schema.PlanRenameTable(s, "sqlite_master", "x") }, cinch.ErrInvalidName},
		{"add column missing table", func() (schema.Plan, error) { return schema.PlanAddColumn(s, "nope", col(t, "a:TEXT")) }, cinch.ErrTableNotFound},
		{"add column existing", func() (schema.Plan, error) { return schema.PlanAddColumn(s, "users", col(t, "name:TEXT")) }, cinch.ErrColumnExists},
		{"add column reserved", func() (schema.Plan, error) {
			return schema.PlanAddColumn(s, "users", cinch.Column{Name: "created_at", Type: cinch.TypeText, Nullable: true})
		}, cinch.ErrInvalidName},
		{"add column not null without default", func() (schema.Plan, error) {
			return schema.PlanAddColumn(s, "users", col(t, "a:TEXT:not_null"))
		}, cinch.ErrInvalidInput},
		{"add column fk to missing table", func() (schema.Plan, error) {
			return schema.PlanAddColumn(s, "orders", col(t, "a:TEXT:fk=nope"))
		}, cinch.ErrTableNotFound},
		{"add column fk with default", func() (schema.Plan, error) {
			return schema.PlanAddColumn(s, "orders", col(t, "a:TEXT:fk=users:default=x"))
		}, cinch.ErrInvalidInput},
		{"add column bad boolean default", func() (schema.Plan, error) {
			return schema.PlanAddColumn(s, "users", cinch.Column{Name: "b", Type: cinch.TypeBoolean, Nullable: true, Default: ptr("maybe")})
		}, cinch.ErrInvalidInput},
		{"drop column missing table", func() (schema.Plan, error) { return schema.PlanDropColumn(s, "nope", "a") }, cinch.ErrTableNotFound},
		{"drop column missing", func() (schema.Plan, error) { return schema.PlanDropColumn(s, "users", "nope") }, cinch.ErrColumnNotFound},
		{"drop column automatic", func() (schema.Plan, error) { return schema.PlanDropColumn(s, "users", "id") }, cinch.ErrInvalidName},
		{"drop column used by index", func() (schema.Plan, error) { return schema.PlanDropColumn(s, "users", "name") }, cinch.ErrInvalidInput},
		{"drop column used by fk", func() (schema.Plan, error) { return schema.PlanDropColumn(s, "users", "email") }, cinch.ErrInvalidInput},
		{"drop column used by view", func() (schema.Plan, error) { return schema.PlanDropColumn(s, "users", "active") }, cinch.ErrInvalidInput},
		{"rename column missing", func() (schema.Plan, error) { return schema.PlanRenameColumn(s, "users", "nope", "x") }, cinch.ErrColumnNotFound},
		{"rename column to existing", func() (schema.Plan, error) { return schema.PlanRenameColumn(s, "users", "nick", "email") }, cinch.ErrColumnExists},
		{"rename column to automatic", func() (schema.Plan, error) { return schema.PlanRenameColumn(s, "users", "nick", "updated_at") }, cinch.ErrInvalidName},
		{"rename column missing table", func() (schema.Plan, error) { return schema.PlanRenameColumn(s, "nope", "a", "b") }, cinch.ErrTableNotFound},
		{"alter nullable missing column", func() (schema.Plan, error) {
			return schema.PlanAlterNullable(s, "users", "nope", true, nil)
		}, cinch.ErrColumnNotFound},
		{"alter nullable already nullable", func() (schema.Plan, error) {
			return schema.PlanAlterNullable(s, "users", "nick", true, nil)
		}, cinch.ErrInvalidInput},
		{"alter nullable already not null", func() (schema.Plan, error) {
			return schema.PlanAlterNullable(s, "users", "name", false, nil)
		}, cinch.ErrInvalidInput},
		{"alter nullable fill with nullable", func() (schema.Plan, error) {
			return schema.PlanAlterNullable(s, "users", "name", true, ptr("x"))
		}, cinch.ErrInvalidInput},
		{"alter nullable bad boolean fill", func() (schema.Plan, error) {
			s2 := mustPlan(t)(schema.PlanAddColumn(s, "users", col(t, "flag:BOOLEAN"))).After
			return schema.PlanAlterNullable(s2, "users", "flag", false, ptr("maybe"))
		}, cinch.ErrInvalidInput},
		{"create view existing", func() (schema.Plan, error) {
			return schema.PlanCreateView(s, "active_users", "SELECT 1", false)
		}, cinch.ErrViewExists},
		{"create view named like table", func() (schema.Plan, error) { return schema.PlanCreateView(s, "users", "SELECT 1", false) }, cinch.ErrViewExists},
		{"create view empty body", func() (schema.Plan, error) { return schema.PlanCreateView(s, "v", " ; ", false) }, cinch.ErrInvalidInput},
		{"update view missing", func() (schema.Plan, error) { return schema.PlanCreateView(s, "nope", "SELECT 1", true) }, cinch.ErrViewNotFound},
		{"drop view missing", func() (schema.Plan, error) { return schema.PlanDropView(s, "nope") }, cinch.ErrViewNotFound},
		{"create index missing table", func() (schema.Plan, error) {
			return schema.PlanCreateIndex(s, cinch.IndexInfo{Table: "nope", Columns: []string{"a"}})
		}, cinch.ErrTableNotFound},
		{"create index no columns", func() (schema.Plan, error) {
			return schema.PlanCreateIndex(s, cinch.IndexInfo{Table: "users"})
		}, cinch.ErrInvalidInput},
		{"create index missing column", func() (schema.Plan, error) {
			return schema.PlanCreateIndex(s, cinch.IndexInfo{Table: "users", Columns: []string{"nope"}})
		}, cinch.ErrColumnNotFound},
		{"create index existing name", func() (schema.Plan, error) {
			return schema.PlanCreateIndex(s, cinch.IndexInfo{Table: "users", Columns: []string{"name"}})
		}, cinch.ErrIndexExists},
		{"create index named like table", func() (schema.Plan, error) {
			return schema.PlanCreateIndex(s, cinch.IndexInfo{Name: "orders", Table: "users", Columns: []string{"nick"}})
		}, cinch.ErrIndexExists},
		{"drop index missing", func() (schema.Plan, error) { return schema.PlanDropIndex(s, "nope") }, cinch.ErrIndexNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := s.Clone()
			_, err := tc.plan()
			wantErr(t, err, tc.want)
			if diff := cmp.Diff(before, s); diff != "" {
				t.Errorf("a refused plan changed the schema (-before +after):\n%s", diff)
			}
		})
	}
}

func TestPlanCreateTable_SQL(t *testing.T) {
	s := schema.NewSchema()
	p := mustPlan(t)(schema.PlanCreateTable(s, "users", []cinch.Column{
		col(t, "name:TEXT:not_null"), col(t, "email:TEXT:unique"), col(t, "active:BOOLEAN:default=true"),
		col(t, "score:INTEGER:default=5"), col(t, "label:TEXT:default=it's"),
	}))
	if got, want := p.Change.Type, cinch.ChangeCreateTable; got != want {
		t.Errorf("type = %s, want %s", got, want)
	}
	if got, want := len(p.Change.SQL), 2; got != want {
		t.Fatalf("len(SQL) = %d, want %d: %q", got, want, p.Change.SQL)
	}
	create := p.Change.SQL[0]
	for _, frag := range []string{
		`CREATE TABLE "users" (`,
		`"id" TEXT PRIMARY KEY NOT NULL`,
		`"created_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))`,
		`"updated_at" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))`,
		`"name" TEXT NOT NULL`,
		`"email" TEXT UNIQUE`,
		`"active" BOOLEAN DEFAULT 1 CHECK ("active" IN (0, 1))`,
		`"score" INTEGER DEFAULT 5`,
		`"label" TEXT DEFAULT 'it''s'`,
	} {
		if !strings.Contains(create, frag) {
			t.Errorf("CREATE TABLE lacks %q:\n%s", frag, create)
		}
	}
	if i, j := strings.Index(create, `"updated_at"`), strings.Index(create, `"name"`); i > j {
		t.Errorf("automatic columns must come first:\n%s", create)
	}
	if got, want := p.Change.SQL[1], schema.TriggerSQL("users"); got != want {
		t.Errorf("SQL[1] = %q, want the trigger %q", got, want)
	}
	if p.DataDependent || p.Change.Rebuild {
		t.Errorf("create table is neither data-dependent nor a rebuild: %+v", p)
	}
	if got := p.After.Tables["users"]; got == nil || len(got.Columns) != 5 {
		t.Errorf("After has users = %+v", got)
	}

	t.Run("foreign key", func(t *testing.T) {
		p2 := mustPlan(t)(schema.PlanCreateTable(p.After, "orders", []cinch.Column{
			col(t, "user_id:TEXT:fk=users.cascade"), col(t, "by_email:TEXT:fk=users.email.set_null"),
			col(t, "parent:TEXT:fk=orders.restrict"),
		}))
		for _, frag := range []string{
			`"user_id" TEXT REFERENCES "users" ("id") ON DELETE CASCADE`,
			`"by_email" TEXT REFERENCES "users" ("email") ON DELETE SET NULL`,
			`"parent" TEXT REFERENCES "orders" ("id") ON DELETE RESTRICT`,
		} {
			if !strings.Contains(p2.Change.SQL[0], frag) {
				t.Errorf("CREATE TABLE lacks %q:\n%s", frag, p2.Change.SQL[0])
			}
		}
	})
}

func TestPlanCopyTable_SQL(t *testing.T) {
	s := baseSchema(t)
	for _, noData := range []bool{false, true} {
		p := mustPlan(t)(schema.PlanCopyTable(s, "users", "users_copy", noData))
		if got, want := p.Change.Type, cinch.ChangeCopyTable; got != want {
			t.Errorf("type = %s, want %s", got, want)
		}
		wantLen := 3
		if noData {
			wantLen = 2
		}
		if got := len(p.Change.SQL); got != wantLen {
			t.Fatalf("noData=%v: SQL = %q, want %d statements", noData, p.Change.SQL, wantLen)
		}
		if got, want := p.Change.SQL[0], schema.CreateTableSQL(s.Tables["users"], "users_copy"); got != want {
			t.Errorf("SQL[0] = %q, want %q", got, want)
		}
		if !noData {
			if got, want := p.Change.SQL[2], `INSERT INTO "users_copy" SELECT * FROM "users"`; got != want {
				t.Errorf("SQL[2] = %q, want %q", got, want)
			}
		}
		if diff := cmp.Diff(s.Tables["users"].Columns, p.After.Tables["users_copy"].Columns); diff != "" {
			t.Errorf("copied columns differ:\n%s", diff)
		}
	}
}

func TestPlanDropTable_SQL(t *testing.T) {
	s := baseSchema(t)
	p := mustPlan(t)(schema.PlanDropTable(s, "orders"))
	if diff := cmp.Diff([]string{`DROP TABLE "orders"`}, p.Change.SQL); diff != "" {
		t.Errorf("SQL:\n%s", diff)
	}
	if _, ok := p.After.Tables["orders"]; ok {
		t.Errorf("After still has orders")
	}
	// Dropping users drops its index from the model too (once nothing refers to it).
	s2 := mustPlan(t)(schema.PlanDropView(p.After, "active_users")).After
	p2 := mustPlan(t)(schema.PlanDropTable(s2, "users"))
	if got := len(p2.After.Indexes); got != 0 {
		t.Errorf("indexes after dropping users = %v, want none", p2.After.Indexes)
	}
	// A self-referencing table can be dropped.
	s3 := mustPlan(t)(schema.PlanCreateTable(s, "tree", []cinch.Column{col(t, "parent:TEXT:fk=tree")})).After
	mustPlan(t)(schema.PlanDropTable(s3, "tree"))
}

func TestPlanRenameTable_SQL(t *testing.T) {
	s := baseSchema(t)
	p := mustPlan(t)(schema.PlanRenameTable(s, "users", "people"))
	if got, want := p.Change.Type, cinch.ChangeRenameTable; got != want {
		t.Errorf("type = %s, want %s", got, want)
	}
	if got, want := p.Change.Entity, "users"; got != want {
		t.Errorf("entity = %q, want %q", got, want)
	}
	var d cinch.DetailsRename
	if err := json.Unmarshal(p.Change.Details, &d); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(cinch.DetailsRename{Table: "users", Old: "users", New: "people"}, d); diff != "" {
		t.Errorf("details:\n%s", diff)
	}
	want := []string{`ALTER TABLE "users" RENAME TO "people"`, `DROP TRIGGER "__cinch_users_updated_at"`, schema.TriggerSQL("people")}
	if diff := cmp.Diff(want, p.Change.SQL); diff != "" {
		t.Errorf("SQL:\n%s", diff)
	}
	if p.DataDependent || p.Change.Rebuild {
		t.Errorf("data-dependent %v, rebuild %v; want neither", p.DataDependent, p.Change.Rebuild)
	}
	// The model follows: same columns under the new name, its index and
	// the foreign keys to it (orders.user_id, orders.by_email) move along.
	a := p.After
	if _, ok := a.Tables["users"]; ok || a.Tables["people"] == nil || a.Tables["people"].Name != "people" {
		t.Fatalf("tables after = %v", a.TableNames())
	}
	if diff := cmp.Diff(s.Tables["users"].Columns, a.Tables["people"].Columns); diff != "" {
		t.Errorf("columns:\n%s", diff)
	}
	if got := a.Indexes["idx_users_name"].Table; got != "people" {
		t.Errorf("index table = %q, want people", got)
	}
	for _, c := range a.Tables["orders"].Columns {
		if c.ForeignKey != nil && c.ForeignKey.Table != "people" {
			t.Errorf("orders.%s references %q, want people", c.Name, c.ForeignKey.Table)
		}
	}
	// The plan did not touch the schema it was made on.
	if s.Tables["users"] == nil || s.Tables["orders"].Column("user_id").ForeignKey.Table != "users" {
		t.Error("planning changed the input schema")
	}
	// A self-reference follows too.
	s2 := mustPlan(t)(schema.PlanCreateTable(s, "tree", []cinch.Column{col(t, "parent:TEXT:fk=tree")})).After
	p2 := mustPlan(t)(schema.PlanRenameTable(s2, "tree", "forest"))
	if got := p2.After.Tables["forest"].Column("parent").ForeignKey.Table; got != "forest" {
		t.Errorf("self-reference after rename = %q, want forest", got)
	}
}

func TestPlanAddColumn_SQL(t *testing.T) {
	s := baseSchema(t)
	t.Run("plain", func(t *testing.T) {
		p := mustPlan(t)(schema.PlanAddColumn(s, "users", col(t, "phone:TEXT:not_null:default=none")))
		if diff := cmp.Diff([]string{`ALTER TABLE "users" ADD COLUMN "phone" TEXT NOT NULL DEFAULT 'none'`}, p.Change.SQL); diff != "" {
			t.Errorf("SQL:\n%s", diff)
		}
		if p.DataDependent || p.Change.Rebuild || p.Inverse != nil {
			t.Errorf("plain add column: %+v", p)
		}
		if p.After.Tables["users"].Column("phone") == nil {
			t.Errorf("After lacks users.phone")
		}
		if s.Tables["users"].Column("phone") != nil {
			t.Errorf("planning changed the input schema")
		}
	})
	t.Run("foreign key", func(t *testing.T) {
		p := mustPlan(t)(schema.PlanAddColumn(s, "orders", col(t, "other:TEXT:fk=users.set_null")))
		if diff := cmp.Diff([]string{`ALTER TABLE "orders" ADD COLUMN "other" TEXT REFERENCES "users" ("id") ON DELETE SET NULL`}, p.Change.SQL); diff != "" {
			t.Errorf("SQL:\n%s", diff)
		}
	})
	t.Run("unique is a data-dependent rebuild", func(t *testing.T) {
		p := mustPlan(t)(schema.PlanAddColumn(s, "users", col(t, "code:TEXT:unique")))
		if !p.Change.Rebuild || !p.DataDependent || !p.InverseRebuild || len(p.Inverse) == 0 {
			t.Fatalf("unique add column: rebuild=%v dataDependent=%v inverse=%q", p.Change.Rebuild, p.DataDependent, p.Inverse)
		}
		if got, want := p.Change.SQL[0], schema.CreateTableSQL(p.After.Tables["users"], "__cinch_new_users"); got != want {
			t.Errorf("SQL[0] = %q, want %q", got, want)
		}
		if strings.Contains(p.Change.SQL[1], `"code"`) {
			t.Errorf("the copy must leave the new column to its default: %s", p.Change.SQL[1])
		}
		if got, want := p.Inverse[0], schema.CreateTableSQL(s.Tables["users"], "__cinch_new_users"); got != want {
			t.Errorf("Inverse[0] = %q, want %q", got, want)
		}
	})
}

func TestPlanDropColumn_SQL(t *testing.T) {
	s := baseSchema(t)
	p := mustPlan(t)(schema.PlanDropColumn(s, "users", "nick"))
	if !p.Change.Rebuild || p.DataDependent {
		t.Errorf("drop column: rebuild=%v dataDependent=%v", p.Change.Rebuild, p.DataDependent)
	}
	want := []string{
		schema.CreateTableSQL(p.After.Tables["users"], "__cinch_new_users"),
		`INSERT INTO "__cinch_new_users" ("id", "created_at", "updated_at", "name", "email", "active", "score") SELECT "id", "created_at", "updated_at", "name", "email", "active", "score" FROM "users"`,
		`DROP TABLE "users"`,
		`PRAGMA legacy_alter_table=ON`,
		`ALTER TABLE "__cinch_new_users" RENAME TO "users"`,
		`PRAGMA legacy_alter_table=OFF`,
		schema.TriggerSQL("users"),
		`CREATE INDEX "idx_users_name" ON "users" ("name")`,
	}
	if diff := cmp.Diff(want, p.Change.SQL); diff != "" {
		t.Errorf("SQL (-want +got):\n%s", diff)
	}
	var d cinch.DetailsColumn
	if err := json.Unmarshal(p.Change.Details, &d); err != nil {
		t.Fatal(err)
	}
	if got, want := d.Column.Name, "nick"; got != want {
		t.Errorf("details column = %q, want %q", got, want)
	}
}

func TestPlanRenameColumn_SQL(t *testing.T) {
	s := baseSchema(t)
	p := mustPlan(t)(schema.PlanRenameColumn(s, "users", "name", "full_name"))
	if diff := cmp.Diff([]string{`ALTER TABLE "users" RENAME COLUMN "name" TO "full_name"`}, p.Change.SQL); diff != "" {
		t.Errorf("SQL:\n%s", diff)
	}
	if got, want := p.After.Indexes["idx_users_name"].Columns, []string{"full_name"}; !cmp.Equal(got, want) {
		t.Errorf("index columns after rename = %v, want %v", got, want)
	}
	if got := s.Indexes["idx_users_name"].Columns; !cmp.Equal(got, []string{"name"}) {
		t.Errorf("planning changed the input schema's index: %v", got)
	}
	p2 := mustPlan(t)(schema.PlanRenameColumn(s, "users", "email", "mail"))
	if got, want := p2.After.Tables["orders"].Column("by_email").ForeignKey.Column, "mail"; got != want {
		t.Errorf("orders.by_email references users.%s, want users.%s", got, want)
	}
	if got, want := s.Tables["orders"].Column("by_email").ForeignKey.Column, "email"; got != want {
		t.Errorf("planning changed the input schema's foreign key: %s", got)
	}
}

func TestPlanAlterNullable_SQL(t *testing.T) {
	s := baseSchema(t)
	t.Run("to nullable", func(t *testing.T) {
		p := mustPlan(t)(schema.PlanAlterNullable(s, "users", "name", true, nil))
		if !p.Change.Rebuild || p.DataDependent {
			t.Errorf("rebuild=%v dataDependent=%v", p.Change.Rebuild, p.DataDependent)
		}
		if !p.After.Tables["users"].Column("name").Nullable {
			t.Errorf("After: name still NOT NULL")
		}
		if strings.Contains(p.Change.SQL[0], `"name" TEXT NOT NULL`) {
			t.Errorf("new table keeps NOT NULL: %s", p.Change.SQL[0])
		}
	})
	t.Run("to not null without fill", func(t *testing.T) {
		p := mustPlan(t)(schema.PlanAlterNullable(s, "users", "nick", false, nil))
		if !p.Change.Rebuild || !p.DataDependent || !p.InverseRebuild || len(p.Inverse) == 0 {
			t.Errorf("rebuild=%v dataDependent=%v inverse=%q", p.Change.Rebuild, p.DataDependent, p.Inverse)
		}
		if !strings.Contains(p.Change.SQL[0], `"nick" TEXT NOT NULL`) {
			t.Errorf("new table lacks NOT NULL: %s", p.Change.SQL[0])
		}
	})
	t.Run("to not null with fill", func(t *testing.T) {
		p := mustPlan(t)(schema.PlanAlterNullable(s, "users", "nick", false, ptr("anon")))
		if p.DataDependent {
			t.Errorf("with a fill value the change cannot fail on data")
		}
		if !strings.Contains(p.Change.SQL[1], `COALESCE("nick", 'anon')`) {
			t.Errorf("copy lacks the fill: %s", p.Change.SQL[1])
		}
		var d cinch.DetailsNullable
		if err := json.Unmarshal(p.Change.Details, &d); err != nil {
			t.Fatal(err)
		}
		if d.FillValue == nil || *d.FillValue != "anon" || d.Nullable {
			t.Errorf("details = %+v", d)
		}
	})
	t.Run("numeric fill is not quoted", func(t *testing.T) {
		s2 := mustPlan(t)(schema.PlanAddColumn(s, "users", col(t, "n:INTEGER"))).After
		p := mustPlan(t)(schema.PlanAlterNullable(s2, "users", "n", false, ptr("0")))
		if !strings.Contains(p.Change.SQL[1], `COALESCE("n", 0)`) {
			t.Errorf("copy = %s", p.Change.SQL[1])
		}
	})
}

func TestPlanViews_SQL(t *testing.T) {
	s := baseSchema(t)
	p := mustPlan(t)(schema.PlanCreateView(s, "v", "  SELECT 1 AS one ;  ", false))
	if diff := cmp.Diff([]string{`CREATE VIEW "v" AS SELECT 1 AS one`}, p.Change.SQL); diff != "" {
		t.Errorf("create SQL:\n%s", diff)
	}
	p = mustPlan(t)(schema.PlanCreateView(s, "active_users", "SELECT email FROM users", true))
	if got, want := p.Change.Type, cinch.ChangeUpdateView; got != want {
		t.Errorf("type = %s, want %s", got, want)
	}
	if diff := cmp.Diff([]string{`DROP VIEW "active_users"`, `CREATE VIEW "active_users" AS SELECT email FROM users`}, p.Change.SQL); diff != "" {
		t.Errorf("update SQL:\n%s", diff)
	}
	p = mustPlan(t)(schema.PlanDropView(s, "active_users"))
	if diff := cmp.Diff([]string{`DROP VIEW "active_users"`}, p.Change.SQL); diff != "" {
		t.Errorf("drop SQL:\n%s", diff)
	}
	if _, ok := p.After.Views["active_users"]; ok {
		t.Errorf("After still has the view")
	}
}

func TestPlanIndexes_SQL(t *testing.T) {
	s := baseSchema(t)
	p := mustPlan(t)(schema.PlanCreateIndex(s, cinch.IndexInfo{Table: "users", Columns: []string{"nick", "score"}}))
	if got, want := p.Change.Entity, "idx_users_nick_score"; got != want {
		t.Errorf("default name = %q, want %q", got, want)
	}
	if diff := cmp.Diff([]string{`CREATE INDEX "idx_users_nick_score" ON "users" ("nick", "score")`}, p.Change.SQL); diff != "" {
		t.Errorf("SQL:\n%s", diff)
	}
	if p.DataDependent {
		t.Errorf("a plain index is not data-dependent")
	}
	p = mustPlan(t)(schema.PlanCreateIndex(s, cinch.IndexInfo{Name: "u_nick", Table: "users", Columns: []string{"nick"}, Unique: true}))
	if diff := cmp.Diff([]string{`CREATE UNIQUE INDEX "u_nick" ON "users" ("nick")`}, p.Change.SQL); diff != "" {
		t.Errorf("SQL:\n%s", diff)
	}
	if !p.DataDependent || !cmp.Equal(p.Inverse, []string{`DROP INDEX "u_nick"`}) || p.InverseRebuild {
		t.Errorf("unique index: dataDependent=%v inverse=%q inverseRebuild=%v", p.DataDependent, p.Inverse, p.InverseRebuild)
	}
	long := strings.Repeat("c", 60)
	s2 := mustPlan(t)(schema.PlanAddColumn(s, "users", cinch.Column{Name: long, Type: cinch.TypeText, Nullable: true})).After
	p = mustPlan(t)(schema.PlanCreateIndex(s2, cinch.IndexInfo{Table: "users", Columns: []string{long}}))
	if got := len(p.Change.Entity); got > cinch.MaxNameLength {
		t.Errorf("default index name has %d characters, want at most %d", got, cinch.MaxNameLength)
	}
	p = mustPlan(t)(schema.PlanDropIndex(s, "idx_users_name"))
	if diff := cmp.Diff([]string{`DROP INDEX "idx_users_name"`}, p.Change.SQL); diff != "" {
		t.Errorf("SQL:\n%s", diff)
	}
}
