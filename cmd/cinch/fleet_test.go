package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fleet sets up a project with a users table and tenants acme (1 row),
// wayne (2 rows), main (empty) and lazy1 (lazy), and returns the runner
// and the tenants folder of branch main.
func fleet(t *testing.T) (runner, string) {
	t.Helper()
	dir := t.TempDir()
	c := runner{t: t, dir: dir}
	c.ok("init")
	c.ok("table", "create", "users", "name:TEXT")
	c.ok("tenant", "create", "acme")
	c.ok("tenant", "create", "wayne")
	c.ok("tenant", "create", "lazy1", "--lazy")
	c.ok("data", "insert", "users", "--tenant", "acme", "--data", `{"name": "Alice"}`)
	c.ok("data", "insert", "users", "--tenant", "wayne", "--data", `[{"name": "Bruce"}, {"name": "Alfred"}]`)
	return c, filepath.Join(dir, ".cinchdb", "databases", "main", "branches", "main", "tenants")
}

type tenantRows struct {
	Tenant string           `json:"tenant"`
	Rows   []map[string]any `json:"rows"`
	Error  *string          `json:"error"`
}

func byTenant(per []tenantRows) map[string]tenantRows {
	m := map[string]tenantRows{}
	for _, p := range per {
		m[p.Tenant] = p
	}
	return m
}

func TestFanOut(t *testing.T) {
	c, tenants := fleet(t)

	// Table: a leading tenant column, one line per row.
	r := c.ok("query", "SELECT name FROM users ORDER BY name", "--all-tenants")
	lines := strings.Split(r.stdout, "\n")
	if len(lines) < 2 || !strings.Contains(lines[1], "tenant") || strings.Index(lines[1], "tenant") > strings.Index(lines[1], "name") {
		t.Errorf("table header: %s", r)
	}
	for _, want := range []string{"acme", "Alice", "wayne", "Bruce", "Alfred", "(3 rows from 4 tenants)"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("table lacks %q: %s", want, r)
		}
	}

	// JSON: [{"tenant", "rows"}], lazy tenant answers empty without a file.
	var per []tenantRows
	c.json(&per, "query", "SELECT name FROM users", "--all-tenants")
	m := byTenant(per)
	if len(per) != 4 || len(m["acme"].Rows) != 1 || len(m["wayne"].Rows) != 2 || m["lazy1"].Rows == nil || len(m["lazy1"].Rows) != 0 {
		t.Errorf("fan-out JSON: %+v", per)
	}
	if exists(filepath.Join(tenants, "lazy1.db")) {
		t.Errorf("fan-out created the lazy tenant's file")
	}

	// --tenants and CSV.
	r = c.ok("query", "SELECT name FROM users ORDER BY name", "--tenants", "acme,wayne", "--format", "csv")
	if r.stdout != "tenant,name\nacme,Alice\nwayne,Alfred\nwayne,Bruce\n" {
		t.Errorf("--tenants csv: %q", r.stdout)
	}
	c.fail([]string{"query", "SELECT 1", "--tenants", "acme,nope"}, "nope")
	c.fail([]string{"query", "SELECT 1", "--all-tenants", "--tenant", "acme"}, "not both")

	// Writes are refused and change nothing.
	c.fail([]string{"query", "DELETE FROM users", "--all-tenants"}, "refused")
	c.json(&per, "query", "SELECT name FROM users", "--all-tenants")
	if len(byTenant(per)["wayne"].Rows) != 2 {
		t.Errorf("a refused fan-out write deleted rows: %+v", per)
	}

	// One broken tenant: the others still answer, then exit 1.
	if err := os.WriteFile(filepath.Join(tenants, "wayne.db"), []byte(strings.Repeat("not a database ", 500)), 0o644); err != nil {
		t.Fatal(err)
	}
	r = c.run("query", "SELECT name FROM users", "--all-tenants", "--format", "json")
	if r.code != 1 {
		t.Errorf("want exit 1 with a broken tenant: %s", r)
	}
	per = nil
	if err := decodeJSON(r.stdout, &per); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r)
	}
	m = byTenant(per)
	if len(per) != 4 || len(m["acme"].Rows) != 1 || m["wayne"].Error == nil || m["wayne"].Rows != nil {
		t.Errorf("fan-out with a broken tenant: %+v", per)
	}
	if !strings.Contains(r.stderr, "Error: query failed on 1 of 4 tenants") {
		t.Errorf("stderr: %s", r)
	}
	r = c.run("query", "SELECT name FROM users", "--all-tenants")
	if r.code != 1 || !strings.Contains(r.stdout, "Alice") || !strings.Contains(r.stderr, "tenant wayne:") {
		t.Errorf("table fan-out with a broken tenant: %s", r)
	}
}

