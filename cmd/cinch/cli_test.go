package main

// End-to-end tests: build the real binary once, then walk the seed
// (docs multi-tenancy.md) through it in a temporary project, checking exit
// codes, stdout, stderr and files on disk.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

var binary string

func TestMain(m *testing.M) {
	os.Exit(func() int {
		tmp, err := os.MkdirTemp("", "cinch-cli-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(tmp)
		binary = filepath.Join(tmp, "cinch")
		if runtime.GOOS == "windows" {
			binary += ".exe"
		}
		build := exec.Command("go", "build", "-o", binary, ".")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building cinch:", err)
			return 1
		}
		return m.Run()
	}())
}

type result struct {
	args           []string
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("cinch %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// runner runs the binary in dir with a clean CINCHDB_* and CINCH_* environment plus env
// ("KEY=value" entries); stdin is empty (not a terminal).
type runner struct {
	t   *testing.T
	dir string
	env []string
}

func (c runner) run(args ...string) result {
	c.t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = c.dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CINCHDB_") && !strings.HasPrefix(kv, "CINCH_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, c.env...)
	cmd.Stdin = strings.NewReader("")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			c.t.Fatalf("running cinch %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	return result{args, code, stdout.String(), stderr.String()}
}

// ok runs a command that must succeed with nothing on stderr.
func (c runner) ok(args ...string) result {
	c.t.Helper()
	r := c.run(args...)
	if r.code != 0 {
		c.t.Fatalf("want success, got %s", r)
	}
	if r.stderr != "" {
		c.t.Errorf("want empty stderr, got %s", r)
	}
	return r
}

// fail runs a command that must exit 1 with nothing on stdout and one
// "Error: " line on stderr containing every want.
func (c runner) fail(args []string, want ...string) result {
	c.t.Helper()
	r := c.run(args...)
	if r.code != 1 {
		c.t.Errorf("want exit 1, got %s", r)
	}
	if r.stdout != "" {
		c.t.Errorf("want empty stdout, got %s", r)
	}
	if !strings.HasPrefix(r.stderr, "Error: ") {
		c.t.Errorf("want stderr starting with Error:, got %s", r)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			c.t.Errorf("want stderr containing %q, got %s", w, r)
		}
	}
	return r
}

// json runs a command with --format json that must succeed, and decodes
// stdout (which must be exactly one JSON value) into v.
func (c runner) json(v any, args ...string) {
	c.t.Helper()
	r := c.ok(append(args, "--format", "json")...)
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	if err := dec.Decode(v); err != nil {
		c.t.Fatalf("stdout is not JSON: %v\n%s", err, r)
	}
	if dec.More() {
		c.t.Fatalf("stdout holds more than one JSON value\n%s", r)
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func names(t *testing.T, list []map[string]any) []string {
	t.Helper()
	var out []string
	for _, e := range list {
		n, ok := e["name"].(string)
		if !ok {
			t.Fatalf("entry without a name: %v", e)
		}
		out = append(out, n)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestSeedEndToEnd(t *testing.T) {
	dir := t.TempDir()
	c := runner{t: t, dir: dir}
	tenants := filepath.Join(dir, ".cinchdb", "databases", "main", "branches", "main", "tenants")

	// init, and a second init is refused.
	r := c.ok("init")
	if !strings.Contains(r.stdout, "Initialized") || !exists(filepath.Join(dir, ".cinchdb")) {
		t.Fatalf("init: %s", r)
	}
	c.fail([]string{"init"}, "exists")

	// Commands work from a subfolder too (found by walking up).
	sub := filepath.Join(dir, "src", "app")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	runner{t: t, dir: sub}.json(&st, "status")
	if st["database"] != "main" || st["branch"] != "main" {
		t.Errorf("status from a subfolder: %v", st)
	}

	// Schema and tenants.
	r = c.ok("table", "create", "users", "name:TEXT", "email:TEXT")
	if strings.TrimSpace(r.stdout) != "Created table users (change 1)" {
		t.Errorf("table create: %s", r)
	}
	for _, name := range []string{"acme_corp", "wayne_ent", "stark_ind"} {
		r = c.ok("tenant", "create", name)
		if strings.TrimSpace(r.stdout) != "Created tenant "+name {
			t.Errorf("tenant create: %s", r)
		}
		if !exists(filepath.Join(tenants, name+".db")) {
			t.Errorf("tenant %s: no file %s.db after create", name, name)
		}
	}
	r = c.ok("column", "add", "users", "phone:TEXT")
	if strings.TrimSpace(r.stdout) != "Added column users.phone (change 2)" {
		t.Errorf("column add: %s", r)
	}
	r = c.ok("column", "add", "users", "age", "INTEGER")
	if strings.TrimSpace(r.stdout) != "Added column users.age (change 3)" {
		t.Errorf("column add (two-arg form): %s", r)
	}
	var cols []map[string]any
	c.json(&cols, "column", "list", "users")
	if got := strings.Join(names(t, cols), ","); got != "id,created_at,updated_at,name,email,phone,age" {
		t.Errorf("columns = %s", got)
	}

	// Lists in JSON are arrays of objects with a name.
	var list []map[string]any
	c.json(&list, "tenant", "list")
	for _, want := range []string{"main", "acme_corp", "wayne_ent", "stark_ind"} {
		if !contains(names(t, list), want) {
			t.Errorf("tenant list lacks %s: %v", want, list)
		}
	}
	c.json(&list, "table", "list")
	if got := names(t, list); len(got) != 1 || got[0] != "users" {
		t.Errorf("table list = %v", got)
	}
	c.json(&list, "db", "list")
	if !contains(names(t, list), "main") {
		t.Errorf("db list = %v", list)
	}
	c.json(&list, "branch", "list")
	if !contains(names(t, list), "main") {
		t.Errorf("branch list = %v", list)
	}
	var changes []map[string]any
	c.json(&changes, "branch", "changes")
	if len(changes) != 3 {
		t.Fatalf("branch changes: want 3, got %v", changes)
	}
	for i, typ := range []string{"CREATE_TABLE", "ADD_COLUMN", "ADD_COLUMN"} {
		ch := changes[i]
		if ch["type"] != typ || ch["id"] == "" || ch["timestamp"] == "" || ch["details"] == nil {
			t.Errorf("change %d = %v, want type %s with id, timestamp, details", i, ch, typ)
		}
	}

	// Insert into acme_corp; only acme_corp sees it.
	var alice map[string]any
	c.json(&alice, "data", "insert", "users", "--tenant", "acme_corp",
		"--data", `{"name": "Alice", "email": "alice@acme.com", "age": 30}`)
	id, _ := alice["id"].(string)
	if id == "" || alice["created_at"] == nil || alice["updated_at"] == nil || alice["name"] != "Alice" || alice["age"] != 30.0 || alice["phone"] != nil {
		t.Fatalf("inserted record = %v", alice)
	}
	var rows []map[string]any
	c.json(&rows, "query", "SELECT name, email FROM users", "--tenant", "acme_corp")
	if len(rows) != 1 || rows[0]["name"] != "Alice" || rows[0]["email"] != "alice@acme.com" || len(rows[0]) != 2 {
		t.Errorf("acme_corp rows = %v", rows)
	}
	r = c.ok("query", "SELECT name FROM users", "--tenant", "wayne_ent", "--format", "json")
	if strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("wayne_ent must see no rows (isolation): %s", r)
	}
	c.json(&rows, "query", "SELECT name FROM users") // tenant main by default
	if len(rows) != 0 {
		t.Errorf("main must see no rows: %v", rows)
	}
	// --all-tenants: one entry per tenant, in JSON as {"tenant", "rows"}.
	var per []struct {
		Tenant string           `json:"tenant"`
		Rows   []map[string]any `json:"rows"`
		Error  string           `json:"error"`
	}
	c.json(&per, "query", "SELECT name FROM users", "--all-tenants")
	if len(per) != 4 {
		t.Errorf("--all-tenants: want 4 tenants, got %+v", per)
	}
	for _, p := range per {
		want := 0
		if p.Tenant == "acme_corp" {
			want = 1
		}
		if p.Error != "" || len(p.Rows) != want {
			t.Errorf("--all-tenants entry %+v: want %d rows", p, want)
		}
	}
	// Table and CSV output.
	r = c.ok("query", "SELECT name, email FROM users", "--tenant", "acme_corp")
	if !strings.Contains(r.stdout, "Alice") || !strings.Contains(r.stdout, "(1 row)") ||
		strings.Index(r.stdout, "name") > strings.Index(r.stdout, "email") {
		t.Errorf("table output: %s", r)
	}
	r = c.ok("query", "SELECT name, email FROM users", "--tenant", "acme_corp", "--format", "csv")
	if r.stdout != "name,email\nAlice,alice@acme.com\n" {
		t.Errorf("csv output: %s", r)
	}
	// Params are typed.
	c.json(&rows, "query", "SELECT name FROM users WHERE email = ? AND age = ?", "--tenant", "acme_corp",
		"--param", "alice@acme.com", "--param", "30")
	if len(rows) != 1 {
		t.Errorf("query with params: %v", rows)
	}
	// Array insert in one go.
	var inserted []map[string]any
	c.json(&inserted, "data", "insert", "users", "--tenant", "acme_corp",
		"--data", `[{"name": "Bob"}, {"name": "Carol", "phone": "555-0100"}]`)
	if len(inserted) != 2 || inserted[0]["name"] != "Bob" || inserted[1]["phone"] != "555-0100" {
		t.Errorf("array insert = %v", inserted)
	}
	// Writes through query report rows affected.
	var affected map[string]any
	c.json(&affected, "query", "UPDATE users SET age = ? WHERE name = ?", "--tenant", "acme_corp", "--param", "31", "--param", "Bob")
	if affected["rows_affected"] != 1.0 {
		t.Errorf("update via query = %v", affected)
	}
	// Bad --data is a clear error.
	c.fail([]string{"data", "insert", "users", "--tenant", "acme_corp", "--data", `"Alice"`}, "JSON object")
	c.fail([]string{"data", "insert", "users", "--tenant", "acme_corp", "--data", `{"name": "A"} trailing`}, "unexpected data")

	// Update moves updated_at: set it in the past first (no clock games).
	const past = "2020-01-01T00:00:00.000Z"
	c.ok("query", "UPDATE users SET updated_at = ? WHERE id = ?", "--tenant", "acme_corp", "--param", past, "--param", id)
	var updated map[string]any
	c.json(&updated, "data", "update", "users", id, "--tenant", "acme_corp", "--data", `{"phone": "555-0199"}`)
	if updated["phone"] != "555-0199" || updated["id"] != id {
		t.Errorf("updated record = %v", updated)
	}
	if u, _ := updated["updated_at"].(string); u <= past || u < alice["created_at"].(string) {
		t.Errorf("updated_at did not move: %v", updated["updated_at"])
	}
	if updated["created_at"] != alice["created_at"] {
		t.Errorf("created_at changed on update: %v -> %v", alice["created_at"], updated["created_at"])
	}
	c.fail([]string{"data", "update", "users", "no-such-id", "--tenant", "acme_corp", "--data", `{"phone": "1"}`}, "not found")

	// Tenant copy (with and without data), before deleting rows.
	r = c.ok("tenant", "copy", "acme_corp", "acme_copy")
	if !exists(filepath.Join(tenants, "acme_copy.db")) {
		t.Errorf("tenant copy: no file: %s", r)
	}
	c.json(&rows, "query", "SELECT name FROM users ORDER BY name", "--tenant", "acme_copy")
	if len(rows) != 3 {
		t.Errorf("copied tenant rows = %v", rows)
	}
	c.ok("tenant", "copy", "acme_corp", "acme_empty", "--no-data")
	c.json(&rows, "query", "SELECT * FROM users", "--tenant", "acme_empty")
	if len(rows) != 0 {
		t.Errorf("--no-data copy has rows: %v", rows)
	}

	// Delete rows by id.
	r = c.ok("data", "delete", "users", id, "--tenant", "acme_corp")
	if strings.TrimSpace(r.stdout) != "Deleted 1 row from users (tenant acme_corp)" {
		t.Errorf("data delete: %s", r)
	}
	c.json(&affected, "data", "delete", "users", id, "--tenant", "acme_corp")
	if affected["rows_affected"] != 0.0 {
		t.Errorf("second delete = %v, want 0 rows", affected)
	}
	c.json(&rows, "query", "SELECT id FROM users WHERE id = ?", "--tenant", "acme_corp", "--param", id)
	if len(rows) != 0 {
		t.Errorf("deleted row still there: %v", rows)
	}

	// Rename.
	c.ok("tenant", "rename", "wayne_ent", "wayne_enterprises")
	if exists(filepath.Join(tenants, "wayne_ent.db")) || !exists(filepath.Join(tenants, "wayne_enterprises.db")) {
		t.Errorf("rename did not move the file")
	}
	c.fail([]string{"tenant", "info", "wayne_ent"}, "wayne_ent")
	c.ok("tenant", "info", "wayne_enterprises")

	// Delete: refused without --force when stdin is not a terminal.
	c.fail([]string{"tenant", "delete", "stark_ind"}, "--force")
	if !exists(filepath.Join(tenants, "stark_ind.db")) {
		t.Fatalf("refused delete removed the file")
	}
	c.fail([]string{"tenant", "delete", "main", "--force"}, "main")
	r = c.ok("tenant", "delete", "stark_ind", "--force")
	if strings.TrimSpace(r.stdout) != "Deleted tenant stark_ind" {
		t.Errorf("tenant delete: %s", r)
	}
	entries, err := os.ReadDir(tenants)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "stark_ind.") {
			t.Errorf("file left after tenant delete: %s", e.Name())
		}
	}
	c.json(&list, "tenant", "list")
	if contains(names(t, list), "stark_ind") {
		t.Errorf("deleted tenant still listed: %v", list)
	}

	// Maintenance statements from the seed.
	c.ok("query", "VACUUM", "--tenant", "acme_corp")
	c.ok("query", "ANALYZE", "--tenant", "acme_corp")
	c.json(&rows, "query", "PRAGMA integrity_check", "--tenant", "acme_corp")
	if len(rows) != 1 || rows[0]["integrity_check"] != "ok" {
		t.Errorf("integrity_check = %v", rows)
	}
	r = c.ok("tenant", "check", "--all")
	if !strings.Contains(r.stdout, "acme_corp") {
		t.Errorf("tenant check: %s", r)
	}
	var checks []map[string]any
	c.json(&checks, "tenant", "check", "acme_corp")
	if len(checks) != 1 || checks[0]["ok"] != true || checks[0]["tenant"] != "acme_corp" {
		t.Errorf("tenant check acme_corp = %v", checks)
	}

	// DDL, ATTACH and friends are rejected through query.
	for _, sql := range []string{
		"CREATE TABLE evil (a TEXT)",
		"ALTER TABLE users ADD COLUMN evil TEXT",
		"DROP TABLE users",
		"ATTACH DATABASE 'other.db' AS other",
		"VACUUM INTO 'copy.db'",
		"PRAGMA journal_mode = DELETE",
	} {
		c.fail([]string{"query", sql, "--tenant", "acme_corp"})
	}
	c.fail([]string{"query", "CREATE TABLE evil (a TEXT)"}, "table")
	c.json(&list, "table", "list")
	if len(list) != 1 {
		t.Errorf("a rejected statement changed the schema: %v", list)
	}

	// Bad names name the entity, the value and the rule.
	c.fail([]string{"tenant", "create", "acme-corp"}, "tenant", `"acme-corp"`, "a-z, 0-9 and _")
	c.fail([]string{"tenant", "create", "Acme Corp"}, "tenant", "a-z")
	c.fail([]string{"tenant", "create", "__x"}, "tenant", "__")
	c.fail([]string{"tenant", "create", "../evil"}, "tenant")
	c.fail([]string{"table", "create", "123_table", "name:TEXT"}, "table", `"123_table"`, "^[a-z][a-z0-9_]*$")
	c.fail([]string{"table", "create", "sqlite_master"}, "table", "sqlite_")
	c.fail([]string{"column", "add", "users", "User:TEXT"}, "column", `"User"`)
	c.fail([]string{"column", "add", "users", "created_at:TEXT"}, "created_at")
	c.fail([]string{"db", "create", "My-DB"}, "database", `"My-DB"`)
	c.fail([]string{"query", "SELECT 1", "--tenant", "acme-corp"}, "tenant", `"acme-corp"`)

	// Other destructive commands refuse without --force too.
	c.ok("table", "create", "sessions", "token:TEXT:not_null:unique")
	c.fail([]string{"table", "delete", "sessions"}, "--force")
	c.fail([]string{"column", "drop", "users", "age"}, "--force")
	c.json(&cols, "column", "list", "users")
	if !contains(names(t, cols), "age") {
		t.Errorf("refused column drop dropped the column")
	}
	c.ok("table", "drop", "sessions", "--force") // alias
	c.ok("view", "create", "with_phone", "SELECT name, phone FROM users WHERE phone IS NOT NULL")
	c.json(&rows, "query", "SELECT name FROM with_phone ORDER BY name", "--tenant", "acme_corp")
	if len(rows) != 1 || rows[0]["name"] != "Carol" {
		t.Errorf("view rows = %v", rows)
	}
	c.fail([]string{"view", "delete", "with_phone"}, "--force")
	c.ok("view", "delete", "with_phone", "--force")
	r = c.ok("index", "create", "users", "email", "--unique")
	if !strings.Contains(r.stdout, "Created unique index") {
		t.Errorf("index create: %s", r)
	}
	c.json(&list, "index", "list", "users")
	if len(list) != 1 {
		t.Errorf("index list = %v", list)
	}
	c.ok("column", "rename", "users", "age", "years")
	c.ok("column", "drop", "users", "years", "--force")
	c.ok("db", "create", "myapp")
	c.fail([]string{"db", "delete", "myapp"}, "--force")
	c.ok("db", "delete", "myapp", "--force")

	// --project and CINCHDB_PROJECT_DIR from outside the project.
	outside := t.TempDir()
	runner{t: t, dir: outside}.json(&list, "tenant", "list", "--project", dir)
	if !contains(names(t, list), "acme_corp") {
		t.Errorf("--project: %v", list)
	}
	runner{t: t, dir: outside, env: []string{"CINCHDB_PROJECT_DIR=" + dir}}.json(&list, "tenant", "list")
	if !contains(names(t, list), "acme_corp") {
		t.Errorf("CINCHDB_PROJECT_DIR: %v", list)
	}
}

func TestLazyTenant(t *testing.T) {
	dir := t.TempDir()
	c := runner{t: t, dir: dir}
	tenants := filepath.Join(dir, ".cinchdb", "databases", "main", "branches", "main", "tenants")
	c.ok("init")
	c.ok("table", "create", "users", "name:TEXT")
	c.ok("tenant", "create", "customer_12345", "--lazy")
	file := filepath.Join(tenants, "customer_12345.db")
	if exists(file) {
		t.Fatalf("lazy tenant has a file before its first write")
	}
	var rows []map[string]any
	c.json(&rows, "query", "SELECT * FROM users", "--tenant", "customer_12345")
	if len(rows) != 0 {
		t.Errorf("lazy tenant rows = %v", rows)
	}
	if exists(file) {
		t.Errorf("a read created the lazy tenant's file")
	}
	c.ok("data", "insert", "users", "--tenant", "customer_12345", "--data", `{"name": "Alice"}`)
	if !exists(file) {
		t.Errorf("first write did not create the lazy tenant's file")
	}
}

func TestOutsideProject(t *testing.T) {
	c := runner{t: t, dir: t.TempDir()}
	for _, args := range [][]string{
		{"status"},
		{"tenant", "list"},
		{"table", "create", "users", "name:TEXT"},
		{"query", "SELECT 1"},
		{"db", "list", "--format", "json"},
	} {
		c.fail(args, "No CinchDB project found")
	}
	// version and help work anywhere.
	r := c.ok("version")
	if !strings.HasPrefix(r.stdout, "cinch ") {
		t.Errorf("version: %s", r)
	}
	c.ok("--help")
	c.ok("tenant", "--help")
}

func TestInitOptions(t *testing.T) {
	dir := t.TempDir()
	c := runner{t: t, dir: dir}
	var out map[string]any
	c.json(&out, "init", "proj", "--database", "myapp")
	if out["database"] != "myapp" {
		t.Errorf("init --database: %v", out)
	}
	p := runner{t: t, dir: filepath.Join(dir, "proj")}
	var st map[string]any
	p.json(&st, "status")
	if st["database"] != "myapp" {
		t.Errorf("status after init --database myapp: %v", st)
	}
	c.fail([]string{"init", "other", "--database", "My-DB"}, "database", `"My-DB"`)
	if exists(filepath.Join(dir, "other", ".cinchdb")) {
		t.Errorf("init with a bad database name created a project")
	}
	// Flags win over the environment, which wins over config.toml.
	p.ok("db", "create", "saas_app")
	p.ok("table", "create", "users", "name:TEXT", "--database", "saas_app")
	var list []map[string]any
	p.json(&list, "table", "list")
	if len(list) != 0 {
		t.Errorf("table landed in the active database: %v", list)
	}
	pe := runner{t: t, dir: p.dir, env: []string{"CINCHDB_DATABASE=saas_app"}}
	pe.json(&list, "table", "list")
	if len(list) != 1 {
		t.Errorf("CINCHDB_DATABASE ignored: %v", list)
	}
	pe.json(&list, "table", "list", "--database", "myapp")
	if len(list) != 0 {
		t.Errorf("--database must win over CINCHDB_DATABASE: %v", list)
	}
	p.ok("db", "switch", "saas_app")
	p.json(&st, "status")
	if st["database"] != "saas_app" {
		t.Errorf("db switch: %v", st)
	}
	p.fail([]string{"table", "list", "--database", "nope"}, "nope")
}
