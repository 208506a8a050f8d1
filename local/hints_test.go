package local_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// commandRef matches text that names a cinch command or a CLI flag.
var commandRef = regexp.MustCompile(`\bcinch (init|status|db|branch|tenant|table|column|view|index|query|data|key|serve|group)\b|(^|[^-])--[a-z]`)

// TestErrorTextNamesNoCommand: the engine's error messages and hints say
// what is wrong and what to do without naming `cinch ...` commands or CLI
// flags, because they reach HTTP and Go users too. The CLI adds commands
// (cli/errors.go).
func TestErrorTextNamesNoCommand(t *testing.T) {
	for _, dir := range []string{".", "../sqlite", "../apikey"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		fset := token.NewFileSet()
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			check := func(n ast.Node) {
				ast.Inspect(n, func(n ast.Node) bool {
					lit, ok := n.(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						return true
					}
					if s, err := strconv.Unquote(lit.Value); err == nil && commandRef.MatchString(s) {
						t.Errorf("%s: error text names a command or flag: %s", fset.Position(lit.Pos()), lit.Value)
					}
					return true
				})
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.KeyValueExpr:
					if id, ok := n.Key.(*ast.Ident); ok && (id.Name == "Hint" || id.Name == "Message") {
						check(n.Value)
					}
				case *ast.CallExpr:
					if sel, ok := n.Fun.(*ast.SelectorExpr); ok {
						switch sel.Sel.Name {
						case "WithHint", "Errorf", "NotFound":
							for _, arg := range n.Args {
								check(arg)
							}
						}
					}
				}
				return true
			})
		}
	}
}
