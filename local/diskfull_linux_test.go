//go:build linux

package local_test

// Issue 10, item 5.3, on a real full disk: a small tmpfs (mounting needs
// root; the test skips without it). Fill it, see every kind of write fail
// with disk_full naming what could not be written and promising nothing
// was lost, see tenant check keep working and say what it could not read,
// free the space, and see the same operations succeed and every tenant
// check healthy.

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// smallDisk mounts a tmpfs of size bytes on a fresh folder, unmounted at
// cleanup; it skips the test when mounting is not allowed.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Skipf("cannot mount a tmpfs (needs root): %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// filler is a file that fills a small disk.
type filler struct {
	t    *testing.T
	path string
}

// fillDisk writes a file in dir until the file system is full.
func fillDisk(t *testing.T, dir string) *filler {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, chunk := range []int{1 << 16, 1 << 12, 512, 1} {
		buf := make([]byte, chunk)
		for {
			if _, err := f.Write(buf); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatal(err)
				}
				break
			}
		}
	}
	return &filler{t: t, path: path}
}

// leave shrinks the filler so that about n bytes are free.
func (f *filler) leave(n int64) {
	f.t.Helper()
	fi, err := os.Stat(f.path)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := os.Truncate(f.path, max(fi.Size()-n, 0)); err != nil {
		f.t.Fatal(err)
	}
}

// free deletes the filler.
func (f *filler) free() {
	f.t.Helper()
	if err := os.Remove(f.path); err != nil {
		f.t.Fatal(err)
	}
}

// wantDiskFull checks err is disk_full with a message naming what, and
// the hint.
func wantDiskFull(t *testing.T, op string, err error, what string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s on a full disk: no error", op)
		return
	}
	if !errors.Is(err, cinch.ErrDiskFull) || cinch.Code(err) != "disk_full" {
		t.Errorf("%s on a full disk: %v (code %s), want disk_full", op, err, cinch.Code(err))
		return
	}
	msg := err.Error()
	if !strings.Contains(msg, "disk full: could not write "+what) {
		t.Errorf("%s: message %q does not say %q", op, msg, "disk full: could not write "+what)
	}
	if !strings.Contains(msg, "free disk space and retry; nothing was lost") {
		t.Errorf("%s: message %q lacks the hint", op, msg)
	}
}

