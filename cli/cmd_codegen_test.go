package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cinchdb/cinch/cli"
)

// codegenCLI runs the CLI in-process on the project in dir.
func codegenCLI(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = cli.Run(context.Background(), append([]string{"--project", dir}, args...), nil, &out, &errb, nil)
	return out.String(), errb.String(), code
}

func codegenMust(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, errOut, code := codegenCLI(t, dir, args...)
	if code != 0 {
		t.Fatalf("cinch %s: exit %d: %s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// TestCodegen: the models follow the branch (a column added is a field
// after regenerating), in every language, printed or written with --out.
func TestCodegen(t *testing.T) {
	dir := t.TempDir()
	codegenMust(t, dir, "init", dir)
	codegenMust(t, dir, "table", "create", "users", "name:TEXT:not_null", "active:BOOLEAN:default=true")
	codegenMust(t, dir, "view", "create", "active_users", "SELECT id, name FROM users WHERE active")

	before := map[string]string{}
	for _, lang := range []string{"go", "typescript", "python"} {
		before[lang] = codegenMust(t, dir, "codegen", lang)
	}
	for lang, want := range map[string][]string{
		"go":         {"package models", "type Users struct", "Active    *bool ", "type ActiveUsers struct"},
		"typescript": {"export interface Users {", "  active?: boolean | null;", "export interface ActiveUsers {"},
		"python":     {"class Users:", "    active: bool | None = None", "class ActiveUsers:"},
	} {
		for _, w := range want {
			if !strings.Contains(before[lang], w) {
				t.Errorf("codegen %s: no %q in\n%s", lang, w, before[lang])
			}
		}
	}

	codegenMust(t, dir, "column", "add", "users", "signup_count:INTEGER:not_null:default=0")
	for lang, want := range map[string]string{
		"go":         "SignupCount int64 ",
		"typescript": "  signupCount: number;",
		"python":     "    signup_count: int  #",
	} {
		if strings.Contains(before[lang], want) {
			t.Fatalf("%s models had %q before the column was added", lang, want)
		}
		after := codegenMust(t, dir, "codegen", lang)
		if !strings.Contains(after, want) {
			t.Errorf("codegen %s after column add: no %q in\n%s", lang, want, after)
		}
	}

	// --out writes the language's file (creating the folder), and again.
	out := filepath.Join(dir, "gen", "models")
	for i := 0; i < 2; i++ {
		msg := codegenMust(t, dir, "codegen", "go", "--out", out, "--package", "db")
		if want := "Wrote " + filepath.Join(out, "models.go") + " (1 table, 1 view)"; strings.TrimSpace(msg) != want {
			t.Errorf("message %q, want %q", msg, want)
		}
	}
	data, err := os.ReadFile(filepath.Join(out, "models.go"))
	if err != nil || !strings.Contains(string(data), "package db\n") || !strings.Contains(string(data), "SignupCount") {
		t.Errorf("models.go: %v\n%s", err, data)
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 1 {
		t.Errorf("%s holds %d files, want only models.go (no temporary file left)", out, len(entries))
	}
	codegenMust(t, dir, "codegen", "ts", "-o", out)
	codegenMust(t, dir, "codegen", "py", "-o", out)
	for _, f := range []string{"models.ts", "models.py"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}

	// --format json: the HTTP route's body, or what was written.
	var body struct{ Language, Filename, Source string }
	if err := json.Unmarshal([]byte(codegenMust(t, dir, "codegen", "python", "--format", "json")), &body); err != nil {
		t.Fatal(err)
	}
	if body.Language != "python" || body.Filename != "models.py" || body.Source != codegenMust(t, dir, "codegen", "python") {
		t.Errorf("--format json: %+v", body)
	}
	var wrote map[string]any
	if err := json.Unmarshal([]byte(codegenMust(t, dir, "codegen", "go", "--out", out, "--format", "json")), &wrote); err != nil {
		t.Fatal(err)
	}
	if wrote["file"] != filepath.Join(out, "models.go") || wrote["language"] != "go" || wrote["tables"] != 1.0 {
		t.Errorf("--out --format json: %v", wrote)
	}

	for _, bad := range [][]string{{"codegen", "rust"}, {"codegen"}, {"codegen", "go", "--package", "not-a-package"}} {
		if _, errOut, code := codegenCLI(t, dir, bad...); code != 1 || !strings.HasPrefix(errOut, "Error: ") {
			t.Errorf("cinch %s: exit %d, %q", strings.Join(bad, " "), code, errOut)
		}
	}
}
