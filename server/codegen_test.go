package server_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/cinchdb/cinch/server"
)

// TestCodegen: GET .../codegen serves the models of the branch, to tenant
// keys too (branch read scope), follows schema changes, and refuses what
// it cannot generate with 400.
func TestCodegen(t *testing.T) {
	e := newEnv(t, server.Config{})
	const path = "/v1/databases/main/branches/main/codegen"
	get := func(key, query string) server.GeneratedModels {
		t.Helper()
		r := e.do("GET", path+query, key, nil)
		if r.status != 200 {
			t.Fatalf("GET codegen%s: %v", query, r)
		}
		var m server.GeneratedModels
		if err := json.Unmarshal(r.body, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, tc := range []struct{ query, lang, file, want string }{
		{"?lang=go", "go", "models.go", "\tAge       *int64 "},
		{"?lang=go&package=store", "go", "models.go", "package store\n"},
		{"?lang=typescript", "typescript", "models.ts", "  age?: number | null;"},
		{"?lang=ts", "typescript", "models.ts", "export function usersFromRecord("},
		{"?lang=python", "python", "models.py", "    age: int | None = None"},
	} {
		m := get(e.keys["tenant_acme"], tc.query)
		if m.Language != tc.lang || m.Filename != tc.file || !strings.Contains(m.Source, tc.want) {
			t.Errorf("GET codegen%s: %s %s, no %q in\n%s", tc.query, m.Language, m.Filename, tc.want, m.Source)
		}
	}
	if m := get(e.keys["full"], "?lang=go"); strings.Contains(m.Source, "Plan") {
		t.Fatalf("plan before the column exists:\n%s", m.Source)
	}
	if r := e.do("POST", "/v1/databases/main/branches/main/tables/users/columns", e.keys["full"], `{"name": "plan", "type": "TEXT", "nullable": false, "default": "free"}`); r.status != 201 {
		t.Fatalf("add column: %v", r)
	}
	if m := get(e.keys["full"], "?lang=go"); !strings.Contains(m.Source, "\tPlan      string ") {
		t.Errorf("no Plan field after the column was added:\n%s", m.Source)
	}
	for query, want := range map[string]string{
		"":                        "lang is required",
		"?lang=rust":              `unknown language "rust"`,
		"?lang=go&package=a-b":    `invalid Go package name "a-b"`,
		"?lang=go&package=import": `invalid Go package name "import"`,
	} {
		r := e.do("GET", path+query, e.keys["full"], nil)
		if r.status != 400 || r.code != "invalid_input" || !strings.Contains(r.msg, want) {
			t.Errorf("GET codegen%s: %v, want 400 invalid_input with %q", query, r, want)
		}
	}
	if r := e.do("GET", "/v1/databases/main/branches/nope/codegen?lang=go", e.keys["full"], nil); r.status != 404 || r.code != "branch_not_found" {
		t.Errorf("unknown branch: %v", r)
	}
}
