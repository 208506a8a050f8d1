package local_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

func TestPool_MaxOpenTenants(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newProject(t, local.Config{MaxOpenTenants: 4, ReadersPerTenant: 1, WaitForRollout: true})
	engMustChange(t)(f.db.Tables().Create(ctx, "items", engCols(t, "n:INTEGER")))
	const n = 50
	for i := range n {
		engMustCreateTenant(t, f.db, fmt.Sprintf("t%02d", i), i%2 == 1)
	}
	for round := range 2 {
		for i := range n {
			db := f.db.WithTenant(fmt.Sprintf("t%02d", i))
			engMustInsert(t, db, "items", cinch.Record{"n": i})
			if got := len(engMustQuery(t, db, "SELECT * FROM items").Rows); got != round+1 {
				t.Fatalf("t%02d round %d: %d rows", i, round, got)
			}
		}
		engMustChange(t)(f.db.Columns().Add(ctx, "items", engMustCol(t, fmt.Sprintf("c%d:TEXT", round))))
	}
	// Many goroutines over many tenants with a tiny pool.
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db := f.db.WithTenant(fmt.Sprintf("t%02d", i))
			if _, err := db.Insert(ctx, "items", cinch.Record{"n": i, "c1": "x"}); err != nil {
				errs <- err
				return
			}
			if _, err := db.Query(ctx, "SELECT * FROM items"); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	engCheckConverged(t, f.db, f.dir)
}
