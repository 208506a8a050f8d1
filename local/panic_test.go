package local_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// hugeName is longer than the driver reads a name (1,000,000 bytes): a
// result column named by it makes the driver panic.
var hugeName = strings.Repeat("x", 1<<20)

// noPanic runs fn and turns a panic into a test failure, so that a test of
// the fix fails, rather than crashes, before it.
func noPanic(t *testing.T, what string, fn func() error) (err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s panicked: %v", what, r)
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return fn()
}

// A panic of the driver on one statement is an error for that statement;
// the tenant's connections go back to the pool (or are replaced) and the
// tenant keeps serving.
func TestQuery_DriverPanicIsAnError(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newProject(t, local.Config{ReadersPerTenant: 2})
	engMustChange(t)(f.db.Tables().Create(ctx, "users", engCols(t, "name:TEXT")))
	engMustInsert(t, f.db, "users", cinch.Record{"name": "alice"})
	engMustCreateTenant(t, f.db, "lazy", true)
	lazy := f.db.WithTenant("lazy")

	bad := []struct {
		name string
		db   *local.DB
		opts cinch.QueryOptions
		sql  string
	}{
		{"alias", f.db, cinch.QueryOptions{}, `SELECT 1 AS "` + hugeName + `"`},
		{"alias, read-only", f.db, cinch.QueryOptions{ReadOnly: true}, `SELECT 1 AS "` + hugeName + `"`},
		{"unaliased literal", f.db, cinch.QueryOptions{}, `SELECT '` + hugeName + `'`},
		{"pragma name", f.db, cinch.QueryOptions{}, `PRAGMA "` + hugeName + `"`},
		{"writer", f.db, cinch.QueryOptions{}, `UPDATE users SET name = name RETURNING 1 AS "` + hugeName + `"`},
		{"lazy tenant", lazy, cinch.QueryOptions{}, `SELECT 1 AS "` + hugeName + `" FROM users`},
	}
	// Ten in a row of the request a read-only key may send, more than the
	// tenant has reader slots; then every kind twice.
	var runs []int
	for range 10 {
		runs = append(runs, 1)
	}
	for i := range bad {
		runs = append(runs, i, i)
	}
	failures := 0
	for n, i := range runs {
		b := bad[i]
		qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := noPanic(t, b.name, func() error {
			_, err := b.db.QueryWith(qctx, b.opts, b.sql)
			return err
		})
		cancel()
		if !errors.Is(err, cinch.ErrInvalidInput) || !strings.Contains(err.Error(), "too long") {
			t.Errorf("%s (query %d): %.300v, want ErrInvalidInput saying the name is too long", b.name, n+1, err)
			if failures++; failures == 8 {
				t.FailNow()
			}
		}
	}

	// A view body is checked on the branch's template connection.
	err := noPanic(t, "view create", func() error {
		_, err := f.db.Views().Create(ctx, "v", `PRAGMA "`+hugeName+`"`)
		return err
	})
	if !errors.Is(err, cinch.ErrInvalidInput) {
		t.Errorf("view with a huge pragma name: %.300v, want ErrInvalidInput", err)
	}

	// The tenant still serves, promptly: a wedged one would wait for a
	// reader until the deadline.
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for range 3 {
		res, err := f.db.QueryWith(qctx, cinch.QueryOptions{ReadOnly: true}, "SELECT count(*) AS n FROM users")
		if err != nil {
			t.Fatalf("a normal read after the panics: %v", err)
		}
		if n := res.Value(0, "n"); n != int64(1) {
			t.Errorf("count = %v, want 1", n)
		}
	}
	if _, err := f.db.Insert(qctx, "users", cinch.Record{"name": "bob"}); err != nil {
		t.Fatalf("a write after the panics: %v", err)
	}
	if _, err := f.db.Query(qctx, "UPDATE users SET name = upper(name) RETURNING name"); err != nil {
		t.Fatalf("a write through Query after the panics: %v", err)
	}
	if _, err := lazy.Query(qctx, "SELECT count(*) AS n FROM users"); err != nil {
		t.Fatalf("a read on the lazy tenant after the panics: %v", err)
	}
	// Nothing is left borrowed, and no more readers than allowed are open.
	open, refs, readers, idle := local.HandleStats(f.db)
	if !open || refs != 0 || readers != idle || readers > 2 {
		t.Errorf("handle after the panics: open %v, refs %d, readers %d (idle %d); want open, 0 refs, every reader idle, at most 2",
			open, refs, readers, idle)
	}
}

// A fan-out read runs a statement on each tenant, some on short-lived
// connections in goroutines: a driver panic there is that tenant's error.
func TestQueryAll_DriverPanicIsAnError(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newProject(t, local.Config{})
	engMustChange(t)(f.db.Tables().Create(ctx, "users", engCols(t, "name:TEXT")))
	engMustCreateTenant(t, f.db, "acme", false)
	engMustCreateTenant(t, f.db, "lazy", true)
	engMustQuery(t, f.db, "SELECT 1") // main is open in the pool, acme is not
	var results []cinch.TenantResult
	err := noPanic(t, "QueryAll", func() error {
		var err error
		results, err = f.db.Fleet().Query(ctx, cinch.FanOutOptions{}, `SELECT 1 AS "`+hugeName+`"`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 3 {
		t.Fatalf("%d results, want 3", len(results))
	}
	for _, r := range results {
		if !errors.Is(r.Err, cinch.ErrInvalidInput) {
			t.Errorf("%s: %.300v, want ErrInvalidInput", r.Tenant, r.Err)
		}
	}
	results, err = f.db.Fleet().Query(ctx, cinch.FanOutOptions{}, "SELECT count(*) AS n FROM users")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Err != nil {
			t.Errorf("%s after the panics: %v", r.Tenant, r.Err)
		}
	}
}
