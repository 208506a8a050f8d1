package schema_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/schema"
	"github.com/google/go-cmp/cmp"
)

// branchHistory is a change history as a branch records it: planned
// changes stamped with ids, and the schema they end on.
type branchHistory struct {
	t       *testing.T
	changes []cinch.Change
	s       *schema.Schema
}

func newBranchHistory(t *testing.T) *branchHistory {
	return &branchHistory{t: t, s: schema.NewSchema()}
}

// fork copies a history, as creating a branch does (ids included).
func (h *branchHistory) fork() *branchHistory {
	return &branchHistory{t: h.t, changes: append([]cinch.Change{}, h.changes...), s: h.s.Clone()}
}

func (h *branchHistory) add(id string, plan func(*schema.Schema) (schema.Plan, error)) cinch.Change {
	h.t.Helper()
	p, err := plan(h.s)
	if err != nil {
		h.t.Fatalf("plan %s: %v", id, err)
	}
	p.Change.ID = id
	h.changes = append(h.changes, p.Change)
	h.s = p.After
	return p.Change
}

// usersAndOrdersHistory is users(name, email UNIQUE), orders(user_id ->
// users), index idx_users_name.
func usersAndOrdersHistory(t *testing.T) *branchHistory {
	h := newBranchHistory(t)
	h.add("base-1", func(s *schema.Schema) (schema.Plan, error) {
		return schema.PlanCreateTable(s, "users", []cinch.Column{col(t, "name:TEXT"), col(t, "email:TEXT:unique")})
	})
	h.add("base-2", func(s *schema.Schema) (schema.Plan, error) {
		return schema.PlanCreateTable(s, "orders", []cinch.Column{col(t, "user_id:TEXT:fk=users"), col(t, "by_email:TEXT:fk=users.email")})
	})
	h.add("base-3", func(s *schema.Schema) (schema.Plan, error) {
		return schema.PlanCreateIndex(s, cinch.IndexInfo{Table: "users", Columns: []string{"name"}})
	})
	return h
}

func renameUsers(s *schema.Schema) (schema.Plan, error) {
	return schema.PlanRenameTable(s, "users", "people")
}