func TestTenantStatsAndMaintenance(t *testing.T) {
	c, _ := fleet(t)

	var stats []map[string]any
	c.json(&stats, "tenant", "stats")
	if len(stats) != 4 {
		t.Fatalf("stats: %v", stats)
	}
	for _, s := range stats {
		for _, k := range []string{"name", "size_bytes", "rows"} {
			if _, ok := s[k]; !ok {
				t.Errorf("stats entry lacks %q: %v", k, s)
			}
		}
		if s["name"] == "wayne" && s["rows"] != 2.0 {
			t.Errorf("wayne rows: %v", s)
		}
	}
	c.json(&stats, "tenant", "stats", "--sort", "rows")
	if stats[0]["name"] != "wayne" {
		t.Errorf("--sort rows: first is %v", stats[0]["name"])
	}
	r := c.ok("tenant", "stats", "acme", "--format", "csv")
	if !strings.HasPrefix(r.stdout, "name,state,size,tables,rows") || !strings.Contains(r.stdout, "acme,materialized,") {
		t.Errorf("stats csv: %s", r)
	}
	c.fail([]string{"tenant", "stats", "--sort", "bogus"}, "--sort")

	r = c.ok("tenant", "vacuum", "--all")
	if !strings.Contains(r.stdout, "Vacuumed 3 tenants, reclaimed ") || !strings.Contains(r.stdout, "skipped 1 lazy, 0 failures") {
		t.Errorf("vacuum summary: %s", r)
	}
	var sum map[string]any
	c.json(&sum, "tenant", "vacuum", "acme")
	if sum["tenants"] != 1.0 || sum["failed"] != 0.0 {
		t.Errorf("vacuum JSON: %v", sum)
	}
	r = c.ok("tenant", "analyze", "--all")
	if !strings.Contains(r.stdout, "Analyzed 3 tenants") {
		t.Errorf("analyze summary: %s", r)
	}
	c.fail([]string{"tenant", "vacuum"}, "--all")
	c.fail([]string{"tenant", "vacuum", "acme", "--all"}, "not both")
}

func TestArchiveRestore(t *testing.T) {
	c, tenants := fleet(t)

	r := c.ok("tenant", "archive", "wayne")
	if !strings.Contains(r.stdout, "Archived tenant wayne") {
		t.Errorf("archive: %s", r)
	}
	if exists(filepath.Join(tenants, "wayne.db")) {
		t.Errorf("archived tenant still has its live file")
	}
	c.fail([]string{"query", "SELECT * FROM users", "--tenant", "wayne"}, "archived", "cinch tenant restore wayne")
	var per []tenantRows
	c.json(&per, "query", "SELECT name FROM users", "--all-tenants")
	if _, ok := byTenant(per)["wayne"]; ok || len(per) != 3 {
		t.Errorf("fan-out did not skip the archived tenant: %+v", per)
	}

	// A column added meanwhile is there after restore, with the data.
	c.ok("column", "add", "users", "phone:TEXT")
	c.ok("tenant", "restore", "wayne")
	var rows []map[string]any
	c.json(&rows, "query", "SELECT name, phone FROM users ORDER BY name", "--tenant", "wayne")
	if len(rows) != 2 || rows[0]["name"] != "Alfred" || rows[1]["name"] != "Bruce" {
		t.Errorf("restored data: %v", rows)
	}
	if _, ok := rows[0]["phone"]; !ok {
		t.Errorf("restored tenant lacks the column added meanwhile: %v", rows)
	}

	c.fail([]string{"tenant", "archive", "main"}, `"main" cannot be archived`)
	c.fail([]string{"tenant", "restore", "acme"}, "not archived")
	c.fail([]string{"tenant", "archive", "nope"}, "not found")

	// --inactive-since: nothing is a year old; everything served is older than 1ns.
	r = c.ok("tenant", "list", "--inactive-since", "365d")
	if !strings.Contains(r.stdout, "No tenant") {
		t.Errorf("inactive 365d: %s", r)
	}
	var list []map[string]any
	c.json(&list, "tenant", "list", "--inactive-since", "1ns")
	if len(list) != 4 {
		t.Errorf("inactive 1ns: %v", names(t, list))
	}
	c.fail([]string{"tenant", "list", "--inactive-since", "-3d"}, "negative")
	c.fail([]string{"tenant", "list", "--inactive-since", "soon"}, "365d")
}

