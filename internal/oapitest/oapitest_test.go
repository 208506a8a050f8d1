package oapitest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/apikey"
	"github.com/cinchdb/cinch/local"
	"github.com/cinchdb/cinch/server"
)

// The generator and the runtime its output needs, pinned. Default
// generation makes types, a client, an echo server and the embedded spec,
// hence echo and kin-openapi. Newer versions are listed by
// go list -m -versions github.com/oapi-codegen/oapi-codegen/v2.
const (
	oapiCodegen = "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@v2.8.2"
	goMod       = `module example.com/cinchgen

go 1.25

require (
	github.com/getkin/kin-openapi v0.142.0
	github.com/labstack/echo/v4 v4.16.4
	github.com/oapi-codegen/runtime v1.9.0
)
`
)

// TestGeneratedClient generates, compiles and runs a client from the
// served document. It needs the Go toolchain and the module proxy (or a
// module cache that already holds the pinned modules); cold, it spends most
// of its time compiling oapi-codegen once.
func TestGeneratedClient(t *testing.T) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	if dl, ok := t.Deadline(); ok {
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-10*time.Second))
		defer cancel()
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to generate and build the client: %v", err)
	}

	// A project with a table and a key, served on a loopback port.
	dir := t.TempDir()
	if err := local.Init(ctx, dir, ""); err != nil {
		t.Fatal(err)
	}
	p, err := local.Open(ctx, local.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(context.Background())
	db, err := p.Connect(cinch.Target{})
	if err != nil {
		t.Fatal(err)
	}
	var cols []cinch.Column
	for _, spec := range []string{"name:TEXT", "age:INTEGER", "score:REAL"} {
		c, err := cinch.ParseColumnSpec(spec)
		if err != nil {
			t.Fatal(err)
		}
		cols = append(cols, c)
	}
	if _, err := db.Tables().Create(ctx, "users", cols); err != nil {
		t.Fatal(err)
	}
	_, key, err := apikey.ForProject(p).Create(ctx, apikey.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(p, apikey.ForProject(p), server.Config{})
	serveCtx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(serveCtx, ln) }()
	defer func() {
		stop()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	base := "http://" + ln.Addr().String()

	// The document as served.
	resp, err := http.Get(base + "/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	spec, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("openapi.json: %d %v", resp.StatusCode, err)
	}

	// A module of its own: the generated package, the program, go.mod.
	mod := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		path := filepath.Join(mod, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("openapi.json", string(spec))
	write("go.mod", goMod)
	program, err := os.ReadFile(filepath.Join("testdata", "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	write("main.go", string(program))
	env := append(os.Environ(), "GOTOOLCHAIN=local", "GOWORK=off")
	gocmd := func(args ...string) {
		t.Helper()
		cmd := exec.CommandContext(ctx, goBin, args...)
		cmd.Dir, cmd.Env = mod, env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		step := time.Now()
		if err := cmd.Run(); err != nil {
			hint := "the generated client does not compile: the document is at fault"
			if args[0] != "build" {
				hint = "this step needs the Go module proxy, or a module cache holding " + oapiCodegen + " and the modules its go.mod requires"
			}
			t.Fatalf("go %s: %v\n%s\n(%s)", strings.Join(args, " "), err, out.String(), hint)
		}
		t.Logf("go %s: %v", args[0], time.Since(step).Round(100*time.Millisecond))
	}
	if err := os.MkdirAll(filepath.Join(mod, "cinchapi"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Default options: only the package name and the output file.
	gocmd("run", oapiCodegen, "-package", "cinchapi", "-o", "cinchapi/cinchapi.gen.go", "openapi.json")
	gocmd("mod", "tidy")
	gocmd("build", "-o", "prog", ".")

	cmd := exec.CommandContext(ctx, filepath.Join(mod, "prog"))
	cmd.Env = append(os.Environ(), "CINCH_URL="+base, "CINCH_KEY="+key)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("the program using the generated client failed: %v\n%s", err, stderr.String())
		}
		t.Fatal(err)
	}
	var got struct {
		Health            string   `json:"health"`
		Tenant            string   `json:"tenant"`
		InsertedID        string   `json:"inserted_id"`
		InsertedName      string   `json:"inserted_name"`
		InsertedMany      int      `json:"inserted_many"`
		EmptyInsertStatus int      `json:"empty_insert_status"`
		EmptyInsertCode   string   `json:"empty_insert_code"`
		Columns           []string `json:"columns"`
		Rows              [][]any  `json:"rows"`
		Truncated         bool     `json:"truncated"`
		QueryTypedError   string   `json:"query_typed_error"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("program output: %v\n%s", err, stdout.String())
	}
	if got.Health != "ok" || got.Tenant != "generated" || got.InsertedID == "" || got.InsertedName != "Alice" || got.InsertedMany != 2 {
		t.Errorf("health, tenant create, inserts: %s", stdout.String())
	}
	if got.EmptyInsertStatus != 400 || got.EmptyInsertCode != "invalid_input" {
		t.Errorf("an unset RowOrRows body: status %d code %q, want 400 invalid_input", got.EmptyInsertStatus, got.EmptyInsertCode)
	}

	wantRows := [][]any{{"Alice", 30.0, 2.5}, {"Bob", 41.0, nil}}
	if got.QueryTypedError != "" {
		t.Fatalf("the generated client cannot decode the query response: %s", got.QueryTypedError)
	}
	if strings.Join(got.Columns, ",") != "name,age,score" || !jsonEqual(got.Rows, wantRows) || got.Truncated {
		t.Errorf("query: columns %v rows %v truncated %v, want name,age,score %v", got.Columns, got.Rows, got.Truncated, wantRows)
	}

	// The server agrees: three rows in the new tenant, none of them empty.
	res, err := db.SwitchTenant("generated").Query(ctx, "SELECT count(*) AS n, count(name) AS named FROM users")
	if err != nil {
		t.Fatal(err)
	}
	if n, named := res.Value(0, "n"), res.Value(0, "named"); n != int64(3) || named != int64(3) {
		t.Errorf("tenant generated holds %v rows, %v named; want 3 and 3", n, named)
	}
	t.Logf("generated, compiled and ran the client in %v", time.Since(start).Round(100*time.Millisecond))
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}
