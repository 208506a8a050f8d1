package cluster

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// The figures of cluster status, from a real node: commits counted where
// they are appended (the sink), writes per second over the samples, the
// snapshot found and the log tail past it, and Nodes showing this node as
// it is now.
func TestClusterStatusFigures(t *testing.T) {
	ctx := context.Background()
	tc := startTestCluster(t)
	dir := t.TempDir()
	if err := local.Init(ctx, dir, ""); err != nil {
		t.Fatal(err)
	}
	rt, err := Start(ctx, RuntimeConfig{Node: "s1", Dir: dir, NATSURL: tc.servers[0].ClientURL(), Replicas: 3, Addr: "http://s1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.Close(context.Background()) })
	p, err := local.Open(ctx, local.Config{Dir: dir, Owner: rt.Owner()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	db, err := p.Connect(cinch.Target{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Tables().Create(ctx, "users", []cinch.Column{{Name: "name", Type: "TEXT", Nullable: true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Tenants().Create(ctx, "t0", cinch.TenantCreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t0 := db.SwitchTenant("t0")
	if _, err := t0.Insert(ctx, "users", cinch.Record{"name": "first"}); err != nil {
		t.Fatal(err)
	}
	// Samples at chosen moments, in a tracker of the test's own (the
	// node's samples every second): 20 commits between two samples 10 s
	// apart are 2 writes per second, whatever the clock says.
	lt := newLoadTracker()
	sample := func(at time.Time) { lt.sample(rt.node, rt.metrics.appended.Load(), 0, at) }
	at := time.Now()
	sample(at)
	before := rt.metrics.appended.Load()
	for i := range 20 {
		if _, err := t0.Insert(ctx, "users", cinch.Record{"name": fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if got := rt.metrics.appended.Load() - before; got != 20 {
		t.Fatalf("the sink counted %d commits for 20 inserts", got)
	}
	sample(at.Add(loadWindow))
	l := lt.current()
	if l.writes != 2 {
		t.Errorf("node writes/s = %v, want 2", l.writes)
	}
	var mine *tenantLoad
	for i := range l.tenants {
		if l.tenants[i].t.Name == "t0" {
			mine = &l.tenants[i]
		}
	}
	if mine == nil || mine.writes != 2 || !mine.full {
		t.Errorf("tenant t0's load = %+v, want 2 writes/s over a full window", mine)
	}
	if l.catchingUp != 0 {
		t.Errorf("catching up = %d, want 0", l.catchingUp)
	}
	// The first commit stored the tenant's base snapshot; the 20 after it
	// (and the first, and the takeover) are the log tail past it.
	lt.lookupSnapshots(rt.node)
	sample(at.Add(loadWindow + time.Second))
	l = lt.current()
	if l.logTail < 20 {
		t.Errorf("log tail = %d, want at least the 20 commits past the base snapshot", l.logTail)
	}
	if l.snapshotAge <= 0 {
		t.Errorf("snapshot age = %v, want the base snapshot's age", l.snapshotAge)
	}
	nodes, err := rt.Nodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var self *cinch.ClusterNode
	for i := range nodes {
		if nodes[i].Name == "s1" {
			self = &nodes[i]
		}
	}
	if self == nil {
		// The first heartbeat may not be stored yet: status() is what it sends.
		st := rt.status()
		self = &st
	}
	if !self.Alive || self.Addr != "http://s1" || self.TenantsOwned < 1 || self.ControlLag != 0 {
		t.Errorf("this node in status: %+v", *self)
	}
}
