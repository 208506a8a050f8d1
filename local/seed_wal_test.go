package local_test

import (
	"context"
	"os"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// TestSeed_InWALMode: a new tenant file is already in WAL mode before any
// connection opens it (header bytes 18 and 19 are 2), so its first open
// does not convert it through a rollback journal (four fsyncs); and a
// lazy tenant's first write leaves a file that reads back its row.
func TestSeed_InWALMode(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newProject(t, local.Config{})
	engMustChange(t)(f.db.Tables().Create(ctx, "items", engCols(t, "n:INTEGER")))
	engMustCreateTenant(t, f.db, "eager", false)
	data, err := os.ReadFile(engTenantFile(f.dir, "eager"))
	if err != nil {
		t.Fatal(err)
	}
	if len(data) < 100 || data[18] != 2 || data[19] != 2 {
		t.Fatalf("new tenant file's format bytes: %v, want [2 2] (WAL)", data[18:20])
	}
	engMustCreateTenant(t, f.db, "lazy", true)
	db := f.db.WithTenant("lazy")
	engMustInsert(t, db, "items", cinch.Record{"n": 7})
	if got := engMustQuery(t, db, "SELECT n FROM items").Rows; len(got) != 1 || got[0][0] != int64(7) {
		t.Fatalf("rows after the first write: %v", got)
	}
	if r := engMustQuery(t, db, "PRAGMA integrity_check").Rows; len(r) != 1 || r[0][0] != "ok" {
		t.Fatalf("integrity_check: %v", r)
	}
	// The first commit ran with synchronous=OFF (its WAL header and the
	// folder are fsynced by the first checkpoint); the writer is back to
	// NORMAL for every later one.
	if v, err := local.WriterSynchronous(db); err != nil || v != int64(1) {
		t.Fatalf("writer's synchronous after the first write: %v, %v; want 1 (NORMAL)", v, err)
	}
	engMustInsert(t, db, "items", cinch.Record{"n": 8})
	if got := engMustQuery(t, db, "SELECT count(*) FROM items").Rows; got[0][0] != int64(2) {
		t.Fatalf("rows after the second write: %v", got)
	}
}
