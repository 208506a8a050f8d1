package main

// cinch data select, and data update and data delete by --where (issue 15,
// item 3), through the real binary.

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDataFilters(t *testing.T) {
	dir := t.TempDir()
	c := runner{t: t, dir: dir}
	c.ok("init")
	c.ok("table", "create", "users", "name:TEXT:not_null", "age:INTEGER", "active:BOOLEAN:default=true", "phone:TEXT")
	c.ok("tenant", "create", "acme")
	c.ok("tenant", "create", "idle", "--lazy")
	c.ok("data", "insert", "users", "--tenant", "acme", "--data",
		`[{"name": "Alice", "age": 31}, {"name": "Bob", "age": 25, "active": false}, {"name": "Carol", "age": 31, "phone": "555"},
		  {"name": "a, b", "age": 40}, {"name": "x' OR '1'='1"}]`)

	sel := func(args ...string) []string {
		t.Helper()
		var rows []map[string]any
		c.json(&rows, append([]string{"data", "select", "users", "--tenant", "acme"}, args...)...)
		out := []string{}
		for _, r := range rows {
			out = append(out, r["name"].(string))
		}
		return out
	}
	cases := []struct {
		args []string
		want []string
	}{
		{nil, []string{"Alice", "Bob", "Carol", "a, b", "x' OR '1'='1"}},
		{[]string{"--where", "age>30"}, []string{"Alice", "Carol", "a, b"}},
		{[]string{"-w", "age=31", "--where", "phone is null"}, []string{"Alice"}},
		{[]string{"--where", "active=false"}, []string{"Bob"}},
		{[]string{"--where", "name in ('a, b', Bob)"}, []string{"Bob", "a, b"}},
		{[]string{"--where", "name like a%"}, []string{"Alice", "a, b"}},
		{[]string{"--where", "age is null"}, []string{"x' OR '1'='1"}},
		{[]string{"--where", "name=x' OR '1'='1"}, []string{"x' OR '1'='1"}},
		{[]string{"--where", "name=Alice' OR 'a'='a"}, []string{}},
		{[]string{"--order-by", "age:desc,name", "--limit", "3"}, []string{"a, b", "Alice", "Carol"}},
		{[]string{"--order-by", "age", "--order-by", "name:desc", "--limit", "2", "--offset", "1"}, []string{"Bob", "Carol"}}, // NULL first,
	}
	for _, tc := range cases {
		if got := sel(tc.args...); !slices.Equal(got, tc.want) {
			t.Errorf("data select %v: %q, want %q", tc.args, got, tc.want)
		}
	}
	r := c.ok("data", "select", "users", "--tenant", "acme", "--where", "age>30", "--format", "csv")
	if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); len(lines) != 4 || lines[0] != "id,created_at,updated_at,name,age,active,phone" {
		t.Errorf("csv: %s", r)
	}
	r = c.ok("data", "select", "users", "--tenant", "acme", "--where", "age=31")
	if !strings.Contains(r.stdout, "Alice") || !strings.Contains(r.stdout, "(2 rows)") {
		t.Errorf("table: %s", r)
	}
	var none []map[string]any
	c.json(&none, "data", "select", "users") // tenant main has no rows
	if none == nil || len(none) != 0 {
		t.Errorf("select on main: %v", none)
	}
	c.json(&none, "data", "select", "users", "--tenant", "idle", "--where", "age>1")
	if len(none) != 0 || exists(filepath.Join(dir, ".cinchdb", "databases", "main", "branches", "main", "tenants", "idle.db")) {
		t.Errorf("select on a lazy tenant: %v, or it got a file", none)
	}

	// Update and delete by filter.
	r = c.ok("data", "update", "users", "--tenant", "acme", "--where", "age=31", "--data", `{"phone": "555-0199"}`)
	if strings.TrimSpace(r.stdout) != "Updated 2 rows in users (tenant acme)" {
		t.Errorf("update: %s", r)
	}
	if got := sel("--where", "phone=555-0199"); !slices.Equal(got, []string{"Alice", "Carol"}) {
		t.Errorf("after update: %q", got)
	}
	var n map[string]int64
	c.json(&n, "data", "update", "users", "--tenant", "acme", "--where", "name=nobody", "--data", `{"age": 1}`)
	if n["rows_affected"] != 0 {
		t.Errorf("update of nothing: %v", n)
	}
	r = c.ok("data", "delete", "users", "--tenant", "acme", "--where", "name=x' OR '1'='1")
	if strings.TrimSpace(r.stdout) != "Deleted 1 row from users (tenant acme)" {
		t.Errorf("delete of the hostile row: %s", r)
	}

	// Refusals change nothing.
	c.fail([]string{"data", "delete", "users", "--tenant", "acme"}, "give the id of a row, or --where", "--all")
	c.fail([]string{"data", "update", "users", "--tenant", "acme", "--data", `{"age": 1}`}, "--where", "--all")
	c.fail([]string{"data", "delete", "users", "some-id", "--tenant", "acme", "--where", "age>1"}, "not both")
	c.fail([]string{"data", "delete", "users", "some-id", "--all"}, "not both")
	c.fail([]string{"data", "delete", "users", "--tenant", "acme", "--where", "nope=1"}, `column "users.nope" not found`, "cinch column list users")
	c.fail([]string{"data", "select", "users", "--tenant", "acme", "--where", "age"}, "invalid filter", "COLUMN OP VALUE")
	c.fail([]string{"data", "select", "users", "--where", "Age=1"}, "invalid column name")
	c.fail([]string{"data", "select", "users", "--order-by", "age:up"}, "asc or desc")
	c.fail([]string{"data", "select", "users", "--limit", "-1"}, "--limit")
	c.fail([]string{"data", "select", "nope"}, `table "nope" not found`)
	c.fail([]string{"data", "update", "users", "--tenant", "acme", "--where", "age>1", "--data", `{"id": "x"}`}, "set automatically")
	if got := sel(); len(got) != 4 {
		t.Errorf("refusals changed rows: %q", got)
	}

	// By id, as before.
	var rows []map[string]any
	c.json(&rows, "data", "select", "users", "--tenant", "acme", "--where", "name=Bob")
	id := rows[0]["id"].(string)
	r = c.ok("data", "update", "users", id, "--tenant", "acme", "--data", `{"age": 26}`)
	if strings.TrimSpace(r.stdout) != "Updated row "+id+" in users (tenant acme)" {
		t.Errorf("update by id: %s", r)
	}
	r = c.ok("data", "delete", "users", id, "ghost", "--tenant", "acme")
	if strings.TrimSpace(r.stdout) != "Deleted 1 row from users (tenant acme)" {
		t.Errorf("delete by id: %s", r)
	}

	// Every row, when asked for.
	c.json(&n, "data", "delete", "users", "--tenant", "acme", "--all")
	if n["rows_affected"] != 3 {
		t.Errorf("delete --all: %v", n)
	}
}
