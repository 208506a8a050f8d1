package local_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// A batch that fails part way keeps the groups before the failure, names
// what was and was not created, and leaves nothing half made: no file and
// no registry row for a name it did not create, no temporary file.
func TestCreateMany_PartialFailure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newProject(t, local.Config{})
	engMustChange(t)(f.db.Tables().Create(cinch.WaitForRollout(ctx, nil), "users", engCols(t, "name:TEXT")))
	names := make([]string, 505)
	for i := range names {
		names[i] = fmt.Sprintf("c%04d", i)
	}
	// Something in the way of one file of the second group (of 500): its
	// rename fails.
	blocker := engTenantFile(f.dir, names[502])
	if err := os.MkdirAll(filepath.Join(blocker, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err := f.db.Tenants().CreateMany(ctx, names, cinch.TenantCreateOptions{})
	if err == nil {
		t.Fatal("batch with a blocked file succeeded")
	}
	if len(got) != 500 || got[499].Name != names[499] {
		t.Fatalf("returned %d tenants with the error, want the first group of 500", len(got))
	}
	msg := err.Error()
	for _, want := range []string{"created 500 of 505", "not created: c0500, c0501, c0502, c0503, c0504"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	list, err := f.db.Tenants().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 501 { // main + 500
		t.Errorf("%d tenants registered, want 501", len(list))
	}
	for _, n := range names[500:] {
		if _, err := f.db.Tenants().Info(ctx, n); !errors.Is(err, cinch.ErrTenantNotFound) {
			t.Errorf("%s: %v, want not found", n, err)
		}
		if n != names[502] && engFileExists(engTenantFile(f.dir, n)) {
			t.Errorf("%s has a file but was not created", n)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(blocker))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
	// The created ones work; the rest can be created once the cause is gone.
	engMustInsert(t, f.db.WithTenant(names[0]), "users", cinch.Record{"name": "x"})
	os.RemoveAll(blocker)
	if _, err := f.db.Tenants().CreateMany(ctx, names[500:], cinch.TenantCreateOptions{}); err != nil {
		t.Fatal(err)
	}
	engCheckConverged(t, f.db, f.dir)
}

// A batch of one group that fails creates nothing at all.
func TestCreateMany_AllOrNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newProject(t, local.Config{})
	blocker := engTenantFile(f.dir, "b")
	if err := os.MkdirAll(filepath.Join(blocker, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Tenants().CreateMany(ctx, []string{"a", "b", "c"}, cinch.TenantCreateOptions{}); err == nil {
		t.Fatal("batch succeeded")
	}
	list, _ := f.db.Tenants().List(ctx)
	if len(list) != 1 {
		t.Errorf("tenants after a failed batch: %v", list)
	}
	for _, n := range []string{"a", "c"} {
		if engFileExists(engTenantFile(f.dir, n)) {
			t.Errorf("%s has a file", n)
		}
	}
}
