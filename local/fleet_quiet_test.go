package local_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
	"github.com/cinchdb/cinch/sqlite"
)

// TestFanOut_QuietAndBusyFiles: a fan-out reads tenants nobody has open
// as immutable files (no -wal or -shm left behind), and a tenant another
// connection holds open, with rows only in its WAL, the normal way: it
// sees those rows. A budget spent partly on a dropped read is given back.
func TestFanOut_QuietAndBusyFiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newProject(t, local.Config{WaitForRollout: true})
	engMustChange(t)(f.db.Tables().Create(ctx, "items", engCols(t, "n:INTEGER")))
	const n = 6
	for i := range n {
		name := fmt.Sprintf("t%d", i)
		engMustCreateTenant(t, f.db, name, false)
		for j := range i {
			engMustInsert(t, f.db.WithTenant(name), "items", cinch.Record{"n": j})
		}
	}
	// A fresh instance, the first one closed: no tenant is open anywhere.
	if err := f.p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	p := engOpenProject(t, f.dir, local.Config{})
	db := engConnect(t, p, "main")

	// Another connection (as another process would) holds t3 open and has
	// committed a row that is still only in its WAL.
	other, err := sqlite.Open(ctx, engTenantFile(f.dir, "t3"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.Exec("PRAGMA wal_autocheckpoint=0; INSERT INTO items(id, created_at, updated_at, n) VALUES ('x', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 99)"); err != nil {
		t.Fatal(err)
	}

	for _, opts := range []cinch.FanOutOptions{{}, {TotalRows: 100}} {
		res, err := db.Fleet().Query(ctx, opts, "SELECT count(*) AS c FROM items")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		for _, r := range res {
			if r.Err != nil {
				t.Fatalf("%s: %v", r.Tenant, r.Err)
			}
			if len(r.Result.Rows) != 1 || r.Result.Truncated {
				t.Fatalf("%s: %+v", r.Tenant, r.Result)
			}
			got[r.Tenant] = r.Result.Rows[0][0].(int64)
		}
		for i := range n {
			name, want := fmt.Sprintf("t%d", i), int64(i)
			if name == "t3" {
				want++ // the row in the other connection's WAL
			}
			if got[name] != want {
				t.Errorf("%v: %s counts %d, want %d", opts, name, got[name], want)
			}
		}
	}
	for i := range n {
		if i == 3 {
			continue
		}
		path := engTenantFile(f.dir, fmt.Sprintf("t%d", i))
		for _, companion := range []string{"-wal", "-shm"} {
			if engFileExists(path + companion) {
				t.Errorf("t%d: the fan-out left %s behind", i, companion)
			}
		}
	}
}
