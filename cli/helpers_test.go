package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/cli"
)

func TestParseParam(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{"42", int64(42)},
		{"-7", int64(-7)},
		{"1.5", 1.5},
		{"1e3", 1000.0},
		{"true", true},
		{"false", false},
		{"null", nil},
		{`"42"`, "42"},
		{`"hello world"`, "hello world"},
		{"alice@acme.com", "alice@acme.com"},
		{"acme_corp", "acme_corp"},
		{"", ""},
		{" 42", " 42"},
		{"42 ", "42 "},
		{"007", "007"},
		{"12345678901234567890", "12345678901234567890"},
		{"1 2", "1 2"},
		{`{"a":1}`, `{"a":1}`},
		{"[1,2]", "[1,2]"},
		{"True", "True"},
		{"NULL", "NULL"},
		{"555-0100", "555-0100"},
		{`"unterminated`, `"unterminated`},
	}
	for _, tt := range tests {
		got := cli.ParseParam(tt.in)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseParam(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestDecodeRecords(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		allowArray bool
		want       []cinch.Record
		many       bool
		errSub     string
	}{
		{name: "object", in: `{"name": "Alice", "age": 30, "score": 1.5, "active": true, "phone": null}`, allowArray: true,
			want: []cinch.Record{{"name": "Alice", "age": int64(30), "score": 1.5, "active": true, "phone": nil}}},
		{name: "array", in: `[{"name": "Bruce"}, {"name": "Alfred"}]`, allowArray: true, many: true,
			want: []cinch.Record{{"name": "Bruce"}, {"name": "Alfred"}}},
		{name: "array not allowed", in: `[{"name": "Bruce"}]`, errSub: "expected a JSON object, got an array"},
		{name: "trailing data", in: `{"name": "Alice"} {"name": "Bob"}`, allowArray: true, errSub: "unexpected data after the JSON value"},
		{name: "trailing garbage", in: `{"name": "Alice"}x`, allowArray: true, errSub: "unexpected data"},
		{name: "string", in: `"Alice"`, allowArray: true, errSub: "got a string"},
		{name: "number", in: `42`, errSub: "expected a JSON object, got a number"},
		{name: "null", in: `null`, allowArray: true, errSub: "got null"},
		{name: "array of non-objects", in: `[{"a": 1}, 2]`, allowArray: true, errSub: "element 1 of the array is a number"},
		{name: "empty array", in: `[]`, allowArray: true, errSub: "empty"},
		{name: "empty", in: ``, allowArray: true, errSub: "empty input"},
		{name: "nested", in: `{"tags": ["a"]}`, allowArray: true, errSub: `value of "tags" is an array`},
		{name: "syntax", in: `{"name": }`, allowArray: true, errSub: "invalid --data"},
		{name: "big float", in: `{"x": 1e400}`, allowArray: true, errSub: "out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, many, err := cli.DecodeRecords(tt.in, tt.allowArray)
			if tt.errSub != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errSub) {
					t.Fatalf("err = %v, want one containing %q", err, tt.errSub)
				}
				if !errors.Is(err, cinch.ErrInvalidInput) {
					t.Errorf("err = %v, want ErrInvalidInput", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if many != tt.many {
				t.Errorf("many = %v, want %v", many, tt.many)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteResult(t *testing.T) {
	rows := &cinch.Result{
		Columns: []string{"name", "email", "age", "active", "score", "phone"},
		Rows: [][]any{
			{"Alice", "alice@acme.com", int64(30), true, 1.5, nil},
			{"Bob, Jr.", "bob@acme.com", int64(7), false, 100.0, "555"},
		},
	}
	empty := &cinch.Result{Columns: []string{"name", "email"}}
	write := &cinch.Result{RowsAffected: 3}
	dup := &cinch.Result{Columns: []string{"id", "id", "id_2", "x"}, Rows: [][]any{{int64(1), int64(2), int64(3), "9e999"}}}
	inf := &cinch.Result{Columns: []string{"f", "g", "h"}, Rows: [][]any{{math.Inf(1), math.Inf(-1), 2.0}}}

	tests := []struct {
		name   string
		format string
		res    *cinch.Result
		want   string
	}{
		{"json rows keep column order", "json", rows, `[
  {
    "name": "Alice",
    "email": "alice@acme.com",
    "age": 30,
    "active": true,
    "score": 1.5,
    "phone": null
  },
  {
    "name": "Bob, Jr.",
    "email": "bob@acme.com",
    "age": 7,
    "active": false,
    "score": 100.0,
    "phone": "555"
  }
]
`},
		{"json empty is []", "json", empty, "[]\n"},
		{"json write", "json", write, "{\n  \"rows_affected\": 3\n}\n"},
		{"csv rows", "csv", rows, "name,email,age,active,score,phone\n" +
			"Alice,alice@acme.com,30,true,1.5,\n" +
			"\"Bob, Jr.\",bob@acme.com,7,false,100,555\n"},
		{"csv empty has header", "csv", empty, "name,email\n"},
		{"csv write", "csv", write, "rows_affected\n3\n"},
		{"table write", "table", write, "3 rows affected\n"},
		{"table one row affected", "table", &cinch.Result{RowsAffected: 1}, "1 row affected\n"},
		{"json repeated names get suffixes", "json", dup, `[
  {
    "id": 1,
    "id_3": 2,
    "id_2": 3,
    "x": "9e999"
  }
]
`},
		{"json infinity and nested quotes", "json", inf, `[
  {
    "f": 9e999,
    "g": -9e999,
    "h": 2.0
  }
]
`},
		{"csv keeps repeated names", "csv", dup, "id,id,id_2,x\n1,2,3,9e999\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := cli.WriteResult(&buf, tt.format, tt.res); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, buf.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteResultTable(t *testing.T) {
	res := &cinch.Result{
		Columns: []string{"name", "Phone", "age"},
		Rows:    [][]any{{"Alice", nil, int64(30)}},
	}
	var buf bytes.Buffer
	if err := cli.WriteResult(&buf, "table", res); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 6 {
		t.Fatalf("want 6 lines (4 of table, 1 row, count), got %d:\n%s", len(lines), out)
	}
	header := lines[1]
	// Columns in result order, header text as written (not upper-cased).
	if i, j, k := strings.Index(header, "name"), strings.Index(header, "Phone"), strings.Index(header, "age"); !(i >= 0 && i < j && j < k) {
		t.Errorf("header %q does not list name, Phone, age in order", header)
	}
	if !strings.Contains(lines[3], "Alice") || !strings.Contains(lines[3], "NULL") || !strings.Contains(lines[3], "30") {
		t.Errorf("row line %q lacks Alice, NULL, 30", lines[3])
	}
	if lines[5] != "(1 row)" {
		t.Errorf("last line = %q, want (1 row)", lines[5])
	}
}

func TestWriteResultJSONValid(t *testing.T) {
	res := &cinch.Result{
		Columns: []string{"a", "b", "c"},
		Rows:    [][]any{{[]byte{0, 1, 2}, "quote\"and\nnewline", int64(-1)}},
	}
	var buf bytes.Buffer
	if err := cli.WriteResult(&buf, "json", res); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, buf.String())
	}
	if got[0]["a"] != "AAEC" || got[0]["b"] != "quote\"and\nnewline" || got[0]["c"] != -1.0 {
		t.Errorf("got %v", got)
	}
}

func TestJSONKeys(t *testing.T) {
	tests := []struct{ columns, want []string }{
		{nil, []string{}},
		{[]string{"a", "b"}, []string{"a", "b"}},
		{[]string{"id", "id", "id"}, []string{"id", "id_2", "id_3"}},
		{[]string{"id", "id", "id_2"}, []string{"id", "id_3", "id_2"}},
		{[]string{"id_2", "id", "id"}, []string{"id_2", "id", "id_3"}},
		{[]string{"", ""}, []string{"", "_2"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, cli.JSONKeys(tt.columns)); diff != "" {
			t.Errorf("JSONKeys(%q) (-want +got):\n%s", tt.columns, diff)
		}
	}
}

func TestFormatValue(t *testing.T) {
	tests := []struct {
		v           any
		table, csvV string
	}{
		{nil, "NULL", ""},
		{"x", "x", "x"},
		{int64(12), "12", "12"},
		{1.25, "1.25", "1.25"},
		{1e21, "1e+21", "1e+21"},
		{true, "true", "true"},
		{[]byte("hi"), "aGk=", "aGk="},
	}
	for _, tt := range tests {
		if got := cli.FormatValue(tt.v, false); got != tt.table {
			t.Errorf("FormatValue(%#v, table) = %q, want %q", tt.v, got, tt.table)
		}
		if got := cli.FormatValue(tt.v, true); got != tt.csvV {
			t.Errorf("FormatValue(%#v, csv) = %q, want %q", tt.v, got, tt.csvV)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{cinch.ErrTenantNotFound, "tenant not found (run `cinch tenant list` to see the tenants)"},
		{cinch.NotFound(cinch.ErrTenantNotFound, "tenant", "acme_corp", "check the name"), `tenant "acme_corp" not found (check the name)`},
		{cinch.ValidateTenantName("acme-corp"), `invalid tenant name "acme-corp": must be 1-63 characters of a-z, 0-9 and _, not starting with __ (reserved)`},
		{errors.New("line one\nline two"), "line one; line two"},
		{cinch.ErrNoProject, "No CinchDB project found (run `cinch init` to create one, or pass --project DIR)"},
		// Unavailable: the fallback hint, unless the server's message already says to retry.
		{cinch.ErrUnavailable, "unavailable (retry in a moment; a cluster answers while a majority of its nodes is up)"},
		{fmt.Errorf("%w: tenant t has no reachable owner (retry: another node takes the tenant over)", cinch.ErrUnavailable),
			"unavailable: tenant t has no reachable owner (retry: another node takes the tenant over)"},
	}
	for _, tt := range tests {
		if got := cli.ErrorMessage(tt.err); got != tt.want {
			t.Errorf("ErrorMessage(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// run runs the CLI in-process.
func run(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = cli.Run(context.Background(), args, strings.NewReader(""), &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args    []string
		errLine string
		help    string
	}{
		{[]string{"bogus"}, `Error: unknown command "bogus" for "cinch"`, "cinch --help"},
		{[]string{"tenant", "bogus"}, `Error: unknown command "bogus" for "cinch tenant"`, "cinch tenant --help"},
		{[]string{"tenant", "lsit"}, `(did you mean "list"?)`, "cinch tenant --help"},
		{[]string{"tenant", "create"}, "Error: give at least one tenant NAME, or --from-file F", "cinch tenant create --help"},
		{[]string{"tenant", "list", "--bogus"}, "Error: unknown flag: --bogus", "cinch tenant list --help"},
		{[]string{"version", "--format", "yaml"}, `Error: invalid --format "yaml": use table, json or csv`, "cinch version --help"},
		{[]string{"column", "alter-nullable", "users", "phone"}, "give exactly one of --nullable and --not-null", "--help"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := run(t, nil, tt.args...)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want empty", stdout)
			}
			if !strings.Contains(stderr, tt.errLine) || !strings.Contains(stderr, tt.help) {
				t.Errorf("stderr = %q, want %q and %q", stderr, tt.errLine, tt.help)
			}
			if n := strings.Count(stderr, "\n"); n > 3 {
				t.Errorf("stderr has %d lines, want a concise message:\n%s", n, stderr)
			}
		})
	}
}

func TestVersionAndHelp(t *testing.T) {
	code, stdout, _ := run(t, nil, "version")
	if code != 0 || !strings.HasPrefix(stdout, "cinch ") {
		t.Errorf("version: exit %d, stdout %q", code, stdout)
	}
	code, stdout, _ = run(t, nil, "version", "--format", "json")
	var v map[string]string
	if code != 0 || json.Unmarshal([]byte(stdout), &v) != nil || v["version"] == "" || v["go"] == "" {
		t.Errorf("version --format json: exit %d, stdout %q", code, stdout)
	}
	code, stdout, _ = run(t, nil, "--help")
	if code != 0 || !strings.Contains(stdout, "tenant") {
		t.Errorf("--help: exit %d, stdout %q", code, stdout)
	}
}

func TestNoProject(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"status"}, {"tenant", "list"}, {"query", "SELECT 1"}} {
		code, stdout, stderr := run(t, map[string]string{cli.EnvProjectDir: dir}, args...)
		if code != 1 || stdout != "" || !strings.Contains(stderr, "No CinchDB project found") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
}

func TestEveryCommandHasHelp(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Short == "" {
			t.Errorf("%q has no Short", c.CommandPath())
		}
		if c.Example == "" {
			t.Errorf("%q has no Example", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			if sub.Name() == "help" {
				continue
			}
			walk(sub)
		}
	}
	walk(cli.RootCommand())
}

func TestCommandTree(t *testing.T) {
	root := cli.RootCommand()
	for _, path := range []string{
		"init", "status", "version",
		"db list", "db create", "db switch", "db info", "db delete",
		"branch list", "branch info", "branch changes", "branch create", "branch switch", "branch delete",
		"branch merge", "branch merge-into-main",
		"tenant list", "tenant create", "tenant info", "tenant copy", "tenant rename", "tenant delete", "tenant check",
		"tenant stats", "tenant vacuum", "tenant analyze", "tenant archive", "tenant restore", "tenant group set",
		"group create", "group list", "group limits",
		"table list", "table create", "table info", "table copy", "table delete", "table drop",
		"column list", "column add", "column drop", "column rename", "column alter-nullable",
		"view list", "view create", "view update", "view info", "view delete",
		"index list", "index create", "index delete",
		"query", "data insert", "data update", "data delete",
	} {
		c, rest, err := root.Find(strings.Fields(path))
		if err != nil || len(rest) != 0 || c == root {
			t.Errorf("command %q not found", path)
		}
	}
}

func TestErrorTableCoversEveryCode(t *testing.T) {
	for _, c := range cinch.Codes {
		if !cli.HasErrorCode(c.Code) {
			t.Errorf("error code %q is missing from cli/errors.go", c.Code)
		}
	}
}
