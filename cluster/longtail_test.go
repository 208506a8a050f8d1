package cluster

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// TestRuntimeSnapshotsLongTails: a tenant written without pause is never
// released, so its release's snapshot never comes; once it appended
// SnapshotEvery records, the node stores its snapshot (through the engine,
// which holds the writer over a checkpoint) and purges the log below it.
// Another node rebuilding the tenant from snapshot and tail has every row.
func TestRuntimeSnapshotsLongTails(t *testing.T) {
	ctx := context.Background()
	tc := startTestCluster(t)
	rt, p := tc.runtimeProject(t, RuntimeConfig{Node: "r", SnapshotEvery: 20})
	if _, err := rt.Handler(p, http.NotFoundHandler()); err != nil {
		t.Fatal(err)
	}
	db, _ := p.Connect(cinch.Target{})
	if _, err := db.Tables().Create(ctx, "items", []cinch.Column{{Name: "n", Type: cinch.TypeInteger, Nullable: true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Tenants().Create(ctx, "hot", cinch.TenantCreateOptions{}); err != nil {
		t.Fatal(err)
	}
	hot := db.WithTenant("hot")
	const rows = 60
	for i := range rows {
		if _, err := hot.Insert(ctx, "items", cinch.Record{"n": i}); err != nil {
			t.Fatal(err)
		}
	}
	var ten Tenant
	for _, o := range rt.node.OwnedTenants() {
		if o.Name == "hot" {
			ten = o
		}
	}
	if ten.Name == "" {
		t.Fatal("the node does not own the tenant it wrote")
	}
	// The snapshot loop runs every second: wait for the log to be purged
	// (an event; the deadline is only a bound).
	deadline := time.Now().Add(60 * time.Second)
	for {
		left := 0
		err := rt.node.Log().Read(ctx, ten, 1, 1<<62, func(uint64, Record) error { left++; return nil })
		if errors.Is(err, ErrLogGap) {
			left = rows // purged while it was read: count again
		} else if err != nil {
			t.Fatal(err)
		}
		if left < rows/2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d records still in the log of a tenant that appended %d (snapshot every 20)", left, rows)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := hot.Insert(ctx, "items", cinch.Record{"n": rows}); err != nil {
		t.Fatal(err)
	}

	// Another node rebuilds it from the snapshot and the tail.
	other, root := tc.node(t, 1, "other")
	path := root + "/hot.db"
	rt.node.nl.halt() // rt "dies": its lease goes, other takes the tenant
	acquireEventually(t, other, ten, path)
	c := openConn(t, path)
	defer c.Close()
	res, err := c.Query(ctx, cinch.QueryOptions{}, "SELECT count(*) FROM items")
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Rows[0][0]; got != int64(rows+1) {
		t.Fatalf("rebuilt tenant has %v rows, want %d", got, rows+1)
	}
}

// runtimeProject starts a Runtime on the cluster's first server (cfg's
// Dir, NATSURL and Replicas are filled in) and opens a project it owns.
func (tc *testCluster) runtimeProject(t *testing.T, cfg RuntimeConfig) (*Runtime, *local.Project) {
	t.Helper()
	ctx := context.Background()
	cfg.Dir, cfg.NATSURL, cfg.Replicas = t.TempDir(), tc.servers[0].ClientURL(), 3
	rt, err := Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(context.Background()) })
	if err := local.Init(ctx, cfg.Dir+"/p", ""); err != nil {
		t.Fatal(err)
	}
	p, err := local.Open(ctx, local.Config{Dir: cfg.Dir + "/p", Owner: rt.Owner()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	return rt, p
}