func TestDiskFull_FailsCleanlyAndRecovers(t *testing.T) {
	ctx := context.Background()
	dir := smallDisk(t, "3m")
	db := newProject(t, local.Config{Dir: dir}).db
	var err error
	// Waiting rollouts: this test is about a rollout hitting the full disk.
	wait := cinch.WaitForRollout(ctx, nil)
	mustChange(t)(db.Tables().Create(wait, "items", []cinch.Column{mustCol(t, "payload:TEXT")}))
	for _, n := range []string{"hot", "cold"} {
		if _, err := db.Tenants().Create(ctx, n, cinch.TenantCreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	hot, cold := db.WithTenant("hot"), db.WithTenant("cold")
	if _, err := hot.Insert(ctx, "items", cinch.Record{"payload": "before"}); err != nil {
		t.Fatal(err)
	}
	if _, err := hot.Query(ctx, "SELECT count(*) FROM items"); err != nil { // open hot in the pool
		t.Fatal(err)
	}
	big := strings.Repeat("x", 256<<10)

	full := fillDisk(t, dir)

	_, err = hot.Insert(ctx, "items", cinch.Record{"payload": big})
	wantDiskFull(t, "insert", err, `tenant "hot"`)
	t.Logf("insert on a full disk: %v", err)
	_, err = hot.Query(ctx, "INSERT INTO items (id, created_at, updated_at, payload) VALUES ('q1', '', '', ?)", big)
	wantDiskFull(t, "query insert", err, `tenant "hot"`)
	_, err = db.Tenants().Create(ctx, "newbie", cinch.TenantCreateOptions{})
	wantDiskFull(t, "tenant create", err, `tenant "newbie"`)
	_, err = db.Columns().Add(ctx, "items", mustCol(t, "extra:TEXT"))
	if !errors.Is(err, cinch.ErrDiskFull) {
		t.Errorf("column add on a full disk: %v (code %s), want disk_full", err, cinch.Code(err))
	}
	_, err = db.Branches().Create(ctx, "feature", "main")
	if !errors.Is(err, cinch.ErrDiskFull) {
		t.Errorf("branch create on a full disk: %v (code %s), want disk_full", err, cinch.Code(err))
	}

	// tenant check keeps working: what it cannot read is said so, not
	// reported as drift or as schema version 0.
	checks, err := db.Fleet().Check(ctx, cinch.FleetOptions{})
	if err != nil {
		t.Fatalf("tenant check on a full disk: %v", err)
	}
	t.Logf("tenant check on a full disk: %+v", checks)
	for _, c := range checks {
		if c.OK {
			continue
		}
		if c.Drift || c.SchemaVersion == 0 {
			t.Errorf("tenant check on a full disk reports %+v; want no drift and the version the file has", c)
		}
		if len(c.Integrity) == 0 || !strings.HasPrefix(c.Integrity[len(c.Integrity)-1], "could not read: ") {
			t.Errorf("tenant check on a full disk: integrity %q, want \"could not read: <reason>\"", c.Integrity)
		}
	}

	// A rollout that hits the full disk after its commit point: room for
	// the journal and changes.json, none for the tenants. The change is
	// committed, the tenants stay behind, tenant check keeps working and
	// says so, and the change reaches them once there is space. (8 KiB: a
	// rollout's connection makes no -shm file, so 16 KiB let the small
	// ALTER reach the tenants' WALs.)
	full.leave(8 << 10)
	_, err = db.Columns().Add(wait, "items", mustCol(t, "extra:TEXT"))
	if !errors.Is(err, cinch.ErrDiskFull) || !strings.Contains(err.Error(), "disk full: could not apply the change to tenant") {
		t.Errorf("column add with room for the commit only: %v (code %s), want disk_full naming a tenant", err, cinch.Code(err))
	}
	t.Logf("column add with room for the commit only: %v", err)
	full = fillDisk(t, dir)
	checks, err = db.Fleet().Check(ctx, cinch.FleetOptions{})
	if err != nil {
		t.Fatalf("tenant check after a rollout hit a full disk: %v", err)
	}
	behind := 0
	for _, c := range checks {
		if c.State == string(cinch.TenantLazy) {
			continue
		}
		if c.BranchVersion != 2 {
			t.Errorf("branch version %d, want 2 (the change was committed)", c.BranchVersion)
		}
		if !c.OK {
			behind++
		}
		if c.Drift && c.SchemaVersion != 1 {
			t.Errorf("tenant check after the failed rollout: %+v", c)
		}
	}
	if behind == 0 {
		t.Errorf("tenant check says every tenant is fine after a rollout that could not reach them: %+v", checks)
	}

	full.free()

	// The same operations succeed, nothing acknowledged was lost, and every
	// tenant checks healthy.
	if _, err := hot.Insert(ctx, "items", cinch.Record{"payload": big}); err != nil {
		t.Fatalf("insert after freeing space: %v", err)
	}
	if _, err := hot.Query(ctx, "INSERT INTO items (id, created_at, updated_at, payload) VALUES ('q1', '', '', ?)", big); err != nil {
		t.Fatalf("query insert after freeing space: %v", err)
	}
	if _, err := db.Tenants().Create(ctx, "newbie", cinch.TenantCreateOptions{}); err != nil {
		t.Fatalf("tenant create after freeing space: %v", err)
	}
	if _, err := db.Branches().Create(ctx, "feature", "main"); err != nil {
		t.Fatalf("branch create after freeing space: %v", err)
	}
	res, err := hot.Query(ctx, "SELECT count(*) AS n FROM items WHERE payload = 'before'")
	if err != nil || res.Value(0, "n") != int64(1) {
		t.Errorf("row written before the disk filled: %v, %v", res, err)
	}
	if _, err := cold.Insert(ctx, "items", cinch.Record{"payload": "after", "extra": "x"}); err != nil {
		t.Fatal(err)
	}
	checks, err = db.Fleet().Check(ctx, cinch.FleetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		if !c.OK || c.SchemaVersion != 2 {
			t.Errorf("tenant check after freeing space: %+v", c)
		}
	}
}
