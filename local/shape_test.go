package local_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// TestShape keeps the package's map in doc.go true: it names every file
// of the package (and no file that is gone), and each type's methods are
// in one file. Files with a build constraint are alternatives of one
// another (gen_unix.go, gen_other.go) and may define the same methods.
func TestShape(t *testing.T) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var doc string
	files := map[string]bool{}
	methods := map[string]map[string]bool{} // receiver type -> files
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		if name == "doc.go" {
			doc = f.Doc.Text()
			continue
		}
		files[name] = true
		if constrained(f) {
			continue
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv == nil {
				continue
			}
			typ := receiver(fd.Recv.List[0].Type)
			if methods[typ] == nil {
				methods[typ] = map[string]bool{}
			}
			methods[typ][name] = true
		}
	}
	if doc == "" {
		t.Fatal("doc.go has no package comment")
	}

	named := map[string]bool{}
	for _, m := range regexp.MustCompile(`\b[a-z_]+\.go\b`).FindAllString(doc, -1) {
		if !strings.HasSuffix(m, "_test.go") {
			named[m] = true
		}
	}
	for f := range files {
		if !named[f] {
			t.Errorf("doc.go does not name %s: add it to the map, where it is read", f)
		}
	}
	for f := range named {
		if !files[f] {
			t.Errorf("doc.go names %s, which is not a file of the package", f)
		}
	}

	for typ, in := range methods {
		if len(in) > 1 {
			var names []string
			for f := range in {
				names = append(names, f)
			}
			sort.Strings(names)
			t.Errorf("the methods of %s are in %d files (%s): keep them in one", typ, len(names), strings.Join(names, ", "))
		}
	}
}

func constrained(f *ast.File) bool {
	for _, cg := range f.Comments {
		if cg.Pos() > f.Package {
			break
		}
		for _, c := range cg.List {
			if strings.HasPrefix(c.Text, "//go:build") {
				return true
			}
		}
	}
	return false
}

func receiver(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return receiver(t.X)
	case *ast.IndexExpr:
		return receiver(t.X)
	case *ast.IndexListExpr:
		return receiver(t.X)
	case *ast.Ident:
		return t.Name
	}
	return ""
}
