package local_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
	"github.com/cinchdb/cinch/sqlite"
)

// TestRollout_WaitExclusive: a waiting rollout migrates each tenant
// nobody has open on a connection in EXCLUSIVE locking mode (no -shm
// file is made), and a tenant another connection holds open the normal
// way, without waiting for it to close: every tenant ends at the new
// version, and the other connection sees the new column.
func TestRollout_WaitExclusive(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newProject(t, local.Config{WaitForRollout: true})
	engMustChange(t)(f.db.Tables().Create(ctx, "items", engCols(t, "n:INTEGER")))
	for i := range 3 {
		engMustCreateTenant(t, f.db, fmt.Sprintf("t%d", i), false)
	}
	if err := f.p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	p := engOpenProject(t, f.dir, local.Config{WaitForRollout: true})
	db := engConnect(t, p, "main")
	other, err := sqlite.Open(ctx, engTenantFile(f.dir, "t1"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Query(ctx, cinch.QueryOptions{}, "SELECT count(*) FROM items"); err != nil {
		t.Fatal(err)
	}
	engMustChange(t)(db.Columns().Add(ctx, "items", engMustCol(t, "extra:TEXT")))
	version := engChangesLen(t, db)
	for _, name := range []string{"t0", "t2"} {
		path := engTenantFile(f.dir, name)
		if engFileExists(path + "-shm") {
			t.Errorf("%s: -shm after the rollout: not migrated in EXCLUSIVE mode", name)
		}
	}
	if _, err := other.Query(ctx, cinch.QueryOptions{}, "SELECT extra FROM items"); err != nil {
		t.Errorf("t1's other connection: %v", err)
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		path := engTenantFile(f.dir, fmt.Sprintf("t%d", i))
		if v := engFileVersion(t, path); v != version {
			t.Errorf("t%d at version %d, want %d", i, v, version)
		}
	}
}