func TestGroups(t *testing.T) {
	c, _ := fleet(t)

	c.fail([]string{"group", "create", "trial", "--max-db-size", "-1"}, "negative")
	c.fail([]string{"group", "create", "trial", "--max-concurrent", "-2"}, "negative")
	c.fail([]string{"group", "create", "trial", "--max-db-size", "lots"}, "invalid size")
	var groups []map[string]any
	c.json(&groups, "group", "list")
	if len(groups) != 0 {
		t.Fatalf("refused creates left groups: %v", groups)
	}

	c.ok("group", "create", "trial", "--max-db-size", "64KiB", "--max-concurrent", "4")
	c.fail([]string{"group", "create", "trial"}, "exists")
	c.ok("tenant", "group", "set", "acme", "trial")
	c.fail([]string{"tenant", "group", "set", "acme", "nope"}, "not found")
	c.fail([]string{"tenant", "group", "set", "nope", "trial"}, "not found")
	c.json(&groups, "group", "list")
	if len(groups) != 1 || groups[0]["max_db_bytes"] != 65536.0 || groups[0]["tenants"] != 1.0 {
		t.Errorf("group list: %v", groups)
	}

	// --group narrows fan-out.
	var per []tenantRows
	c.json(&per, "query", "SELECT name FROM users", "--group", "trial")
	if len(per) != 1 || per[0].Tenant != "acme" {
		t.Errorf("--group trial: %+v", per)
	}

	// Writing past max-db-size: a clear error, nothing written, tenant healthy.
	big := "[" + strings.Repeat(`{"name": "`+strings.Repeat("x", 2000)+`"},`, 40)
	big = big[:len(big)-1] + "]"
	c.fail([]string{"data", "insert", "users", "--tenant", "acme", "--data", big}, "max database size")
	var rows []map[string]any
	c.json(&rows, "query", "SELECT count(*) AS n FROM users", "--tenant", "acme")
	if rows[0]["n"] != 1.0 {
		t.Errorf("a refused write left rows: %v", rows)
	}
	c.ok("tenant", "check", "acme")

	// Raising the limit lets the same write through.
	c.fail([]string{"group", "limits", "trial", "--max-db-size", "-5MB"}, "negative")
	c.ok("group", "limits", "trial", "--max-db-size", "10MiB")
	c.ok("data", "insert", "users", "--tenant", "acme", "--data", big)
	var g map[string]any
	c.json(&g, "group", "limits", "trial")
	if g["max_db_bytes"] != float64(10<<20) || g["max_concurrent"] != 4.0 {
		t.Errorf("group limits: %v", g)
	}
	c.fail([]string{"group", "limits", "nope"}, "not found")

	// Out of the group: --none or "".
	c.ok("tenant", "group", "set", "acme", "--none")
	c.json(&groups, "group", "list")
	if groups[0]["tenants"] != 0.0 {
		t.Errorf("tenant still in group: %v", groups)
	}
	c.ok("tenant", "group", "set", "acme", "trial")
	c.ok("tenant", "group", "set", "acme", "")
}

// decodeJSON decodes s, which must hold exactly one JSON value, into v.
func decodeJSON(s string, v any) error {
	dec := json.NewDecoder(strings.NewReader(s))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("more than one JSON value")
	}
	return nil
}
