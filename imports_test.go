package cinch_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The layers of the module (docs/design.md, "Shape of the code"), checked
// on what go list reports. Only non-test imports count: a _test.go file may
// import the driver to compare cinch against raw SQLite (as
// cmd/cinch/lossless_test.go and bench/ do), and sqlite's own tests reach
// its connection through sqlite.RawConn (sqlite/export_test.go).
const (
	module = "github.com/cinchdb/cinch"
	driver = "github.com/ncruces/go-sqlite3" // and its subpackages, and -wasm
)

// driverUsers are the module's packages allowed to import the driver.
var driverUsers = map[string]string{
	module + "/sqlite": "the adapter: the one package that opens SQLite files",
	// cinch-bench measures cinch against the driver used directly (the
	// baseline of docs/benchmarks.md); it is a tool beside cinch, not part
	// of it, and no package imports it.
	module + "/cmd/cinch-bench": "the benchmark's raw-driver baseline",
}

// localImports are the module's packages local may import: the vocabulary
// and the SQLite adapter, never server, client, cli or cmd. A new package
// below the engine joins this list and the design's table together.
var localImports = []string{module, module + "/schema", module + "/sqlite"}

// listedPackage is what TestImports reads of go list -json.
type listedPackage struct {
	ImportPath string
	Imports    []string
	Standard   bool
	Module     *struct{ Path string }
}

func TestImports(t *testing.T) {
	pkgs := goList(t, "-deps", "./...")
	byPath := map[string]listedPackage{}
	var ours []listedPackage // the module's packages
	for _, p := range pkgs {
		byPath[p.ImportPath] = p
		if p.Module != nil && p.Module.Path == module {
			ours = append(ours, p)
		}
	}
	if _, ok := byPath[module+"/sqlite"]; !ok {
		t.Fatalf("go list ./... did not list %s/sqlite; listed %d packages", module, len(pkgs))
	}

	t.Run("only sqlite imports the driver", func(t *testing.T) {
		for user := range driverUsers {
			if _, ok := byPath[user]; !ok {
				t.Errorf("driverUsers names %s, which is not a package of the module: remove it", user)
			}
		}
		for _, p := range ours {
			if _, ok := driverUsers[p.ImportPath]; ok {
				continue
			}
			for _, imp := range p.Imports {
				if strings.HasPrefix(imp, driver) {
					t.Errorf("%s imports %s: only sqlite may import the driver; add what it needs to the sqlite package", p.ImportPath, imp)
				}
			}
		}
	})

	t.Run("the root imports only the standard library", func(t *testing.T) {
		root := goList(t, "-deps", ".")
		for _, p := range root {
			if p.ImportPath != module && !p.Standard {
				t.Errorf("package cinch depends on %s, outside the standard library (imported by %s)", p.ImportPath, importers(root, p.ImportPath))
			}
		}
	})

	t.Run("local imports only cinch and sqlite of the module", func(t *testing.T) {
		local, ok := byPath[module+"/local"]
		if !ok {
			t.Fatalf("%s/local not listed", module)
		}
		for _, imp := range local.Imports {
			if (imp == module || strings.HasPrefix(imp, module+"/")) && !slices.Contains(localImports, imp) {
				t.Errorf("local imports %s; of the module it may import only %v", imp, localImports)
			}
		}
	})
}

// importers lists the packages of pkgs that import path.
func importers(pkgs []listedPackage, path string) []string {
	var out []string
	for _, p := range pkgs {
		if slices.Contains(p.Imports, path) {
			out = append(out, p.ImportPath)
		}
	}
	return out
}

// goList runs go list -json with args, from the module's root (the
// directory of this test), and decodes the packages it prints.
func goList(t *testing.T, args ...string) []listedPackage {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list the module's imports: %v", err)
	}
	cmd := exec.Command(goBin, append([]string{"list", "-json=ImportPath,Imports,Standard,Module"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %v: %v\n%s", args, err, stderr.Bytes())
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list %v: decoding its output: %v", args, err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}
