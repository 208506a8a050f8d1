package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/sqlite"
)

// A read-only connection on a WAL file leaves -wal and -shm files behind
// (it cannot checkpoint them away); an immutable one creates nothing, reads
// what was committed, and writes nothing.
func TestOpen_Immutable(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "r.db")
	w, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('a'), ('b')"); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := dirFiles(t, dir), []string{"r.db"}; !slices.Equal(got, want) {
		t.Fatalf("files after the writer closed: %q, want %q", got, want)
	}

	c, err := sqlite.Open(ctx, path, sqlite.Options{ReadOnly: true, Immutable: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Query(ctx, cinch.QueryOptions{}, "SELECT v FROM t ORDER BY v")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(res.Rows), 2; got != want {
		t.Errorf("rows: got %d, want %d", got, want)
	}
	if _, err := c.Run(ctx, "INSERT INTO t VALUES ('c')"); err == nil {
		t.Error("an immutable connection wrote")
	}
	if got, want := dirFiles(t, dir), []string{"r.db"}; !slices.Equal(got, want) {
		t.Errorf("files while open: %q, want %q", got, want)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := dirFiles(t, dir), []string{"r.db"}; !slices.Equal(got, want) {
		t.Errorf("files after close: %q, want %q", got, want)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(before, after) {
		t.Error("the file changed")
	}

	// Without Immutable, the same read leaves the WAL files: the reason
	// the option exists.
	c, err = sqlite.Open(ctx, path, sqlite.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Query(ctx, cinch.QueryOptions{}, "SELECT v FROM t"); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if got := dirFiles(t, dir); len(got) == 1 {
		t.Logf("plain read-only left no files (%q); the driver changed", got)
	}
}