// TestPlanMerge_RenameTable: a table renamed on a branch merges into a
// target that moved on elsewhere (the rename is planned again there), and
// is refused when the target changed that table or took the new name.
// Before RENAME_TABLE had a replan entry, every such merge was refused as
// "does not apply to the target schema".
func TestPlanMerge_RenameTable(t *testing.T) {
	t.Run("merges", func(t *testing.T) {
		main := usersAndOrdersHistory(t)
		feat := main.fork()
		rename := feat.add("feat-1", renameUsers)
		main.add("main-1", func(s *schema.Schema) (schema.Plan, error) {
			return schema.PlanAddColumn(s, "orders", col(t, "note:TEXT"))
		})

		mp, err := schema.PlanMerge(feat.changes, main.changes, main.s, "feat")
		if err != nil {
			t.Fatalf("PlanMerge: %v (conflicts %+v)", err, mp.Conflicts)
		}
		if got, want := mp.Ancestor, "base-3"; got != want {
			t.Errorf("ancestor = %q, want %q", got, want)
		}
		if mp.FastForward {
			t.Error("fast-forward, want a three-way merge")
		}
		if len(mp.Changes) != 1 {
			t.Fatalf("changes = %+v, want the rename alone", mp.Changes)
		}
		got := mp.Changes[0]
		if got.ID != rename.ID || got.Type != cinch.ChangeRenameTable || got.MergedFrom != "feat" {
			t.Errorf("merged change = %s %s from %q, want %s RENAME_TABLE from feat", got.ID, got.Type, got.MergedFrom, rename.ID)
		}
		want, err := schema.PlanRenameTable(main.s, "users", "people")
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want.Change.SQL, got.SQL); diff != "" {
			t.Errorf("SQL (-want +got):\n%s", diff)
		}
		// The target replays to the renamed table, its note column kept,
		// its index and foreign keys following the table.
		after := main.s.Clone()
		if err := after.Apply(got); err != nil {
			t.Fatal(err)
		}
		if _, ok := after.Tables["users"]; ok {
			t.Error("users still in the merged schema")
		}
		if after.Tables["people"] == nil || after.Tables["orders"].Column("note") == nil {
			t.Fatalf("merged schema tables = %v, want people and orders with note", after.TableNames())
		}
		if got := after.Indexes["idx_users_name"].Table; got != "people" {
			t.Errorf("index table = %q, want people", got)
		}
		for _, c := range []string{"user_id", "by_email"} {
			if got := after.Tables["orders"].Column(c).ForeignKey.Table; got != "people" {
				t.Errorf("orders.%s references %q, want people", c, got)
			}
		}
	})

	t.Run("fast-forward", func(t *testing.T) {
		main := usersAndOrdersHistory(t)
		feat := main.fork()
		feat.add("feat-1", renameUsers)
		mp, err := schema.PlanMerge(feat.changes, main.changes, main.s, "feat")
		if err != nil {
			t.Fatalf("PlanMerge: %v", err)
		}
		if !mp.FastForward || len(mp.Changes) != 1 || mp.Changes[0].Type != cinch.ChangeRenameTable {
			t.Errorf("plan = %+v, want a fast-forward of the rename", mp)
		}
	})

	conflicts := []struct {
		name   string
		target func(t *testing.T) func(*schema.Schema) (schema.Plan, error)
		entity string
	}{
		{"target added a column to it", func(t *testing.T) func(*schema.Schema) (schema.Plan, error) {
			return func(s *schema.Schema) (schema.Plan, error) {
				return schema.PlanAddColumn(s, "users", col(t, "age:INTEGER"))
			}
		}, "table:users"},
		{"target renamed a column of it", func(*testing.T) func(*schema.Schema) (schema.Plan, error) {
			return func(s *schema.Schema) (schema.Plan, error) {
				return schema.PlanRenameColumn(s, "users", "name", "full_name")
			}
		}, "table:users"},
		{"target indexed it", func(*testing.T) func(*schema.Schema) (schema.Plan, error) {
			return func(s *schema.Schema) (schema.Plan, error) {
				return schema.PlanCreateIndex(s, cinch.IndexInfo{Table: "users", Columns: []string{"email", "name"}})
			}
		}, "table:users"},
		{"target created a table of the new name", func(*testing.T) func(*schema.Schema) (schema.Plan, error) {
			return func(s *schema.Schema) (schema.Plan, error) { return schema.PlanCreateTable(s, "people", nil) }
		}, "table:people"},
		{"target renamed it elsewhere", func(*testing.T) func(*schema.Schema) (schema.Plan, error) {
			return func(s *schema.Schema) (schema.Plan, error) { return schema.PlanRenameTable(s, "users", "members") }
		}, "table:users"},
	}
	for _, tc := range conflicts {
		t.Run("conflict: "+tc.name, func(t *testing.T) {
			main := usersAndOrdersHistory(t)
			feat := main.fork()
			rename := feat.add("feat-1", renameUsers)
			other := main.add("main-1", tc.target(t))

			mp, err := schema.PlanMerge(feat.changes, main.changes, main.s, "feat")
			if !errors.Is(err, cinch.ErrConflict) {
				t.Fatalf("PlanMerge: %v, want ErrConflict", err)
			}
			if len(mp.Changes) != 0 {
				t.Errorf("changes = %+v, want none", mp.Changes)
			}
			if len(mp.Conflicts) != 1 {
				t.Fatalf("conflicts = %+v, want one", mp.Conflicts)
			}
			c := mp.Conflicts[0]
			if c.Entity != tc.entity || len(c.Source) != 1 || c.Source[0].ID != rename.ID || len(c.Target) != 1 || c.Target[0].ID != other.ID {
				t.Errorf("conflict = %s %s / %s, want %s between %s and %s", c.Entity, ids(c.Source), ids(c.Target), tc.entity, rename.ID, other.ID)
			}
		})
	}

	t.Run("conflict: source changed a table the target renamed", func(t *testing.T) {
		main := usersAndOrdersHistory(t)
		feat := main.fork()
		feat.add("feat-1", func(s *schema.Schema) (schema.Plan, error) {
			return schema.PlanAddColumn(s, "users", col(t, "age:INTEGER"))
		})
		main.add("main-1", renameUsers)
		mp, err := schema.PlanMerge(feat.changes, main.changes, main.s, "feat")
		if !errors.Is(err, cinch.ErrConflict) || len(mp.Conflicts) != 1 || mp.Conflicts[0].Entity != "table:users" {
			t.Fatalf("PlanMerge = %v, conflicts %+v; want ErrConflict on table:users", err, mp.Conflicts)
		}
	})

	t.Run("renamed identically on both sides", func(t *testing.T) {
		main := usersAndOrdersHistory(t)
		feat := main.fork()
		feat.add("feat-1", renameUsers)
		main.add("main-1", renameUsers)
		mp, err := schema.PlanMerge(feat.changes, main.changes, main.s, "feat")
		if err != nil || len(mp.Changes) != 0 {
			t.Fatalf("PlanMerge = %+v, %v; want nothing to apply", mp, err)
		}
	})
}

func ids(cs []cinch.Change) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return fmt.Sprint(out)
}
