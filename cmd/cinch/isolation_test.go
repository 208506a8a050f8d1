package main

// Isolation proof: from tenant "a", every way we know to reach another
// file is tried through every interface — the CLI (`cinch query`), the
// library (DB.Query), the guarded *sql.DB (DB.SQLDB) and HTTP (`cinch
// serve`) — plus hostile names in every position and a key scoped to
// tenant a used on tenant b. Every attempt must fail with a clear error,
// and every file of the project (except a's own -wal/-shm) must be
// byte-identical afterwards.

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// treeHashes hashes every file under dir/.cinchdb except skip (relative paths).
func treeHashes(t *testing.T, dir string, skip ...string) map[string]string {
	t.Helper()
	root := filepath.Join(dir, ".cinchdb")
	out := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		for _, s := range skip {
			if rel == s {
				return nil
			}
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		out[rel] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func diffTrees(t *testing.T, before, after map[string]string) {
	t.Helper()
	var keys []string
	for k := range before {
		keys = append(keys, k)
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if before[k] != after[k] {
			t.Errorf("file %s changed (before %.12s, after %.12s)", k, before[k], after[k])
		}
	}
}

// attack is one hostile statement with its parameters.
type attack struct {
	sql    string
	params []any
}

func attacks(bPath, outside string) []attack {
	dirPart, filePart := filepath.Dir(bPath)+"/", filepath.Base(bPath)
	q := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	return []attack{
		// ATTACH in every spelling, literal and not.
		{"ATTACH " + q(bPath) + " AS x", nil},
		{"ATTACH DATABASE " + q(bPath) + " AS x", nil},
		{"attach/**/database/* c */" + q(bPath) + "\n as x", nil},
		{"ATTACH " + q("file:"+bPath+"?mode=rw") + " AS x", nil},
		{"ATTACH ? AS x", []any{bPath}},
		{"ATTACH " + q(dirPart) + "||" + q(filePart) + " AS x", nil},
		{"ATTACH " + q(bPath) + "||'' AS x", nil},
		{"ATTACH (SELECT " + q(bPath) + ") AS x", nil},
		{"ATTACH printf('%s', " + q(bPath) + ") AS x", nil},
		{"ATTACH ':memory:' AS x", nil},
		{"ATTACH '' AS x", nil},
		{"WITH p(v) AS (SELECT " + q(bPath) + ") SELECT * FROM p; ATTACH " + q(bPath) + " AS x", nil},
		{"DETACH main", nil},
		// VACUUM INTO: out of the project, and over the other tenant.
		{"VACUUM INTO " + q(outside), nil},
		{"VACUUM main INTO " + q(outside), nil},
		{"VACUUM INTO ?", []any{outside}},
		{"VACUUM INTO " + q(bPath), nil},
		{"vacuum/**/into " + q(dirPart) + "||" + q(filePart), nil},
		// Extensions.
		{"SELECT load_extension('/tmp/evil.so')", nil},
		{"SELECT LOAD_EXTENSION(?)", []any{"/tmp/evil"}},
		{"SELECT load_extension('/tmp/evil.so', 'sqlite3_evil_init')", nil},
		// Pragmas that change schema, durability or keys.
		{"PRAGMA writable_schema=ON", nil},
		{"pragma main.writable_schema = 1", nil},
		{"PRAGMA writable_schema=RESET", nil},
		{"PRAGMA journal_mode=DELETE", nil},
		{"PRAGMA synchronous=OFF", nil},
		{"PRAGMA key='x'", nil},
		{"PRAGMA hexkey='00'", nil},
		{"PRAGMA schema_version=1", nil},
		{"PRAGMA user_version=99", nil},
		{"PRAGMA trusted_schema=ON", nil},
		// DDL in every disguise.
		{"DROP TABLE notes", nil},
		{"/* harmless */ DROP TABLE notes", nil},
		{"-- comment\nDROP/**/TABLE notes", nil},
		{"ALTER TABLE notes ADD COLUMN evil TEXT", nil},
		{"CREATE TABLE evil(x)", nil},
		{"CREATE TEMP TABLE evil(x)", nil},
		{"CREATE TABLE evil AS WITH r(x) AS (SELECT 1) SELECT x FROM r", nil},
		{"CREATE VIEW evil AS SELECT * FROM notes", nil},
		{"CREATE INDEX evil ON notes(body)", nil},
		{"CREATE TRIGGER evil AFTER INSERT ON notes BEGIN DELETE FROM notes; END", nil},
		{"CREATE TEMP TRIGGER evil AFTER INSERT ON notes BEGIN UPDATE notes SET body = 'x'; END", nil},
		{"SELECT 1; DROP TABLE notes", nil},
		{"SELECT 1 /* ; */ ; CREATE TABLE evil(x)", nil},
		{"BEGIN", nil},
		// Writes to system tables.
		{"UPDATE sqlite_schema SET sql = 'CREATE TABLE notes(x)' WHERE name = 'notes'", nil},
		{"INSERT INTO sqlite_master VALUES ('table', 'evil', 'evil', 0, 'CREATE TABLE evil(x)')", nil},
		{"DELETE FROM sqlite_schema", nil},
		{"WITH t(n) AS (SELECT 'notes') UPDATE sqlite_schema SET sql = NULL WHERE name IN (SELECT n FROM t)", nil},
	}
}

func TestIsolation(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(t.TempDir(), "stolen.db")
	c := runner{t: t, dir: dir}
	c.ok("init")
	c.ok("table", "create", "notes", "body:TEXT")
	c.ok("tenant", "create", "a")
	c.ok("tenant", "create", "b")
	c.ok("branch", "create", "other", "--from", "main")
	c.ok("data", "insert", "notes", "--tenant", "a", "--data", `{"body": "a's note"}`)
	c.ok("data", "insert", "notes", "--tenant", "b", "--data", `{"body": "b's secret"}`)
	c.ok("data", "insert", "notes", "--tenant", "b", "--branch", "other", "--data", `{"body": "b's other secret"}`)
	keyA := lastLine(c.ok("key", "create", "--tenant", "a").stdout)
	fullKey := lastLine(c.ok("key", "create").stdout)
	bdir := filepath.Join(dir, ".cinchdb", "databases", "main", "branches", "main")
	bPath := filepath.Join(bdir, "tenants", "b.db")
	ctx := context.Background()

	// The server, on a free port.
	srv := exec.Command(binary, "serve", "--addr", "127.0.0.1:0")
	srv.Dir = dir
	stderr, err := srv.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	base := ""
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if _, rest, ok := strings.Cut(sc.Text(), "listening on "); ok {
			base = strings.Fields(rest)[0]
			break
		}
	}
	if base == "" {
		t.Fatal("serve printed no address")
	}
	go io.Copy(io.Discard, stderr)
	type resp struct {
		status int
		body   string
	}
	call := func(method, path, key, body string) resp {
		t.Helper()
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		data, _ := io.ReadAll(r.Body)
		return resp{r.StatusCode, string(data)}
	}
	aURL := "/v1/databases/main/branches/main/tenants/a"
	httpQuery := func(a attack) resp {
		body, _ := json.Marshal(map[string]any{"sql": a.sql, "params": append([]any{}, a.params...)})
		return call("POST", aURL+"/query", keyA, string(body))
	}

	// The library, and the guarded *sql.DB.
	p, err := local.Open(ctx, local.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	libA, err := p.Connect(cinch.Target{Tenant: "a"})
	if err != nil {
		t.Fatal(err)
	}
	sqlA, err := libA.SQLDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sqlA.Close()

	// Warm every interface up on tenant a, so that what they create on
	// first use exists before the "before" snapshot.
	c.ok("query", "SELECT count(*) FROM notes", "--tenant", "a")
	if _, err := libA.Query(ctx, "SELECT count(*) FROM notes"); err != nil {
		t.Fatal(err)
	}
	if _, err := sqlA.Exec("SELECT count(*) FROM notes"); err != nil {
		t.Fatal(err)
	}
	if r := httpQuery(attack{sql: "SELECT count(*) FROM notes"}); r.status != 200 {
		t.Fatalf("warm-up query over HTTP: %d %s", r.status, r.body)
	}
	schemaA := func() string {
		res, err := libA.Query(ctx, "SELECT type, name, sql FROM sqlite_schema ORDER BY name")
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(res.Rows)
		return string(raw)
	}
	schemaBefore := schemaA()
	skip := []string{"databases/main/branches/main/tenants/a.db-wal", "databases/main/branches/main/tenants/a.db-shm"}
	before := treeHashes(t, dir, skip...)

	attempts := 0
	for _, a := range attacks(bPath, outside) {
		name := strings.ReplaceAll(a.sql, "\n", `\n`)
		// CLI.
		args := []string{"query", a.sql, "--tenant", "a"}
		for _, p := range a.params {
			raw, _ := json.Marshal(p)
			args = append(args, "--param", string(raw))
		}
		c.fail(args)
		// Library.
		if _, err := libA.Query(ctx, a.sql, a.params...); err == nil {
			t.Errorf("library accepted %s", name)
		} else if strings.TrimSpace(err.Error()) == "" {
			t.Errorf("library: empty error for %s", name)
		}
		// Guarded *sql.DB, both through Exec and Query.
		// (A bare BEGIN is database/sql's business on its own connection:
		// it reaches no other file, so SQLDB may run it.)
		if _, err := sqlA.Exec(a.sql, a.params...); err == nil && a.sql != "BEGIN" {
			t.Errorf("SQLDB Exec accepted %s", name)
		} else if err == nil {
			sqlA.Exec("ROLLBACK")
		}
		if rows, err := sqlA.Query(a.sql, a.params...); err == nil {
			for rows.Next() {
			}
			if rows.Err() == nil && a.sql != "BEGIN" {
				t.Errorf("SQLDB Query accepted %s", name)
			}
			rows.Close()
		}
		// HTTP.
		if r := httpQuery(a); r.status < 400 || r.status >= 500 || !strings.Contains(r.body, `"error"`) {
			t.Errorf("HTTP %s: status %d, body %s", name, r.status, r.body)
		}
		attempts += 4
	}

	// Hostile names in every position: CLI flags and arguments.
	badTenants := []string{"../b", "a/../b", "..", "../../../etc/passwd", "/tmp/x", "b.db", "a/b", `..\b`, "B", "a\tb"}
	badBranches := []string{"../main", "..", "main/../main", "/main", "a..b", "main/", `..\main`}
	badDatabases := []string{"../main", "..", "main/../main", "/etc", "main/branches"}
	badTables := []string{"../notes", "notes/../notes", "sqlite_master", "__cinch_x", "notes.db", "a/b", ".."}
	for _, bt := range badTenants {
		c.fail([]string{"query", "SELECT * FROM notes", "--tenant", bt})
		c.fail([]string{"data", "insert", "notes", "--tenant", bt, "--data", `{"body":"x"}`})
		c.fail([]string{"tenant", "create", bt})
		c.fail([]string{"tenant", "copy", "b", bt})
		c.fail([]string{"tenant", "copy", bt, "evil"})
		c.fail([]string{"tenant", "rename", "b", bt})
		c.fail([]string{"tenant", "delete", bt, "--force"})
		c.fail([]string{"tenant", "archive", bt})
		c.fail([]string{"key", "create", "--tenant", bt})
		attempts += 9
	}
	for _, bb := range badBranches {
		c.fail([]string{"query", "SELECT * FROM notes", "--tenant", "b", "--branch", bb})
		c.fail([]string{"branch", "create", bb})
		c.fail([]string{"branch", "delete", bb, "--force"})
		c.fail([]string{"branch", "merge", bb, "main"})
		c.fail([]string{"branch", "merge", "other", bb})
		attempts += 5
	}
	for _, bd := range badDatabases {
		c.fail([]string{"query", "SELECT * FROM notes", "--tenant", "b", "--database", bd})
		c.fail([]string{"db", "create", bd})
		c.fail([]string{"db", "delete", bd, "--force"})
		attempts += 3
	}
	for _, tb := range badTables {
		c.fail([]string{"data", "insert", tb, "--tenant", "a", "--data", `{"body":"x"}`})
		c.fail([]string{"table", "create", tb, "body:TEXT"})
		c.fail([]string{"column", "add", "notes", tb + ":TEXT"})
		attempts += 3
	}
	// NUL cannot travel in argv (exec refuses it), so through the
	// environment-free paths: the library and HTTP.
	nulNames := []string{"a\x00b", "b\x00", "\x00", "b\x00/../a"}
	for _, n := range nulNames {
		if _, err := p.Connect(cinch.Target{Tenant: n}); err == nil {
			t.Errorf("library Connect accepted tenant %q", n)
		}
		if _, err := p.Connect(cinch.Target{Tenant: "a", Branch: n}); err == nil {
			t.Errorf("library Connect accepted branch %q", n)
		}
		if _, err := p.Connect(cinch.Target{Tenant: "a", Database: n}); err == nil {
			t.Errorf("library Connect accepted database %q", n)
		}
		if _, err := libA.Insert(ctx, n, cinch.Record{"body": "x"}); err == nil {
			t.Errorf("library Insert accepted table %q", n)
		}
		if _, err := libA.Tenants().Create(ctx, n, cinch.TenantCreateOptions{}); err == nil {
			t.Errorf("library tenant create accepted %q", n)
		}
		attempts += 5
	}
	for _, n := range append(append(badTenants, nulNames...), "../../b") {
		if _, err := p.Connect(cinch.Target{Tenant: n}); err == nil {
			t.Errorf("library Connect accepted tenant %q", n)
		}
		if _, err := libA.WithTenant(n).Query(ctx, "SELECT * FROM notes"); err == nil {
			t.Errorf("library WithTenant(%q) query succeeded", n)
		}
		attempts += 2
	}
	for _, n := range append(badBranches, "x\x00y") {
		if _, err := libA.SwitchBranch(n).Query(ctx, "SELECT * FROM notes"); err == nil {
			t.Errorf("library SwitchBranch(%q) query succeeded", n)
		}
		attempts++
	}
	// HTTP: hostile path segments, escaped every way, with a full-scope
	// key and with a's key.
	segs := []string{"..", "%2e%2e", "..%2fb", "..%2Fb", "a%2f..%2fb", "a%00b", "b%00", "%00", "b.db", "a%5c..%5cb", "B"}
	for _, seg := range segs {
		for _, key := range []string{fullKey, keyA} {
			paths := []string{
				"/v1/databases/main/branches/main/tenants/" + seg + "/query",
				"/v1/databases/main/branches/" + seg + "/tenants/b/query",
				"/v1/databases/" + seg + "/branches/main/tenants/b/query",
			}
			for _, pth := range paths {
				r := call("POST", pth, key, `{"sql":"SELECT * FROM notes"}`)
				if r.status < 400 || strings.Contains(r.body, "secret") {
					t.Errorf("HTTP POST %s: status %d, body %s", pth, r.status, r.body)
				}
				attempts++
			}
			r := call("POST", aURL+"/tables/"+seg+"/rows", key, `{"body":"x"}`)
			if r.status < 400 {
				t.Errorf("HTTP insert into table %s: status %d, body %s", seg, r.status, r.body)
			}
			body, _ := json.Marshal(map[string]string{"name": mustUnescape(seg)})
			r = call("POST", "/v1/databases/main/branches/main/tenants", key, string(body))
			if r.status < 400 {
				t.Errorf("HTTP create tenant %q: status %d, body %s", seg, r.status, r.body)
			}
			attempts += 2
		}
	}
	// A key scoped to a, used on b (and on b elsewhere): 403, never data.
	for _, pth := range []string{
		"/v1/databases/main/branches/main/tenants/b/query",
		"/v1/databases/main/branches/other/tenants/b/query",
		"/v1/databases/main/branches/other/tenants/a/query",
	} {
		r := call("POST", pth, keyA, `{"sql":"SELECT * FROM notes"}`)
		if r.status != 403 || strings.Contains(r.body, "secret") {
			t.Errorf("a's key on %s: status %d, body %s (want 403)", pth, r.status, r.body)
		}
		attempts++
	}
	for _, tc := range []struct{ method, path, body string }{
		{"POST", "/v1/databases/main/branches/main/tenants/b/tables/notes/rows", `{"body":"x"}`},
		{"DELETE", "/v1/databases/main/branches/main/tenants/b", ""},
		{"GET", "/v1/databases/main/branches/main/tenants/b", ""},
		{"POST", "/v1/databases/main/branches/main/tenants", `{"name":"evil"}`},
		{"POST", "/v1/databases/main/branches/main/tables", `{"name":"evil","columns":[]}`},
		{"POST", "/v1/databases/main/branches/other/merge", `{"target":"main"}`},
	} {
		r := call(tc.method, tc.path, keyA, tc.body)
		if r.status != 403 || strings.Contains(r.body, "secret") {
			t.Errorf("a's key: %s %s: status %d, body %s (want 403)", tc.method, tc.path, r.status, r.body)
		}
		attempts++
	}
	// A query that names another tenant's table by schema goes nowhere.
	for _, sql := range []string{"SELECT * FROM b.notes", "SELECT * FROM main.notes, x.notes", "SELECT * FROM temp.sqlite_master, \"b.db\".notes"} {
		if r := httpQuery(attack{sql: sql}); r.status != 400 || strings.Contains(r.body, "secret") {
			t.Errorf("HTTP %s: %d %s", sql, r.status, r.body)
		}
		c.fail([]string{"query", sql, "--tenant", "a"})
		attempts += 2
	}

	after := treeHashes(t, dir, skip...)
	diffTrees(t, before, after)
	if exists(outside) {
		t.Errorf("VACUUM INTO wrote %s", outside)
	}
	if got := schemaA(); got != schemaBefore {
		t.Errorf("tenant a's schema changed:\nbefore %s\nafter  %s", schemaBefore, got)
	}
	var rows []map[string]any
	c.json(&rows, "query", "SELECT body FROM notes", "--tenant", "b")
	if len(rows) != 1 || rows[0]["body"] != "b's secret" {
		t.Errorf("tenant b after the attacks: %v", rows)
	}
	c.ok("tenant", "check", "--all")
	t.Logf("ISOLATION SUMMARY: %d hostile attempts (%d statements x 4 interfaces, names, keys), %d files byte-identical", attempts, len(attacks(bPath, outside)), len(after))
}

func mustUnescape(s string) string {
	u, err := url.PathUnescape(s)
	if err != nil {
		return s
	}
	return u
}
