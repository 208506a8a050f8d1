package schema_test

import (
	"go/build"
	"slices"
	"strings"
	"testing"
)

// TestPure: package schema does no I/O and knows no driver: it imports
// the vocabulary and the standard library only, and none of the standard
// packages that reach files, the network or a database.
func TestPure(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	ioPkgs := []string{"os", "os/exec", "io/fs", "io/ioutil", "net", "net/http", "database/sql", "syscall", "unsafe"}
	for _, imp := range pkg.Imports {
		first, _, _ := strings.Cut(imp, "/")
		switch {
		case imp == "github.com/cinchdb/cinch":
		case strings.Contains(first, "."):
			t.Errorf("schema imports %s: only github.com/cinchdb/cinch and the standard library are allowed", imp)
		case slices.Contains(ioPkgs, imp):
			t.Errorf("schema imports %s: it must not do I/O", imp)
		}
	}
}
