package local_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// TestPool_EvictedCheckpointInBackground: when the pool evicts written
// tenants for room, their connections close without checkpointing and
// the checkpoint is made in the background; the memory bound holds after
// every call, every tenant keeps its rows (read back after eviction and
// after Close), and a closed project leaves no WAL behind.
func TestPool_EvictedCheckpointInBackground(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const maxConns = 3
	f := newProject(t, local.Config{MaxOpenMemory: maxConns * local.ConnMemory})
	engMustChange(t)(f.db.Tables().Create(cinch.WaitForRollout(ctx, nil), "items", engCols(t, "n:INTEGER")))
	const n = 12
	for i := range n {
		engMustCreateTenant(t, f.db, fmt.Sprintf("t%02d", i), i%2 == 0)
	}
	for round := range 2 {
		for i := range n {
			db := f.db.WithTenant(fmt.Sprintf("t%02d", i))
			engMustInsert(t, db, "items", cinch.Record{"n": i})
			if c := f.p.OpenTenantConns(); c > maxConns {
				t.Fatalf("t%02d round %d: %d connections open, bound %d", i, round, c, maxConns)
			}
		}
		for i := range n {
			db := f.db.WithTenant(fmt.Sprintf("t%02d", i))
			if got := len(engMustQuery(t, db, "SELECT * FROM items").Rows); got != round+1 {
				t.Fatalf("t%02d round %d: %d rows", i, round, got)
			}
		}
	}
	if err := f.p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if local.BackgroundCheckpoints(f.p) == 0 {
		t.Error("no evicted tenant was checkpointed in the background")
	}
	for i := range n {
		path := engTenantFile(f.dir, fmt.Sprintf("t%02d", i))
		if engFileExists(path + "-wal") {
			t.Errorf("t%02d: a WAL is left after Close", i)
		}
	}
	p := engOpenProject(t, f.dir, local.Config{})
	for i := range n {
		db := engConnect(t, p, fmt.Sprintf("t%02d", i))
		if got := len(engMustQuery(t, db, "SELECT * FROM items").Rows); got != 2 {
			t.Errorf("t%02d after reopening: %d rows, want 2", i, got)
		}
	}
}

// TestProject_Settle: the checkpoints of evicted tenants wait for a quiet
// moment (they would slow a burst of first writes); Settle makes them at
// once and waits, with the spares the writes used: afterwards only the
// tenants still open may have a WAL, and the branch has its spares ready.
func TestProject_Settle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const maxConns = 2
	f := newProject(t, local.Config{MaxOpenMemory: maxConns * local.ConnMemory})
	engMustChange(t)(f.db.Tables().Create(cinch.WaitForRollout(ctx, nil), "items", engCols(t, "n:INTEGER")))
	const n = 10
	for i := range n {
		engMustCreateTenant(t, f.db, fmt.Sprintf("t%02d", i), true)
	}
	for i := range n {
		engMustInsert(t, f.db.WithTenant(fmt.Sprintf("t%02d", i)), "items", cinch.Record{"n": i})
	}
	if err := f.p.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	if local.BackgroundCheckpoints(f.p) == 0 {
		t.Fatal("no evicted tenant was checkpointed in the background")
	}
	wals := 0
	for i := range n {
		if engFileExists(engTenantFile(f.dir, fmt.Sprintf("t%02d", i)) + "-wal") {
			wals++
		}
	}
	if open := f.p.OpenTenantConns(); wals > open {
		t.Errorf("%d tenants have a WAL after Settle, %d connections are open", wals, open)
	}
	if got := len(spareInodes(t, f.dir)); got < local.SpareCount/2 {
		t.Errorf("%d spares ready after Settle, want at least %d", got, local.SpareCount/2)
	}
}
