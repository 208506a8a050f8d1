package local_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// sparesFolder is the main branch's spares folder, beside its tenants/.
func sparesFolder(dir string) string {
	return filepath.Join(filepath.Dir(filepath.Dir(engTenantFile(dir, "x"))), "spares")
}

// spareInodes lists the spare files in a project's spares folder by inode.
func spareInodes(t *testing.T, dir string) map[uint64]string {
	t.Helper()
	tenants := sparesFolder(dir)
	entries, err := os.ReadDir(tenants)
	if err != nil {
		t.Fatal(err)
	}
	out := map[uint64]string{}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "__spare.") && strings.HasSuffix(e.Name(), ".tmp") { // not its -wal, -shm
			out[inode(t, filepath.Join(tenants, e.Name()))] = e.Name()
		}
	}
	return out
}

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

// TestFirstWrite_Spares: the first write to a lazy tenant makes spare
// tenant files in the background; the next first write renames one into
// place (the tenant's file is a former spare) and the tenant is complete
// (schema, version, the row). After a schema change, spares of the old
// history are not used: the next lazy tenant gets a file of the new
// history. Close removes the spares; a spare a killed process left is
// removed by the sweep (tenant check).
func TestFirstWrite_Spares(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newProject(t, local.Config{})
	engMustChange(t)(f.db.Tables().Create(ctx, "items", engCols(t, "n:INTEGER")))
	for _, name := range []string{"a", "b", "c"} {
		engMustCreateTenant(t, f.db, name, true)
	}
	engMustInsert(t, f.db.WithTenant("a"), "items", cinch.Record{"n": 1})
	if err := local.WaitSpares(ctx, f.db); err != nil {
		t.Fatal(err)
	}
	spares := spareInodes(t, f.dir)
	if len(spares) != local.SpareCount {
		t.Fatalf("%d spares after a first write, want %d", len(spares), local.SpareCount)
	}

	engMustInsert(t, f.db.WithTenant("b"), "items", cinch.Record{"n": 2})
	if _, ok := spares[inode(t, engTenantFile(f.dir, "b"))]; !ok {
		t.Error("b's file is not one of the spares: the first write wrote its own")
	}
	version := engChangesLen(t, f.db)
	if v := engFileVersion(t, engTenantFile(f.dir, "b")); v != version {
		t.Errorf("b is at version %d, want %d", v, version)
	}
	if rows := engMustQuery(t, f.db.WithTenant("b"), "SELECT n FROM items").Rows; len(rows) != 1 || rows[0][0] != int64(2) {
		t.Errorf("b's rows: %v", rows)
	}

	// A new history: the spares made for the old one are not used.
	if err := local.WaitSpares(ctx, f.db); err != nil {
		t.Fatal(err)
	}
	old := spareInodes(t, f.dir)
	engMustChange(t)(f.db.Columns().Add(ctx, "items", engMustCol(t, "extra:TEXT")))
	engMustInsert(t, f.db.WithTenant("c"), "items", cinch.Record{"n": 3, "extra": "x"})
	if v := engFileVersion(t, engTenantFile(f.dir, "c")); v != version+1 {
		t.Errorf("c is at version %d, want %d", v, version+1)
	}
	if err := local.WaitSpares(ctx, f.db); err != nil {
		t.Fatal(err)
	}
	// (By name: a removed spare's inode may be reused.) Had c taken one
	// of them, the others would still be there.
	now := map[string]bool{}
	for _, name := range spareInodes(t, f.dir) {
		now[name] = true
	}
	for _, name := range old {
		if now[name] {
			t.Errorf("spare %s of the old history is still there", name)
		}
	}

	// A spare left by a killed process goes with the sweep.
	leftover := filepath.Join(sparesFolder(f.dir), "__spare.999999.1.tmp")
	if err := os.WriteFile(leftover, []byte("partial"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Fleet().Check(ctx, cinch.FleetOptions{}); err != nil {
		t.Fatal(err)
	}
	if engFileExists(leftover) {
		t.Error("the sweep left a killed process's spare behind")
	}
	if err := f.p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{sparesFolder(f.dir), filepath.Dir(engTenantFile(f.dir, "x"))} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), "__spare.") {
				t.Errorf("%s left after Close in %s", e.Name(), dir)
			}
		}
	}
}
