package main

// Remote mode end to end: the real binary drives a real `cinch serve` with
// --server/--api-key (or CINCH_SERVER/CINCH_API_KEY) from a folder that
// holds no project, and every command prints the same --format json as the
// same command run locally on a project that went through the same steps.

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// remoteRunner runs the binary in a folder without a project, on the
// server at url: with the flags, or with the environment variables when env
// is set.
type remoteRunner struct {
	runner
	url, key string
	env      bool
}

func newRemote(t *testing.T, url, key string, env bool) remoteRunner {
	r := remoteRunner{runner: runner{t: t, dir: t.TempDir()}, url: url, key: key, env: env}
	if env {
		r.runner.env = []string{"CINCH_SERVER=" + url, "CINCH_API_KEY=" + key}
	}
	return r
}

func (r remoteRunner) args(args []string) []string {
	if r.env {
		return args
	}
	return append([]string{"--server", r.url, "--api-key", r.key}, args...)
}

func (r remoteRunner) ok(args ...string) result { r.t.Helper(); return r.runner.ok(r.args(args)...) }
func (r remoteRunner) fail(args []string, want ...string) result {
	r.t.Helper()
	return r.runner.fail(r.args(args), want...)
}

var (
	uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	timeRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$`)
)

// volatile are the JSON keys whose values differ between two projects that
// went through the same steps: where they are, and file sizes (a served
// tenant stays open, so its WAL is not truncated as after a CLI run).
var volatile = map[string]bool{
	"project": true, "size_bytes": true, "wal_bytes": true, "bytes_before": true, "bytes_after": true,
	"before_bytes": true, "after_bytes": true, "reclaimed_bytes": true,
}

// normalize replaces what differs between two projects that went through
// the same steps by placeholders: ids, times, sizes, the project's place.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if volatile[k] {
				x[k] = "<" + k + ">"
				continue
			}
			x[k] = normalize(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
	case string:
		switch {
		case uuidRE.MatchString(x):
			return "<id>"
		case timeRE.MatchString(x):
			return "<time>"
		}
	}
	return v
}

// normalizedJSON decodes stdout, which must be exactly one JSON value, and
// normalizes it.
func normalizedJSON(t *testing.T, r result) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r)
	}
	if dec.More() {
		t.Fatalf("stdout holds more than one JSON value\n%s", r)
	}
	return normalize(v)
}

// mustJSON is v as indented JSON, for failure messages.
func mustJSON(v any) string {
	b, _ := json.MarshalIndent(v, "", "  ")
	return string(b)
}

func TestRemoteMode(t *testing.T) {
	// Two projects: one the CLI works on locally, one a server serves.
	localDir, servedDir := t.TempDir(), t.TempDir()
	local := runner{t: t, dir: localDir}
	local.ok("init")
	served := runner{t: t, dir: servedDir}
	served.ok("init")
	key := lastLine(served.ok("key", "create").stdout)
	// No background converger: it would bring behind tenants up to date on
	// the served side only, at a time of its choosing, and the two sides'
	// tenant lists would differ by when it ran.
	srv := startServe(t, servedDir, "--no-converge")
	byFlags := newRemote(t, srv.base, key, false)
	byEnv := newRemote(t, srv.base, key, true)

	// Every step runs locally and remotely (by flags and by environment in
	// turn) with --format json; the outputs must be the same.
	steps := [][]string{
		{"status"},
		{"table", "create", "users", "name:TEXT", "age:INTEGER"},
		{"table", "create", "notes", "body:TEXT"},
		{"table", "list"},
		{"table", "info", "users"},
		{"table", "copy", "notes", "notes_copy", "--no-data"},
		{"table", "delete", "notes_copy", "--force"},
		{"column", "add", "users", "email:TEXT"},
		{"column", "rename", "users", "email", "mail"},
		{"column", "list", "users"},
		{"column", "alter-nullable", "users", "mail", "--not-null", "--fill-value", "none"},
		{"column", "drop", "users", "mail", "--force"},
		{"view", "create", "adults", "SELECT name, age FROM users WHERE age >= 18"},
		{"view", "list"},
		{"view", "info", "adults"},
		{"view", "update", "adults", "SELECT name FROM users WHERE age >= 21"},
		{"index", "create", "users", "name"},
		{"index", "list"},
		{"index", "list", "users"},
		{"tenant", "create", "acme"},
		{"tenant", "create", "globex", "--lazy"},
		{"tenant", "list"},
		{"tenant", "info", "acme"},
		{"data", "insert", "users", "--tenant", "acme", "--data", `{"name": "Alice", "age": 30}`},
		{"data", "insert", "users", "--tenant", "acme", "--data", `[{"name": "Bob", "age": 17}, {"name": "Carol", "age": 45}]`},
		{"query", "SELECT name, age FROM users ORDER BY name", "--tenant", "acme"},
		{"query", "SELECT count(*) AS n FROM users WHERE age > ?", "--tenant", "acme", "--param", "20"},
		{"query", "SELECT count(*) AS n FROM users", "--all-tenants"},
		{"query", "SELECT name FROM users", "--tenants", "acme,main"},
		{"data", "select", "users", "--tenant", "acme", "--where", "age>18"},
		{"data", "update", "users", "--tenant", "acme", "--where", "name=Bob", "--data", `{"age": 18}`},
		{"data", "delete", "users", "--tenant", "acme", "--where", "name=Carol"},
		{"query", "SELECT * FROM adults", "--tenant", "acme"},
		{"tenant", "copy", "acme", "acme_copy"},
		{"tenant", "copy", "acme", "acme_empty", "--no-data"},
		{"tenant", "rename", "acme_empty", "acme_blank"},
		{"tenant", "delete", "acme_blank", "--force"},
		{"kv", "set", "hits", "5", "--tenant", "acme"},
		{"kv", "incr", "hits", "--tenant", "acme"},
		{"kv", "get", "hits", "--tenant", "acme"},
		{"kv", "set", "name", `"x"`, "--tenant", "acme"},
		{"kv", "keys", "--tenant", "acme"},
		{"kv", "ttl", "hits", "--tenant", "acme"},
		{"kv", "del", "name", "--tenant", "acme"},
		{"group", "create", "trial", "--max-db-size", "100MiB", "--max-concurrent", "4"},
		{"group", "list"},
		{"group", "limits", "trial", "--max-concurrent", "8"},
		{"tenant", "group", "set", "acme", "trial"},
		{"query", "SELECT count(*) AS n FROM users", "--group", "trial"},
		{"tenant", "stats"},
		{"tenant", "stats", "acme", "--sort", "rows"},
		{"tenant", "check", "--all"},
		{"tenant", "vacuum", "--all"},
		{"tenant", "analyze", "acme"},
		{"tenant", "archive", "acme_copy"},
		{"tenant", "list"},
		{"tenant", "restore", "acme_copy"},
		{"branch", "create", "feature"},
		{"branch", "list"},
		{"table", "create", "tags", "label:TEXT", "--branch", "feature"},
		{"branch", "changes", "feature"},
		{"branch", "merge", "feature", "main", "--dry-run"},
		{"branch", "merge-into-main", "feature"},
		{"branch", "info", "feature"},
		{"branch", "info"},
		{"branch", "delete", "feature", "--force"},
		{"branch", "changes"},
		{"view", "delete", "adults", "--force"},
		{"index", "delete", "idx_users_name"},
		{"kv", "expire", "hits", "2h", "--tenant", "acme"},
		{"kv", "persist", "hits", "--tenant", "acme"},
		{"kv", "ttl", "hits", "--tenant", "acme"},
		{"tenant", "list", "--inactive-since", "1d"},
		{"tenant", "create", "vault", "--encrypt", "--key", "s3cret"},
		{"data", "insert", "users", "--tenant", "vault", "--key", "s3cret", "--data", `{"name": "Dan", "age": 50}`},
		{"query", "SELECT name, age FROM users", "--tenant", "vault", "--key", "s3cret"},
		{"tenant", "info", "vault"},
		{"codegen", "go"},
		{"codegen", "typescript"},
		{"status"},
	}
	for i, args := range steps {
		remote := byFlags
		if i%2 == 1 {
			remote = byEnv
		}
		jargs := append(args, "--format", "json")
		want := normalizedJSON(t, local.ok(jargs...))
		got := normalizedJSON(t, remote.ok(jargs...))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("cinch %s: remote (env %v) differs from local\nremote: %s\nlocal:  %s",
				strings.Join(args, " "), remote.env, mustJSON(got), mustJSON(want))
		}
	}

	// An encrypted tenant without its key, or with a wrong one: the server
	// words the hint for HTTP, the CLI puts it back in its own words.
	byFlags.fail([]string{"query", "SELECT name FROM users", "--tenant", "vault"},
		`tenant "vault" is encrypted and no key was given`, "(give the tenant's key with --key or CINCHDB_TENANT_KEY)")
	r := byEnv.fail([]string{"query", "SELECT name FROM users", "--tenant", "vault", "--key", "wrong"},
		"wrong encryption key", "(give the tenant's key with --key or CINCHDB_TENANT_KEY)")
	if strings.Contains(r.stderr, "header") {
		t.Errorf("the CLI shows the server's HTTP hint: %s", r.stderr)
	}

	// Rows by id: each side updates and deletes the row it inserted.
	for _, side := range []struct {
		name string
		run  func(args ...string) result
	}{{"local", local.ok}, {"remote", byFlags.ok}} {
		var rec map[string]any
		if err := json.Unmarshal([]byte(side.run("data", "insert", "users", "--tenant", "acme", "--data", `{"name": "Eve"}`, "--format", "json").stdout), &rec); err != nil {
			t.Fatalf("%s: data insert: %v", side.name, err)
		}
		id, _ := rec["id"].(string)
		side.run("data", "update", "users", id, "--tenant", "acme", "--data", `{"age": 77}`)
		r := side.run("query", "SELECT name, age FROM users WHERE id = ?", "--param", id, "--tenant", "acme", "--format", "json")
		if want := `[{"name":"Eve","age":77}]`; strings.Join(strings.Fields(r.stdout), "") != want {
			t.Errorf("%s: after data update by id: %s, want %s", side.name, r.stdout, want)
		}
		r = side.run("data", "delete", "users", id, "--tenant", "acme", "--format", "json")
		if got := normalizedJSON(t, r); !reflect.DeepEqual(got, normalizedJSON(t, result{stdout: `{"rows_affected": 1}`})) {
			t.Errorf("%s: data delete by id: %s", side.name, r.stdout)
		}
	}

	// Table and CSV output have the same shape too (no volatile values here).
	for _, args := range [][]string{
		{"query", "SELECT name, age FROM users ORDER BY name", "--tenant", "acme"},
		{"query", "SELECT name, age FROM users ORDER BY name", "--tenant", "acme", "--format", "csv"},
		{"table", "list", "--format", "csv"},
		{"column", "list", "users"},
		{"kv", "get", "hits", "--tenant", "acme"},
	} {
		if got, want := byFlags.ok(args...).stdout, local.ok(args...).stdout; got != want {
			t.Errorf("cinch %s: remote prints\n%s\nlocal prints\n%s", strings.Join(args, " "), got, want)
		}
	}

	// Errors come back as the same sentinels, so they read the same.
	for _, args := range [][]string{
		{"table", "info", "nope"},
		{"tenant", "info", "nope"},
		{"query", "SELECT * FROM users", "--tenant", "nope"},
		{"table", "create", "users", "x:TEXT"},
		{"column", "drop", "users", "nope", "--force"},
		{"kv", "get", "nope", "--tenant", "acme"},
		{"query", "ATTACH DATABASE 'x' AS y", "--tenant", "acme"},
		{"tenant", "delete", "main", "--force"},
		{"branch", "delete", "main", "--force"},
		{"branch", "merge", "main"},
		{"data", "update", "users", "--tenant", "acme", "--data", `{"age": 1}`},
		{"data", "update", "users", "0190a1b2-0000-7000-8000-000000000000", "--tenant", "acme", "--data", `{"age": 1}`},
	} {
		want := local.fail(args).stderr
		if got := byEnv.fail(args).stderr; got != want {
			t.Errorf("cinch %s: remote error\n%s\nlocal error\n%s", strings.Join(args, " "), got, want)
		}
	}
}

func TestRemoteMode_Access(t *testing.T) {
	dir := t.TempDir()
	served := runner{t: t, dir: dir}
	served.ok("init")
	served.ok("table", "create", "users", "name:TEXT")
	key := lastLine(served.ok("key", "create").stdout)
	srv := startServe(t, dir)
	remote := newRemote(t, srv.base, key, false)

	// The flags win over the environment.
	wrongEnv := runner{t: t, dir: t.TempDir(), env: []string{"CINCH_SERVER=http://127.0.0.1:1", "CINCH_API_KEY=cinch_0000000000000000_wrong"}}
	wrongEnv.ok("--server", srv.base, "--api-key", key, "table", "info", "users")
	wrongEnv.fail([]string{"table", "list"}, "cannot reach the cinch server at http://127.0.0.1:1", "check --server or CINCH_SERVER")

	// A wrong key, and none.
	remote.runner.fail([]string{"--server", srv.base, "--api-key", "cinch_0000000000000000_wrong", "table", "list"},
		"invalid API key", "--api-key")
	remote.runner.fail([]string{"--server", srv.base, "table", "list"}, "no API key", "--api-key KEY", "CINCH_API_KEY")
	remote.runner.fail([]string{"--server", "ftp://nowhere", "--api-key", key, "table", "list"}, "invalid server URL")
	remote.fail([]string{"table", "list", "--project", dir}, "--project or --server, not both")

	// No project folder is opened or needed: the remote runner's folder
	// holds none, and remote commands leave none behind.
	remote.ok("tenant", "create", "acme")
	if entries, _ := os.ReadDir(remote.dir); len(entries) != 0 {
		t.Errorf("remote commands wrote into their folder: %v", entries)
	}

	// Commands that work on a folder only say so, and change nothing.
	for _, args := range [][]string{
		{"init"},
		{"db", "list"},
		{"db", "create", "other"},
		{"db", "switch", "main"},
		{"db", "info"},
		{"branch", "switch", "main"},
		{"branch", "create", "side", "--switch"},
		{"config", "list"},
		{"config", "set", "strict_tenant", "true"},
		{"key", "list"},
		{"key", "create"},
		{"serve"},
		{"tenant", "rotate-key", "acme", "--key", "a", "--new-key", "b"},
	} {
		remote.fail(args, "cinch "+strings.Join(args[:min(2, len(args))], " "), "works on a local project only", "drop --server")
	}
	var branches []map[string]any
	if err := json.Unmarshal([]byte(remote.ok("branch", "list", "--format", "json").stdout), &branches); err != nil || len(branches) != 1 {
		t.Errorf("branch create --switch made a branch before failing: %v %v", branches, err)
	}
	if _, err := os.Stat(filepath.Join(remote.dir, ".cinchdb")); err == nil {
		t.Error("init with --server made a project")
	}

	// --database and --branch still choose where remote commands go.
	remote.ok("branch", "create", "feature")
	remote.ok("table", "create", "tags", "label:TEXT", "--branch", "feature")
	remote.fail([]string{"table", "info", "tags"}, "not found")
	env := remote
	env.runner.env = []string{"CINCHDB_BRANCH=feature"}
	env.ok("table", "info", "tags")
	remote.fail([]string{"table", "list", "--database", "nope"}, "not found")
}
