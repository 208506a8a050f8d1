package main

// Strict tenant context through the real binary: cinch config set
// strict_tenant, cinch init --strict, and which commands then need
// --tenant (data commands) and which do not (schema, tenant and fan-out
// commands).

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// countUsers returns the number of rows of users on tenant.
func countUsers(c runner, tenant string) float64 {
	c.t.Helper()
	var rows []map[string]any
	c.json(&rows, "query", "SELECT count(*) AS n FROM users", "--tenant", tenant)
	return rows[0]["n"].(float64)
}

func TestStrictTenant(t *testing.T) {
	dir := t.TempDir()
	c := runner{t: t, dir: dir}
	c.ok("init")
	c.ok("table", "create", "users", "name:TEXT")
	c.ok("tenant", "create", "acme")

	// Off by default: the seed's walkthrough runs on main without --tenant.
	var strict bool
	c.json(&strict, "config", "get", "strict_tenant")
	if strict {
		t.Fatal("strict_tenant is on in a new project")
	}
	c.ok("data", "insert", "users", "--data", `{"name": "on main"}`)
	c.ok("query", "SELECT * FROM users")
	if n := countUsers(c, "main"); n != 1 {
		t.Fatalf("main has %v rows, want 1", n)
	}

	r := c.ok("config", "set", "strict_tenant", "true")
	if !strings.Contains(r.stdout, "Set strict_tenant to true") {
		t.Errorf("config set: %s", r)
	}
	config, err := os.ReadFile(filepath.Join(dir, ".cinchdb", "config.toml"))
	if err != nil || !strings.Contains(string(config), "strict_tenant = true") {
		t.Errorf("config.toml: %q, %v", config, err)
	}

	// Every data command without --tenant fails, names --tenant, and
	// changes nothing.
	for _, args := range [][]string{
		{"query", "SELECT * FROM users"},
		{"query", "UPDATE users SET name = 'x'"},
		{"data", "insert", "users", "--data", `{"name": "x"}`},
		{"data", "update", "users", "some-id", "--data", `{"name": "x"}`},
		{"data", "delete", "users", "some-id"},
		{"query", "SELECT * FROM users", "--format", "json"},
	} {
		r := c.fail(args, "needs --tenant", "strict_tenant", "cinch "+args[0])
		if strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("want one line on stderr, got %s", r)
		}
	}
	if n := countUsers(c, "main"); n != 1 {
		t.Errorf("main has %v rows after the refused commands, want 1", n)
	}

	// With --tenant they work, main included.
	c.ok("data", "insert", "users", "--tenant", "acme", "--data", `{"name": "on acme"}`)
	c.ok("data", "insert", "users", "-t", "main", "--data", `{"name": "also on main"}`)
	c.ok("query", "SELECT * FROM users", "--tenant", "acme")
	if n := countUsers(c, "main"); n != 2 {
		t.Errorf("main has %v rows, want 2", n)
	}

	// Schema, tenant, branch and fan-out commands are branch-level: not
	// affected.
	for _, args := range [][]string{
		{"table", "create", "orders", "total:REAL"},
		{"column", "add", "users", "email:TEXT"},
		{"index", "create", "users", "email"},
		{"view", "create", "names", "SELECT name FROM users"},
		{"table", "list"},
		{"table", "info", "users"},
		{"tenant", "create", "wayne"},
		{"tenant", "list"},
		{"tenant", "info", "acme"},
		{"tenant", "check", "--all"},
		{"status"},
		{"branch", "changes"},
		{"query", "SELECT count(*) AS n FROM users", "--all-tenants"},
		{"query", "SELECT count(*) AS n FROM users", "--tenants", "acme,main"},
	} {
		c.ok(args...)
	}

	// Switching the database keeps the setting (config.toml is rewritten).
	c.ok("db", "create", "other", "--switch")
	c.fail([]string{"query", "SELECT 1"}, "needs --tenant")
	c.ok("db", "switch", "main")

	var list map[string]any
	c.json(&list, "config", "list")
	if list["strict_tenant"] != true || list["active_database"] != "main" || list["active_branch"] != "main" {
		t.Errorf("config list: %v", list)
	}
	if r := c.ok("config", "get", "strict_tenant"); r.stdout != "true\n" {
		t.Errorf("config get strict_tenant: %q", r.stdout)
	}

	// Off again: back to main by default.
	c.ok("config", "set", "strict_tenant", "false")
	c.ok("query", "SELECT * FROM users")
	c.ok("data", "insert", "users", "--data", `{"name": "main again"}`)
	if n := countUsers(c, "main"); n != 3 {
		t.Errorf("main has %v rows, want 3", n)
	}
}

func TestInitStrict(t *testing.T) {
	dir := t.TempDir()
	c := runner{t: t, dir: dir}
	var out map[string]any
	c.json(&out, "init", "--strict")
	if out["strict_tenant"] != true {
		t.Errorf("init --strict: %v", out)
	}
	c.ok("table", "create", "users", "name:TEXT")
	c.fail([]string{"query", "SELECT * FROM users"}, "needs --tenant")
	c.ok("query", "SELECT * FROM users", "--tenant", "main")

	plain := runner{t: t, dir: t.TempDir()}
	plain.json(&out, "init")
	if out["strict_tenant"] != false {
		t.Errorf("init: %v", out)
	}
}

func TestConfigErrors(t *testing.T) {
	c := runner{t: t, dir: t.TempDir()}
	c.fail([]string{"config", "get", "strict_tenant"}, "No CinchDB project found")
	c.ok("init")
	c.fail([]string{"config", "set", "strict_tenant", "maybe"}, "true or false", `"maybe"`)
	c.fail([]string{"config", "set", "nope", "true"}, `unknown setting "nope"`, "strict_tenant")
	c.fail([]string{"config", "get", "nope"}, `unknown setting "nope"`)
	c.fail([]string{"config", "set", "active_branch", "x"}, "cinch branch switch")
	c.fail([]string{"config", "set", "strict_tenant"}, "accepts 2 arg")
}
