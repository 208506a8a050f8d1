package codegen_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/apikey"
	"github.com/cinchdb/cinch/codegen"
	"github.com/cinchdb/cinch/codegen/internal/modelstest"
	"github.com/cinchdb/cinch/local"
	"github.com/cinchdb/cinch/server"
)

// tool finds a program the compile checks need. Outside CI a missing one
// skips the check; in CI (CI set, as .ci/run has it) it fails, so CI never
// passes without having compiled the models.
func tool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is needed to check the generated models: %v", name, err)
		}
		t.Skipf("%s not found: %v", name, err)
	}
	return path
}

// run runs a command in dir and returns its stdout; it fails the test
// with the output when the command fails.
func run(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", filepath.Base(name), strings.Join(args, " "), err, stdout.Bytes(), stderr.Bytes())
	}
	return stdout.String()
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	write(t, to, data)
}

// serve makes a project with modelstest's schema and rows and serves it
// over HTTP; it returns the server's URL, a key and the tenant handle.
func serve(t *testing.T) (string, string, *local.DB) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	if err := local.Init(ctx, dir, ""); err != nil {
		t.Fatal(err)
	}
	p, err := local.Open(ctx, local.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	db, err := p.Connect(cinch.Target{})
	if err != nil {
		t.Fatal(err)
	}
	if err := modelstest.Create(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, _, err := modelstest.Insert(ctx, db); err != nil {
		t.Fatal(err)
	}
	_, key, err := apikey.ForProject(p).Create(ctx, apikey.Spec{Database: "main", Branch: "main", Tenant: "main"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(server.New(p, apikey.ForProject(p), server.Config{}).Handler())
	t.Cleanup(ts.Close)
	return ts.URL, key, db
}

func request(t *testing.T, method, url, key, body string) []byte {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, data)
	}
	return data
}

// expected is what each language's check prints for modelstest's rows
// (testdata/check: the three print values the same way).
const expected = `every_type full: text_opt optional text int_opt 4503599627370496 real_req 2.5 num_req 7 bool_req true bool_opt false blob_req [0 1 2 254 255] blob_opt [98 121 116 101 115] api_url https://api.example.com
every_type minimal: text_opt nil int_opt nil real_req 0 num_req 1.5 bool_req false bool_opt nil blob_req [9] blob_opt nil api_url https://example.com
order_items: qty 1 every_type_id set true
every_view full: created true int_opt 4503599627370496 bool_req true doubled 5 num_real 3.75 item_count 1
every_view minimal: created true int_opt nil bool_req false doubled 0 num_real nil item_count 0
`

// TestCompile generates models of a schema that uses every column type
// through the HTTP route (GET .../codegen, the same source as cinch
// codegen), then, beside the golden files: go vet and go run on the Go (a
// throwaway module, standard library only), tsc on the TypeScript (the
// strictest flags, pinned in testdata/tsc) and node on its output, python3
// -m py_compile and an import of every Python file; each decodes the rows
// the HTTP API returns for the tables and the view.
func TestCompile(t *testing.T) {
	ctx := context.Background()
	url, key, db := serve(t)
	branch := url + "/v1/databases/main/branches/main"
	s, err := codegen.Load(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	sources := map[codegen.Language][]byte{}
	for _, lang := range codegen.Languages {
		var got server.GeneratedModels
		url := branch + "/codegen?lang=" + string(lang)
		opts := codegen.Options{}
		if lang == codegen.Go {
			url += "&package=live" // the check imports it as codegencheck/live
			opts.Package = "live"
		}
		if err := json.Unmarshal(request(t, "GET", url, key, ""), &got); err != nil {
			t.Fatal(err)
		}
		want, err := codegen.Generate(lang, s, opts)
		if err != nil {
			t.Fatal(err)
		}
		if got.Language != string(lang) || got.Filename != lang.FileName() || got.Source != string(want) {
			t.Fatalf("GET codegen?lang=%s: %s %s, source differs from Generate:\n%s", lang, got.Language, got.Filename, cmp.Diff(string(want), got.Source))
		}
		sources[lang] = want
	}
	results := map[string]json.RawMessage{}
	for name, sql := range map[string]string{
		"every_type":  "SELECT * FROM every_type ORDER BY text_req",
		"order_items": "SELECT * FROM order_items",
		"every_view":  "SELECT * FROM every_view ORDER BY text_req",
	} {
		body, _ := json.Marshal(map[string]string{"sql": sql})
		results[name] = request(t, "POST", branch+"/tenants/main/query", key, string(body))
	}
	recordsJSON, _ := json.Marshal(results)
	goldens, err := filepath.Glob(filepath.Join("testdata", "*.golden"))
	if err != nil || len(goldens) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	golden := func(ext string) map[string]string { // case name → path
		out := map[string]string{}
		for _, g := range goldens {
			if c, ok := strings.CutSuffix(filepath.Base(g), "."+ext+".golden"); ok {
				out[c] = g
			}
		}
		return out
	}
	check := func(t *testing.T, got string) {
		t.Helper()
		got, ok := strings.CutSuffix(got, "errors ok\n")
		if !ok {
			t.Errorf("the check did not get to its end: %s", got)
		}
		if diff := cmp.Diff(expected, got); diff != "" {
			t.Errorf("decoded rows (-want +got):\n%s", diff)
		}
	}

	t.Run("go", func(t *testing.T) {
		t.Parallel()
		goBin := tool(t, "go")
		dir := t.TempDir()
		write(t, filepath.Join(dir, "go.mod"), []byte("module codegencheck\n\ngo 1.22\n"))
		for c, path := range golden("go") {
			copyFile(t, path, filepath.Join(dir, "golden", c, "models.go"))
		}
		write(t, filepath.Join(dir, "live", "models.go"), sources[codegen.Go])
		copyFile(t, filepath.Join("testdata", "check", "main.go"), filepath.Join(dir, "main.go"))
		write(t, filepath.Join(dir, "records.json"), recordsJSON)
		env := []string{"GOWORK=off", "GOFLAGS=-mod=mod", "GOPROXY=off", "GOTOOLCHAIN=local"}
		run(t, dir, env, goBin, "vet", "./...")
		check(t, run(t, dir, env, goBin, "run", ".", "records.json"))
	})

	t.Run("typescript", func(t *testing.T) {
		t.Parallel()
		npm, node := tool(t, "npm"), tool(t, "node")
		dir := t.TempDir()
		copyFile(t, filepath.Join("testdata", "tsc", "package.json"), filepath.Join(dir, "package.json"))
		copyFile(t, filepath.Join("testdata", "tsc", "package-lock.json"), filepath.Join(dir, "package-lock.json"))
		var files []string
		for c, path := range golden("ts") {
			copyFile(t, path, filepath.Join(dir, "golden", c+".ts"))
			files = append(files, filepath.Join("golden", c+".ts"))
		}
		write(t, filepath.Join(dir, "live", "models.ts"), sources[codegen.TypeScript])
		copyFile(t, filepath.Join("testdata", "check", "check_models.js"), filepath.Join(dir, "check_models.js"))
		write(t, filepath.Join(dir, "records.json"), recordsJSON)
		run(t, dir, nil, npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error")
		// The strictest settings a project may use; the output is CommonJS
		// for node to run. --lib es2017: no newer runtime API is needed.
		args := append([]string{"--strict", "--noUnusedLocals", "--noUnusedParameters", "--noImplicitReturns",
			"--noUncheckedIndexedAccess", "--exactOptionalPropertyTypes", "--noPropertyAccessFromIndexSignature",
			"--noImplicitOverride", "--noFallthroughCasesInSwitch", "--isolatedModules", "--forceConsistentCasingInFileNames",
			"--declaration", "--isolatedDeclarations",
			"--target", "es2017", "--lib", "es2017", "--module", "commonjs",
			"--rootDir", ".", "--outDir", "out", filepath.Join("live", "models.ts")}, files...)
		run(t, dir, nil, node, append([]string{filepath.Join("node_modules", "typescript", "bin", "tsc")}, args...)...)
		check(t, run(t, dir, nil, node, "check_models.js", "records.json"))
	})

	t.Run("python", func(t *testing.T) {
		t.Parallel()
		python := tool(t, "python3")
		dir := t.TempDir()
		var files []string
		for c, path := range golden("py") {
			copyFile(t, path, filepath.Join(dir, "golden", c+".py"))
			files = append(files, filepath.Join("golden", c+".py"))
		}
		write(t, filepath.Join(dir, "live", "models.py"), sources[codegen.Python])
		copyFile(t, filepath.Join("testdata", "check", "check_models.py"), filepath.Join(dir, "check_models.py"))
		write(t, filepath.Join(dir, "records.json"), recordsJSON)
		run(t, dir, nil, python, append([]string{"-m", "py_compile", filepath.Join("live", "models.py")}, files...)...)
		check(t, run(t, dir, nil, python, "check_models.py", "records.json"))
	})
}
