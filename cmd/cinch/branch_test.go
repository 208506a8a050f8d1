package main

import (
	"strings"
	"testing"
)

// TestBranches walks branch create / switch / changes / merge / delete
// through the binary.
func TestBranches(t *testing.T) {
	c := runner{t: t, dir: t.TempDir()}
	c.ok("init")
	c.ok("table", "create", "users", "name:TEXT")
	c.ok("tenant", "create", "acme")
	c.ok("data", "insert", "users", "--tenant", "acme", "--data", `{"name": "Alice"}`)

	// create --switch: the new branch is active and holds a copy of the data.
	r := c.ok("branch", "create", "feature", "--switch")
	if !strings.Contains(r.stdout, "Created branch feature from main") || !strings.Contains(r.stdout, "switched") {
		t.Errorf("branch create: %s", r)
	}
	var st map[string]any
	c.json(&st, "status")
	if st["branch"] != "feature" {
		t.Errorf("active branch after create --switch = %v", st["branch"])
	}
	var rows []map[string]any
	c.json(&rows, "query", "SELECT name FROM users", "--tenant", "acme")
	if len(rows) != 1 {
		t.Fatalf("branch copy of acme: %v", rows)
	}

	// A write and a schema change on the branch are not on main.
	c.ok("data", "insert", "users", "--tenant", "acme", "--data", `{"name": "OnBranch"}`)
	c.ok("column", "add", "users", "phone:TEXT")
	var changes []map[string]any
	c.json(&changes, "branch", "changes")
	if len(changes) != 2 {
		t.Fatalf("feature changes: %v", changes)
	}
	c.json(&changes, "branch", "changes", "main")
	if len(changes) != 1 {
		t.Fatalf("main changes after a change on feature: %v", changes)
	}
	c.ok("branch", "switch", "main")
	c.json(&rows, "query", "SELECT * FROM users", "--tenant", "acme")
	if len(rows) != 1 || rows[0]["name"] != "Alice" {
		t.Errorf("main sees the branch's write: %v", rows)
	}
	if _, ok := rows[0]["phone"]; ok {
		t.Errorf("main sees the branch's column: %v", rows)
	}
	c.json(&rows, "query", "SELECT name FROM users", "--tenant", "acme", "--branch", "feature")
	if len(rows) != 2 {
		t.Errorf("--branch feature: %v", rows)
	}

	// --dry-run prints the plan and touches nothing.
	r = c.ok("branch", "merge", "feature", "--dry-run")
	for _, want := range []string{"fast-forward", "add_column", "ALTER TABLE", "phone", "dry run: nothing changed"} {
		if !strings.Contains(strings.ToLower(r.stdout), strings.ToLower(want)) {
			t.Errorf("dry run output lacks %q: %s", want, r)
		}
	}
	c.json(&changes, "branch", "changes", "main")
	if len(changes) != 1 {
		t.Fatalf("dry run changed main: %v", changes)
	}
	var plan map[string]any
	c.json(&plan, "branch", "merge", "feature", "main", "--dry-run")
	if plan["dry_run"] != true || plan["fast_forward"] != true || len(plan["changes"].([]any)) != 1 {
		t.Errorf("dry run JSON: %v", plan)
	}

	// Fast-forward merge: main gets the column, keeps its data (not the branch's rows).
	r = c.ok("branch", "merge-into-main", "feature")
	if !strings.Contains(r.stdout, "Merged feature into main (fast-forward)") {
		t.Errorf("merge output: %s", r)
	}
	c.json(&rows, "query", "SELECT * FROM users", "--tenant", "acme")
	if len(rows) != 1 || rows[0]["name"] != "Alice" {
		t.Errorf("main data after merge: %v", rows)
	} else if _, ok := rows[0]["phone"]; !ok {
		t.Errorf("merge did not add the column on main: %v", rows)
	}
	var info map[string]any
	c.json(&info, "branch", "info", "feature")
	if info["parent"] != "main" || info["changes"] != 2.0 || info["tenants"] != 2.0 {
		t.Errorf("branch info: %v", info)
	}
	if m, _ := info["merged_into"].([]any); len(m) != 1 || m[0] != "main" {
		t.Errorf("branch info merged_into: %v", info["merged_into"])
	}

	// Conflict: the same column added with different types on both sides.
	c.ok("branch", "create", "b2")
	c.ok("column", "add", "users", "age:INTEGER", "--branch", "b2")
	c.ok("column", "add", "users", "age:TEXT")
	r = c.run("branch", "merge", "b2", "main")
	if r.code != 1 || r.stdout != "" {
		t.Errorf("conflicting merge: %s", r)
	}
	for _, want := range []string{"conflict", "users.age", "b2:", "main:", "INTEGER", "TEXT", "Error: "} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("conflict report lacks %q: %s", want, r)
		}
	}
	if n := strings.Count(r.stderr, "Error: "); n != 1 {
		t.Errorf("want one Error line, got %d: %s", n, r)
	}
	c.json(&changes, "branch", "changes", "main")
	if len(changes) != 3 {
		t.Errorf("refused merge changed main: %d changes", len(changes))
	}

	// Bad input.
	c.fail([]string{"branch", "merge", "main"}, "into itself")
	c.fail([]string{"branch", "merge", "feature", "feature"}, "into itself")
	c.fail([]string{"branch", "merge", "nope", "main"}, "not found")
	c.fail([]string{"branch", "delete", "main", "--force"}, `"main" cannot be deleted`)
	c.fail([]string{"branch", "create", "Bad-Name"}, "Bad-Name")
	c.fail([]string{"branch", "create", "feature"}, "exists")
	c.fail([]string{"branch", "switch", "nope"}, "not found")

	// Delete: asks (refused without --force off a terminal), not the active one.
	c.fail([]string{"branch", "delete", "b2"}, "--force")
	c.ok("branch", "switch", "b2")
	c.fail([]string{"branch", "delete", "b2", "--force"}, "active branch")
	c.ok("branch", "switch", "main")
	c.ok("branch", "delete", "b2", "--force")
	var list []map[string]any
	c.json(&list, "branch", "list")
	if got := names(t, list); len(got) != 2 || contains(got, "b2") {
		t.Errorf("branches after delete: %v", got)
	}
}
