package main

// Shell completion through the real binary: the scripts of cinch
// completion, and the candidates of cobra's hidden __complete command
// (what the scripts call) with the names of a real project.

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// complete runs `cinch __complete args...` (the last arg is the word being
// completed) and returns the candidates and the directive. It must exit 0
// and never print an error.
func (c runner) complete(args ...string) ([]string, int) {
	c.t.Helper()
	r := c.run(append([]string{"__complete"}, args...)...)
	if r.code != 0 || strings.Contains(r.stderr, "Error") {
		c.t.Fatalf("completion failed: %s", r)
	}
	var out []string
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	for i, line := range lines {
		if rest, ok := strings.CutPrefix(line, ":"); ok && i == len(lines)-1 {
			directive, err := strconv.Atoi(rest)
			if err != nil {
				c.t.Fatalf("bad directive line %q: %s", line, r)
			}
			return out, directive
		}
		name, _, _ := strings.Cut(line, "\t")
		out = append(out, name)
	}
	c.t.Fatalf("no directive line: %s", r)
	return nil, 0
}

// Cobra's directives (cobra.ShellCompDirective).
const (
	directiveNoSpace    = 2
	directiveNoFileComp = 4
	directiveFilterDirs = 16
)

func TestCompletion(t *testing.T) {
	dir := t.TempDir()
	c := runner{t: t, dir: dir}
	c.ok("init")
	c.ok("table", "create", "users", "name:TEXT", "email:TEXT")
	c.ok("table", "create", "orders", "total:REAL", "status:TEXT")
	c.ok("view", "create", "user_names", "SELECT name FROM users")
	c.ok("index", "create", "users", "email", "--name", "users_by_email")
	c.ok("tenant", "create", "acme_corp")
	c.ok("tenant", "create", "wayne_ent")
	c.ok("tenant", "create", "stark_ind", "--lazy")
	c.ok("group", "create", "trial")
	c.ok("branch", "create", "feature.payments")
	c.ok("tenant", "create", "only_on_feature", "--branch", "feature.payments")
	c.ok("db", "create", "analytics")
	c.ok("tenant", "create", "warehouse", "--database", "analytics")

	before := treeHashes(t, dir)
	tenants := []string{"acme_corp", "main", "stark_ind", "wayne_ent"}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		// Tenants: arguments and --tenant, of the active branch.
		{[]string{"tenant", "info", ""}, tenants},
		{[]string{"tenant", "info", "w"}, []string{"wayne_ent"}},
		{[]string{"tenant", "info", "acme_corp", ""}, nil}, // one argument only
		{[]string{"tenant", "delete", "s"}, []string{"stark_ind"}},
		{[]string{"tenant", "copy", "acme_corp", ""}, nil}, // the new name
		{[]string{"tenant", "stats", "acme_corp", ""}, []string{"main", "stark_ind", "wayne_ent"}},
		{[]string{"query", "SELECT 1", "--tenant", ""}, tenants},
		{[]string{"query", "SELECT 1", "-t", "ac"}, []string{"acme_corp"}},
		{[]string{"data", "insert", "users", "--tenant", "m"}, []string{"main"}},
		{[]string{"tenant", "create", "x", "--from", "a"}, []string{"acme_corp"}},
		{[]string{"key", "create", "--tenant", "wa"}, []string{"wayne_ent"}},
		// Of the branch or database the command line names.
		{[]string{"tenant", "info", "--branch", "feature.payments", "o"}, []string{"only_on_feature"}},
		{[]string{"tenant", "info", "o"}, nil},
		{[]string{"query", "SELECT 1", "--database", "analytics", "--tenant", ""}, []string{"main", "warehouse"}},
		// Tables, columns (of the first argument), views, indexes.
		{[]string{"table", "info", ""}, []string{"orders", "users"}},
		{[]string{"data", "insert", "u"}, []string{"users"}},
		{[]string{"column", "list", ""}, []string{"orders", "users"}},
		{[]string{"column", "drop", "users", ""}, []string{"name", "email"}},
		{[]string{"column", "drop", "orders", "s"}, []string{"status"}},
		{[]string{"column", "drop", "nope", ""}, nil},
		{[]string{"column", "rename", "users", "name", ""}, nil},
		{[]string{"index", "create", "users", "name", ""}, []string{"email"}},
		{[]string{"index", "delete", ""}, []string{"users_by_email"}},
		{[]string{"view", "info", ""}, []string{"user_names"}},
		// Branches, databases, groups.
		{[]string{"branch", "switch", ""}, []string{"feature.payments", "main"}},
		{[]string{"branch", "merge", "feature.payments", ""}, []string{"feature.payments", "main"}},
		{[]string{"status", "--branch", "f"}, []string{"feature.payments"}},
		{[]string{"db", "info", ""}, []string{"analytics", "main"}},
		{[]string{"tenant", "list", "--database", ""}, []string{"analytics", "main"}},
		{[]string{"tenant", "group", "set", "acme_corp", ""}, []string{"trial"}},
		{[]string{"query", "SELECT 1", "--group", ""}, []string{"trial"}},
		{[]string{"group", "limits", "t"}, []string{"trial"}},
		// Fixed values.
		{[]string{"status", "--format", ""}, []string{"table", "json", "csv"}},
		{[]string{"config", "set", ""}, []string{"strict_tenant"}},
		{[]string{"config", "set", "strict_tenant", ""}, []string{"true", "false"}},
		{[]string{"codegen", ""}, []string{"go", "typescript", "python"}},
		{[]string{"completion", "f"}, []string{"fish"}},
		// Commands with no name to complete offer nothing, not files.
		{[]string{"query", ""}, nil},
		{[]string{"table", "create", "new_table", ""}, nil},
	} {
		got, directive := c.complete(tc.args...)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("cinch __complete %q (-want +got):\n%s", tc.args, diff)
		}
		if directive&directiveNoFileComp == 0 {
			t.Errorf("cinch __complete %q: directive %d offers files", tc.args, directive)
		}
	}

	// A comma-separated list completes its last element.
	got, directive := c.complete("query", "SELECT 1", "--tenants", "acme_corp,w")
	if want := []string{"acme_corp,wayne_ent"}; !slices.Equal(got, want) || directive&directiveNoSpace == 0 {
		t.Errorf("--tenants: %q, directive %d; want %q without a space", got, directive, want)
	}
	// init's argument is a folder.
	if _, directive := c.complete("init", ""); directive != directiveFilterDirs {
		t.Errorf("init: directive %d, want folders (%d)", directive, directiveFilterDirs)
	}

	// Completion read the project and changed nothing.
	diffTrees(t, before, treeHashes(t, dir))

	// Outside a project, or on a broken one, it offers nothing and does
	// not fail.
	outside := runner{t: t, dir: t.TempDir()}
	for _, args := range [][]string{{"tenant", "info", ""}, {"query", "x", "--tenant", ""}, {"column", "drop", "users", ""}} {
		if got, _ := outside.complete(args...); len(got) != 0 {
			t.Errorf("outside a project: %q offered %q", args, got)
		}
	}
	if got, _ := c.complete("tenant", "info", "--database", "nope", ""); len(got) != 0 {
		t.Errorf("a missing database offered %q", got)
	}
	if got, _ := c.complete("tenant", "info", "--project", t.TempDir(), ""); len(got) != 0 {
		t.Errorf("--project without a project offered %q", got)
	}
	// The project can also come from the environment.
	env := runner{t: t, dir: t.TempDir(), env: []string{"CINCHDB_PROJECT_DIR=" + dir}}
	if got, _ := env.complete("table", "info", ""); !slices.Equal(got, []string{"orders", "users"}) {
		t.Errorf("with CINCHDB_PROJECT_DIR: %q", got)
	}
}

func TestCompletionScripts(t *testing.T) {
	c := runner{t: t, dir: t.TempDir()}
	for shell, marker := range map[string]string{
		"bash":       "complete -o default -F __start_cinch cinch",
		"zsh":        "#compdef cinch",
		"fish":       "complete -c cinch",
		"powershell": "Register-ArgumentCompleter",
	} {
		r := c.ok("completion", shell)
		if !strings.Contains(r.stdout, marker) || !strings.Contains(r.stdout, "__complete") {
			t.Errorf("completion %s: no %q in the script", shell, marker)
		}
	}
	c.fail([]string{"completion", "tcsh"}, `unknown command "tcsh"`)
	if r := c.ok("completion", "--help"); !strings.Contains(r.stdout, "source <(cinch completion bash)") {
		t.Errorf("completion --help shows no installation: %s", r)
	}
}
