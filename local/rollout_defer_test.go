package local_test

import (
	"context"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// With Config.DeferOpenCatchUp (cluster nodes) a change returns at its
// commit point without migrating the tenants open here either; an open
// tenant catches up on its next use, through its cached handle.
func TestRollout_DeferOpenCatchUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := commitFixture(t, local.Config{DeferOpenCatchUp: true})
	engMustChange(t)(f.db.Columns().Add(ctx, "users", engMustCol(t, "phone:TEXT")))
	if got := engFileVersion(t, engTenantFile(f.dir, "hot")); got != 1 {
		t.Errorf("open tenant hot at %d when the change returned, want 1 (deferred to its next use)", got)
	}
	engMustInsert(t, f.db.WithTenant("hot"), "users", cinch.Record{"name": "h", "phone": "1"})
	if got := engFileVersion(t, engTenantFile(f.dir, "hot")); got != 2 {
		t.Errorf("hot at %d after its next use, want 2", got)
	}
	res := engMustQuery(t, f.db.WithTenant("hot"), "SELECT phone FROM users")
	if len(res.Rows) != 1 || res.Rows[0][0] != "1" {
		t.Errorf("hot: %v", res.Rows)
	}
}
