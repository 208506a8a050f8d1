package main

// A schema change returns at its commit point: the CLI migrates no tenant
// (it has none open), and a `cinch serve` that has a tenant open, in
// another process, sees the change on its next request. --wait, tenant
// migrate, tenant list and branch info are checked on the real binary.

import (
	"bytes"
	"net/http"
	"os"
	"strings"
	"testing"
)

func TestRolloutAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	c := runner{t: t, dir: dir}
	c.ok("init")
	c.ok("table", "create", "users", "name:TEXT")
	c.ok("tenant", "create", "acme")
	c.ok("tenant", "create", "globex")
	key := lastLine(c.ok("key", "create").stdout)

	// The server's background converger is off: the open tenant must catch
	// up through its own handle.
	s := startServe(t, dir, "--no-converge")
	acme := s.base + "/v1/databases/main/branches/main/tenants/acme"
	post := func(url, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", url, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	if code, body := post(acme+"/tables/users/rows", `{"name": "Alice"}`); code != 201 {
		t.Fatalf("insert before the change: %d %s", code, body)
	}

	c.ok("column", "add", "users", "phone:TEXT:default=none")
	var list []map[string]any
	c.json(&list, "tenant", "list")
	behind := map[string]bool{}
	for _, ti := range list {
		if ti["behind"] == true {
			behind[ti["name"].(string)] = true
		}
	}
	// The server migrated nothing (its converger is off), the CLI had
	// nothing open: every materialized tenant is behind, acme included.
	if !behind["acme"] || !behind["globex"] || !behind["main"] {
		t.Errorf("tenants behind after the change = %v, want acme, globex and main", behind)
	}
	var info map[string]any
	c.json(&info, "branch", "info")
	if info["behind"] != float64(3) {
		t.Errorf("branch info behind = %v, want 3", info["behind"])
	}

	// The server's next request on its open tenant sees the new column.
	if code, body := post(acme+"/query", `{"sql": "SELECT name, phone FROM users"}`); code != 200 || !strings.Contains(body, `"none"`) {
		t.Errorf("query on the server after the CLI's change: %d %s", code, body)
	}
	if code, body := post(acme+"/tables/users/rows", `{"name": "Bob", "phone": "555"}`); code != 201 {
		t.Errorf("insert with the new column: %d %s", code, body)
	}

	// tenant migrate brings the rest up to date; then nothing is behind.
	var res map[string]int
	c.json(&res, "tenant", "migrate", "--all")
	if res["migrated"] != 2 || res["behind"] != 2 {
		t.Errorf("tenant migrate --all = %v, want 2 of 2 (globex and main)", res)
	}
	c.json(&info, "branch", "info")
	if info["behind"] != float64(0) {
		t.Errorf("branch info behind after migrate = %v", info["behind"])
	}
	if out := c.ok("tenant", "migrate", "--all").stdout; !strings.Contains(out, "No tenant is behind") {
		t.Errorf("second migrate: %q", out)
	}

	// --wait returns after every tenant has the change.
	c.ok("column", "add", "users", "city:TEXT", "--wait")
	c.json(&info, "branch", "info")
	if info["behind"] != float64(0) {
		t.Errorf("branch info behind after --wait = %v", info["behind"])
	}
	c.ok("tenant", "check", "--all")
	c.fail([]string{"tenant", "migrate", "acme", "--all"}, "not both")
}

func TestTenantCreateBatch(t *testing.T) {
	dir := t.TempDir()
	c := runner{t: t, dir: dir}
	c.ok("init")
	c.ok("table", "create", "users", "name:TEXT")
	if out := c.ok("tenant", "create", "acme", "globex", "initech").stdout; !strings.Contains(out, "Created 3 tenants") {
		t.Errorf("create of three: %q", out)
	}
	file := dir + "/names.txt"
	if err := os.WriteFile(file, []byte("# customers\n\ncust_1\n  cust_2  \ncust_3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var made []map[string]any
	c.json(&made, "tenant", "create", "--from-file", file, "--lazy")
	if len(made) != 3 || made[0]["name"] != "cust_1" || made[2]["state"] != "lazy" {
		t.Errorf("--from-file: %v", made)
	}
	c.ok("data", "insert", "users", "--data", `{"name": "x"}`, "--tenant", "globex")
	// Taken names: nothing created, every taken name said.
	c.fail([]string{"tenant", "create", "fresh", "acme", "cust_2"}, "acme", "cust_2", "no tenant was created")
	c.fail([]string{"tenant", "info", "fresh"}, "fresh")
	if err := os.WriteFile(file, []byte("ok_name\nBad-Name\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.fail([]string{"tenant", "create", "--from-file", file}, "line 2")
	c.fail([]string{"tenant", "create", "a1", "a2", "--encrypt", "--key", "k"}, "one NAME")
	var list []map[string]any
	c.json(&list, "tenant", "list")
	if len(list) != 7 {
		t.Errorf("%d tenants, want 7 (main, 3, 3)", len(list))
	}
}
