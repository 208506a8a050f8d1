package cli_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/cli"
)

// The CLI puts an engine hint in its own words, naming the command, and
// fills in the names the error is about.
func TestErrorMessage_CommandHints(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&cinch.Error{Err: cinch.ErrTenantArchived, Entity: `tenant "wayne"`, Message: `tenant "wayne" is archived`, Hint: "restore it first"},
			`tenant "wayne" is archived (restore it first: cinch tenant restore wayne)`},
		{&cinch.Error{Err: cinch.ErrTenantArchived, Entity: `tenant "wayne"`, Message: `tenant "wayne" is already archived`},
			`tenant "wayne" is already archived (restore it with: cinch tenant restore wayne)`},
		{cinch.NotFound(cinch.ErrColumnNotFound, "column", "users.phone", ""),
			"column \"users.phone\" not found (run `cinch column list users` to see the columns)"},
		{cinch.NotFound(cinch.ErrRowNotFound, "row", "users/0190", ""),
			`row "users/0190" not found (check the id with: cinch query "SELECT id FROM users")`},
		// A hint the CLI has no words for is shown as it is.
		{&cinch.Error{Err: cinch.ErrLimitExceeded, Message: "too many queries", Hint: "retry later, or raise the group's limit"},
			"too many queries (retry later, or raise the group's limit)"},
	}
	for _, tt := range tests {
		if got := cli.ErrorMessage(tt.err); got != tt.want {
			t.Errorf("ErrorMessage(%v)\n got %q\nwant %q", tt.err, got, tt.want)
		}
	}
}

// Every hint of the engine that the CLI puts in its own words reaches a
// CLI user with the command or flag that helps (see commandHints).
func TestRun_CommandHints(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{cli.EnvProjectDir: dir}
	must := func(args ...string) {
		t.Helper()
		if code, _, stderr := run(t, env, args...); code != 0 {
			t.Fatalf("%s: %s", strings.Join(args, " "), stderr)
		}
	}
	must("init")
	must("table", "create", "users", "name:TEXT", "email:TEXT")
	must("index", "create", "users", "email")
	must("tenant", "create", "acme")
	must("tenant", "create", "old")
	must("tenant", "archive", "old")
	must("branch", "create", "feature")
	must("column", "add", "users", "age:INTEGER", "--branch", "feature")
	must("column", "add", "users", "age:TEXT")
	must("tenant", "create", "vault", "--encrypt", "--key", "secret")
	must("group", "create", "tiny", "--max-db-size", "64KiB")
	must("tenant", "create", "small")
	must("tenant", "group", "set", "small", "tiny")

	big := `{"name": "` + strings.Repeat("x", 200<<10) + `"}`
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"query", "SELECT 1", "--tenant", "nope"}, "see the tenants with: cinch tenant list, or create it with: cinch tenant create nope"},
		{[]string{"query", "SELECT 1", "--tenant", "old"}, "restore it first: cinch tenant restore old"},
		{[]string{"tenant", "rename", "old", "older"}, "restore it before renaming: cinch tenant restore old"},
		{[]string{"tenant", "archive", "old"}, "restore it with: cinch tenant restore old"},
		{[]string{"tenant", "rename", "main", "other"}, "copy it instead: cinch tenant copy main NEW"},
		{[]string{"db", "delete", "main", "--force"}, "switch to another database first: cinch db switch NAME"},
		{[]string{"view", "update", "nope", "SELECT 1"}, "create it with: cinch view create"},
		{[]string{"column", "drop", "users", "email", "--force"}, "delete the index first: cinch index delete idx_users_email"},
		{[]string{"column", "add", "users", "req:TEXT:not_null"}, "add :default=VALUE, or add it nullable and use column alter-nullable --not-null --fill-value V later"},
		{[]string{"query", "SELECT ?"}, "give one --param per ? in the query"},
		{[]string{"data", "insert", "users", "--tenant", "small", "--data", big}, "the tenant reached its group's max database size (cinch group limits); nothing was written"},
		{[]string{"query", "SELECT 1", "--tenant", "vault", "--key", "wrong"}, "give the tenant's key with --key or CINCHDB_TENANT_KEY"},
		{[]string{"query", "SELECT 1", "--tenant", "vault"}, "give its key with --key or CINCHDB_TENANT_KEY"},
		{[]string{"tenant", "create", "vault2", "--encrypt"}, "pass --key KEY or set CINCHDB_TENANT_KEY; cinch never stores it"},
		{[]string{"tenant", "rotate-key", "vault", "--key", "secret"}, "give the new key with --new-key"},
		{[]string{"key", "revoke", "deadbeefdeadbeef"}, "see the keys with: cinch key list"},
		{[]string{"branch", "merge", "feature", "main"}, "change one side so both agree (e.g. drop or rename on one branch), then merge again; --dry-run lists each side's changes"},
		{[]string{"branch", "create", "copy"}, "fix the cause and run any cinch command on this branch (e.g. cinch tenant check --all) to finish"},
		// Fallbacks of the error table, filled in from the error.
		{[]string{"data", "update", "users", "nope", "--data", `{"name": "x"}`}, `check the id with: cinch query "SELECT id FROM users"`},
		{[]string{"data", "insert", "users", "--data", `{"nope": 1}`}, "run `cinch column list users` to see the columns"},
		{[]string{"column", "list", "nope"}, "run `cinch table list` to see the tables"},
		{[]string{"tenant", "group", "set", "acme", "nope"}, "run `cinch group list` to see the groups"},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		code, _, stderr := run(t, env, tt.args...)
		if code != 1 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%s: exit %d, stderr %q, want %q", strings.Join(tt.args, " "), code, stderr, tt.want)
		}
		covered[tt.want] = true
	}

	// A config.toml that does not parse.
	if err := os.WriteFile(filepath.Join(dir, ".cinchdb", "config.toml"), []byte("active_database = ["), 0o644); err != nil {
		t.Fatal(err)
	}
	want := "fix the file or set active_database and active_branch again with cinch db switch"
	if code, _, stderr := run(t, env, "status"); code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("status with a broken config.toml: exit %d, stderr %q, want %q", code, stderr, want)
	}
	covered[want] = true

	// Every entry of commandHints is one of the cases above: an entry
	// whose engine hint changed or went away fails here, not silently.
	for engine, words := range cli.CommandHints {
		found := false
		for w := range covered {
			found = found || fills(words, w)
		}
		if !found {
			t.Errorf("commandHints[%q] is not exercised by a case here", engine)
		}
		if strings.Contains(engine, "cinch ") || strings.Contains(engine, "--") {
			t.Errorf("commandHints key %q names a command or flag: engine hints do not", engine)
		}
	}
}

// fills reports whether text is hint with its placeholders filled in.
func fills(hint, text string) bool {
	re := "^" + regexp.MustCompile(`\\\{(name|table)\\\}`).ReplaceAllString(regexp.QuoteMeta(hint), `\w+`) + "$"
	return regexp.MustCompile(re).MatchString(text)
}
