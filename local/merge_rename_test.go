package local_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
	"github.com/cinchdb/cinch/schema"
)

func renameTable(ctx context.Context, t *testing.T, db cinch.DB, oldName, newName string) cinch.Change {
	t.Helper()
	ch, err := local.ChangeWith(ctx, db.(*local.DB), func(s *schema.Schema) (schema.Plan, error) {
		return schema.PlanRenameTable(s, oldName, newName)
	})
	if err != nil {
		t.Fatalf("rename table %s to %s: %v", oldName, newName, err)
	}
	return ch
}

func tableNames(t *testing.T, db cinch.DB) []string {
	t.Helper()
	tables, err := db.Tables().List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tb := range tables {
		out = append(out, tb.Name)
	}
	return out
}

// TestBranches_MergeRenameTable: a table renamed on a branch, merged into
// main after main moved on, is renamed on every main tenant with main's
// rows (lazy tenants included), keeps its updated_at trigger, and frees
// the old name. When main changed that table meanwhile, the merge is
// refused as a conflict and nothing changes. Before RENAME_TABLE could be
// planned again on the target, every such merge was refused.
func TestBranches_MergeRenameTable(t *testing.T) {
	ctx := context.Background()

	t.Run("merges", func(t *testing.T) {
		_, db := newBranchProject(t)
		if _, err := db.Branches().Create(ctx, "feat", "main"); err != nil {
			t.Fatal(err)
		}
		feat := db.SwitchBranch("feat")
		rename := renameTable(ctx, t, feat, "users", "people")
		// main moves on: a row and an unrelated table after the fork.
		if _, err := db.SwitchTenant("acme").Insert(ctx, "users", cinch.Record{"name": "Bob"}); err != nil {
			t.Fatal(err)
		}
		mustChange(t)(db.Tables().Create(ctx, "notes", []cinch.Column{mustCol(t, "body:TEXT")}))

		res, err := db.Branches().Merge(ctx, "feat", "main", false)
		if err != nil {
			t.Fatalf("merge: %v (conflicts %+v)", err, res.Conflicts)
		}
		if res.FastForward || len(res.Changes) != 1 || res.Changes[0].ID != rename.ID || res.Changes[0].Type != cinch.ChangeRenameTable {
			t.Fatalf("merge result = %+v, want the rename alone, three-way", res)
		}
		if got, want := tableNames(t, db), []string{"notes", "people"}; !slices.Equal(got, want) {
			t.Errorf("main tables = %v, want %v", got, want)
		}
		tenants, err := db.Tenants().List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]string{"main": nil, "acme": {"Alice", "Bob"}, "wayne": nil}
		if len(tenants) != len(want) {
			t.Fatalf("main tenants = %+v, want %d", tenants, len(want))
		}
		for _, ti := range tenants {
			tn := db.SwitchTenant(ti.Name)
			res, err := tn.Query(ctx, "SELECT name FROM people ORDER BY name")
			if err != nil {
				t.Fatalf("tenant %s: %v", ti.Name, err)
			}
			var names []string
			for _, r := range res.Records() {
				names = append(names, r["name"].(string))
			}
			if !slices.Equal(names, want[ti.Name]) {
				t.Errorf("tenant %s people = %v, want %v", ti.Name, names, want[ti.Name])
			}
			if _, err := tn.Query(ctx, "SELECT count(*) FROM users"); err == nil {
				t.Errorf("tenant %s still has users", ti.Name)
			}
		}
		// The renamed table is a full cinch table: inserts, and updates move updated_at.
		acme := db.SwitchTenant("acme")
		rec, err := acme.Insert(ctx, "people", cinch.Record{"name": "Carol"})
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			"UPDATE people SET updated_at = '2000-01-01T00:00:00.000Z' WHERE id = ?", // sets it: the trigger stays out
			"UPDATE people SET name = 'Caroline' WHERE id = ?",                       // leaves it: the trigger moves it
		} {
			if _, err := acme.Query(ctx, q, rec["id"]); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if got := count(t, acme, "SELECT count(*) AS n FROM people WHERE name = 'Caroline' AND updated_at > '2000-01-01T00:00:00.000Z'"); got != 1 {
			t.Errorf("updated_at did not move after an update of the renamed table")
		}
		// The old name is free again, trigger included.
		mustChange(t)(db.Tables().Create(ctx, "users", []cinch.Column{mustCol(t, "name:TEXT")}))
	})

	t.Run("conflict", func(t *testing.T) {
		_, db := newBranchProject(t)
		if _, err := db.Branches().Create(ctx, "feat", "main"); err != nil {
			t.Fatal(err)
		}
		rename := renameTable(ctx, t, db.SwitchBranch("feat"), "users", "people")
		add := mustChange(t)(db.Columns().Add(ctx, "users", mustCol(t, "age:INTEGER")))

		res, err := db.Branches().Merge(ctx, "feat", "main", false)
		if !errors.Is(err, cinch.ErrConflict) {
			t.Fatalf("merge: %v, want ErrConflict", err)
		}
		if len(res.Conflicts) != 1 {
			t.Fatalf("conflicts = %+v, want one", res.Conflicts)
		}
		c := res.Conflicts[0]
		if c.Entity != "table:users" || len(c.Source) != 1 || c.Source[0].ID != rename.ID || len(c.Target) != 1 || c.Target[0].ID != add.ID {
			t.Errorf("conflict = %+v, want table:users between the rename and the added column", c)
		}
		if got, want := tableNames(t, db), []string{"users"}; !slices.Equal(got, want) {
			t.Errorf("main tables after a refused merge = %v, want %v", got, want)
		}
		if got := count(t, db.SwitchTenant("acme"), "SELECT count(*) AS n FROM users"); got != 1 {
			t.Errorf("main acme users rows = %d, want 1", got)
		}
	})
}
