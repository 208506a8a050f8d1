package local_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// TestPool_MaxOpenMemory: the pool is bounded by connections (memory) as
// well as by handles. Touching many tenants once each (a write, then a
// read) keeps at most MaxOpenMemory/ConnMemory connections open, every
// touch still sees its data, and the count returns to zero on Close.
func TestPool_MaxOpenMemory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const maxConns = 5
	f := newProject(t, local.Config{MaxOpenMemory: maxConns * local.ConnMemory, WaitForRollout: true})
	engMustChange(t)(f.db.Tables().Create(ctx, "items", engCols(t, "n:INTEGER")))
	const n = 30
	for i := range n {
		engMustCreateTenant(t, f.db, fmt.Sprintf("t%02d", i), i%3 == 0)
	}
	for round := range 2 {
		for i := range n {
			db := f.db.WithTenant(fmt.Sprintf("t%02d", i))
			engMustInsert(t, db, "items", cinch.Record{"n": i})
			if got := len(engMustQuery(t, db, "SELECT * FROM items").Rows); got != round+1 {
				t.Fatalf("t%02d round %d: %d rows", i, round, got)
			}
			if c := f.p.OpenTenantConns(); c > maxConns {
				t.Fatalf("t%02d round %d: %d connections open, bound %d", i, round, c, maxConns)
			}
		}
	}
	// Concurrent touches may exceed the bound while handles are in use,
	// never afterwards.
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db := f.db.WithTenant(fmt.Sprintf("t%02d", i))
			if _, err := db.Insert(ctx, "items", cinch.Record{"n": i}); err != nil {
				t.Error(err)
			}
			if _, err := db.Query(ctx, "SELECT count(*) FROM items"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	db := f.db.WithTenant("t00")
	engMustInsert(t, db, "items", cinch.Record{"n": 0})
	engMustQuery(t, db, "SELECT * FROM items")
	if c := f.p.OpenTenantConns(); c > maxConns {
		t.Errorf("after the concurrent touches: %d connections open, bound %d", c, maxConns)
	}
	engCheckConverged(t, f.db, f.dir)
	if err := f.p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if c := f.p.OpenTenantConns(); c != 0 {
		t.Errorf("after Close: %d connections counted open", c)
	}
}

// TestPool_IdleReadersClosedFirst: over the memory bound, the idle reader
// of another open tenant is closed before any handle is: the tenant stays
// open (its writer), and its next read opens a reader again.
func TestPool_IdleReadersClosedFirst(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newProject(t, local.Config{MaxOpenMemory: 3 * local.ConnMemory})
	engMustChange(t)(f.db.Tables().Create(ctx, "items", engCols(t, "n:INTEGER")))
	engMustCreateTenant(t, f.db, "a", false)
	engMustCreateTenant(t, f.db, "b", false)
	// Another instance, so the pool starts empty.
	p := engOpenProject(t, f.dir, local.Config{MaxOpenMemory: 3 * local.ConnMemory})
	a, b := engConnect(t, p, "a"), engConnect(t, p, "b")
	engMustInsert(t, a, "items", cinch.Record{"n": 1})
	engMustQuery(t, a, "SELECT * FROM items") // a: writer + reader
	if c := p.OpenTenantConns(); c != 2 {
		t.Fatalf("%d connections after a's write and read, want 2", c)
	}
	engMustInsert(t, b, "items", cinch.Record{"n": 2})
	engMustQuery(t, b, "SELECT * FROM items") // b's reader is the 4th: a's idle reader goes
	if c, h := p.OpenTenantConns(), p.OpenTenantHandles(); c != 3 || h != 2 {
		t.Fatalf("%d connections and %d handles, want 3 and 2 (a's reader closed, both writers kept)", c, h)
	}
	if got := engMustQuery(t, a, "SELECT n FROM items").Rows; len(got) != 1 {
		t.Fatalf("a after its reader was closed: %v", got)
	}
}
