package local_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/gofrs/flock"

	"github.com/cinchdb/cinch"
)

// Issue 10, item 5.2: staging and trash folders a killed create or delete
// left behind are removed by the sweep that tenant check runs; a staging
// folder whose creator is still at work (it holds the shared staging lock)
// is not.
func TestSweep_RemovesStagingLeftovers(t *testing.T) {
	ctx := context.Background()
	p, db := newBranchProject(t)
	databases := filepath.Join(p.Dir(), ".cinchdb", "databases")
	branchesDir := filepath.Join(databases, "main", "branches")
	plant := func(dir string) string {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(dir, "tenants"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "changes.json"), []byte("[]"), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	leftovers := []string{
		plant(filepath.Join(branchesDir, ".feature.creating")), // the name older versions used
		plant(filepath.Join(branchesDir, ".feature.creating.1234567")),
		plant(filepath.Join(branchesDir, ".old.deleting.89abcdef")),
		plant(filepath.Join(databases, ".app.creating.7654321")),
		plant(filepath.Join(databases, ".gone.deleting.0011")),
	}

	// A create in flight in another process holds the shared lock: its
	// folder must survive the sweep.
	live := flock.New(filepath.Join(branchesDir, ".staging.lock"))
	if err := live.RLock(); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Fleet().Check(ctx, cinch.FleetOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, dir := range leftovers[:3] {
		if _, err := os.Stat(dir); err != nil {
			t.Errorf("swept %s while a create was in flight: %v", dir, err)
		}
	}
	live.Unlock()

	checks, err := db.Fleet().Check(ctx, cinch.FleetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		if !c.OK {
			t.Errorf("tenant check: %+v", c)
		}
	}
	for _, dir := range leftovers {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("leftover %s not swept (stat: %v)", dir, err)
		}
	}
	// Nothing real was touched, and the names are free again.
	if _, err := db.Branches().Create(ctx, "feature", "main"); err != nil {
		t.Fatal(err)
	}
	if err := p.CreateDatabase(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	list, err := db.Branches().List(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("branches = %v, %v; want main and feature", list, err)
	}
	if _, err := db.SwitchTenant("acme").Query(ctx, "SELECT * FROM users"); err != nil {
		t.Fatal(err)
	}
}
