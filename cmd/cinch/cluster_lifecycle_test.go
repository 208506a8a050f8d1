package main

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/client"
)

// Tenant lifecycle in a cluster: copy, rename, delete and re-create,
// archive and restore, create from a template, each asked of a node that
// does not own the tenant, and each result read back after the tenant was
// moved to every node in turn (so every node rebuilds it from the cluster's
// snapshot and log, never from a stale file of its own).
func TestClusterTenantLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	t.Parallel() // waits on leases and elections more than it computes
	nodes := startClusterNodes(t, 3)
	key := clusterInit(t, nodes[0])
	ctx := context.Background()
	cls := make([]*client.Client, len(nodes))
	dbs := make([]cinch.DB, len(nodes))
	for i, n := range nodes {
		cls[i] = n.client(t, key)
		dbs[i] = cls[i].Connect(cinch.Target{})
	}
	createEvents(t, dbs[0], []string{"acme"})

	insert := func(db cinch.DB, tenant string, ids ...string) {
		t.Helper()
		for _, id := range ids {
			if _, err := db.SwitchTenant(tenant).Insert(ctx, "events", cinch.Record{"id": id}); err != nil {
				t.Fatalf("insert %s into %s: %v", id, tenant, err)
			}
		}
	}
	ids := func(db cinch.DB, tenant string) ([]string, error) {
		res, err := db.SwitchTenant(tenant).Query(ctx, "SELECT id FROM events ORDER BY id")
		if err != nil {
			return nil, err
		}
		var out []string
		for _, r := range res.Rows {
			out = append(out, r[0].(string))
		}
		return out, nil
	}
	// expect reads tenant through every node after moving it to each node
	// in turn: every node's rebuild must give the same rows, and a sound file.
	expect := func(tenant string, want ...string) {
		t.Helper()
		for i, n := range nodes {
			eventually(t, 30*time.Second, "move "+tenant+" to "+n.name, func() error {
				_, err := cls[(i+1)%len(nodes)].ClusterMove(ctx, cinch.Target{Tenant: tenant}, n.name)
				return err
			})
			for j, db := range dbs {
				got, err := ids(db, tenant)
				if err != nil {
					t.Fatalf("%s owned by %s, read through node %d: %v", tenant, n.name, j, err)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("%s owned by %s, read through node %d: rows %v, want %v", tenant, n.name, j, got, want)
				}
			}
			check, err := dbs[i].SwitchTenant(tenant).Query(ctx, "PRAGMA integrity_check")
			if err != nil || len(check.Rows) != 1 || check.Rows[0][0] != "ok" {
				t.Fatalf("%s on %s: integrity_check %v %v", tenant, n.name, check, err)
			}
		}
	}

	insert(dbs[0], "acme", "a1", "a2")
	expect("acme", "a1", "a2")

	// Copy, asked of a node that does not own the source.
	owner := dbs[1]
	if _, err := owner.Tenants().Copy(ctx, "acme", "acme2", false); err != nil {
		t.Fatalf("copy: %v", err)
	}
	insert(dbs[2], "acme2", "c1")
	expect("acme2", "a1", "a2", "c1")
	expect("acme", "a1", "a2") // the copy's write is its own

	// A schema-only copy has the table and no rows.
	if _, err := dbs[2].Tenants().Copy(ctx, "acme", "blank", true); err != nil {
		t.Fatalf("schema-only copy: %v", err)
	}
	expect("blank")

	// Rename keeps the data and the writes after it; the old name is gone everywhere.
	if err := dbs[2].Tenants().Rename(ctx, "acme", "globex"); err != nil {
		t.Fatalf("rename: %v", err)
	}
	insert(dbs[1], "globex", "g1")
	expect("globex", "a1", "a2", "g1")
	for i, db := range dbs {
		if _, err := ids(db, "acme"); !errors.Is(err, cinch.ErrTenantNotFound) {
			t.Fatalf("renamed-away acme through node %d: %v, want tenant_not_found", i, err)
		}
	}

	// Delete, then create the same name again: the new tenant never sees
	// the old one's rows, on any node.
	if err := dbs[0].Tenants().Delete(ctx, "acme2"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	for i, db := range dbs {
		if _, err := ids(db, "acme2"); !errors.Is(err, cinch.ErrTenantNotFound) {
			t.Fatalf("deleted acme2 through node %d: %v, want tenant_not_found", i, err)
		}
	}
	if _, err := dbs[1].Tenants().Create(ctx, "acme2", cinch.TenantCreateOptions{}); err != nil {
		t.Fatalf("re-create: %v", err)
	}
	expect("acme2")
	insert(dbs[2], "acme2", "n1")
	expect("acme2", "n1")

	// Archive and restore keep the data; an archived tenant is served nowhere.
	if err := dbs[2].Fleet().Archive(ctx, "globex"); err != nil {
		t.Fatalf("archive: %v", err)
	}
	for i, db := range dbs {
		if _, err := ids(db, "globex"); !errors.Is(err, cinch.ErrTenantArchived) {
			t.Fatalf("archived globex through node %d: %v, want tenant_archived", i, err)
		}
	}
	if err := dbs[0].Fleet().Restore(ctx, "globex"); err != nil {
		t.Fatalf("restore: %v", err)
	}
	expect("globex", "a1", "a2", "g1")

	// Create from a template tenant copies its data.
	if _, err := dbs[2].Tenants().Create(ctx, "initech", cinch.TenantCreateOptions{From: "globex"}); err != nil {
		t.Fatalf("create from: %v", err)
	}
	expect("initech", "a1", "a2", "g1")

	// What cannot work says so: main is protected, names are checked, a
	// copy onto an existing tenant changes nothing.
	if err := dbs[1].Tenants().Delete(ctx, cinch.DefaultTenant); !errors.Is(err, cinch.ErrProtected) {
		t.Fatalf("delete main: %v, want protected", err)
	}
	if _, err := dbs[1].Tenants().Copy(ctx, "globex", "initech", false); !errors.Is(err, cinch.ErrTenantExists) {
		t.Fatalf("copy onto an existing tenant: %v, want tenant_exists", err)
	}
	expect("initech", "a1", "a2", "g1")
	if _, err := dbs[0].Tenants().Copy(ctx, "nobody", "x", false); !errors.Is(err, cinch.ErrTenantNotFound) {
		t.Fatalf("copy of a missing tenant: %v, want tenant_not_found", err)
	}

	// Fleet operations across the nodes: the tenants are spread over them
	// (the moves above), and each is answered by its owner.
	// A write now, on the owner: a node answering from its own cached file
	// instead of the owner's would miss it.
	insert(dbs[2], "globex", "g2")
	wantCounts := map[string]int64{"main": 0, "acme2": 1, "blank": 0, "globex": 4, "initech": 3}
	for i, db := range dbs {
		res, err := db.Fleet().Query(ctx, cinch.FanOutOptions{}, "SELECT count(*) FROM events")
		if err != nil {
			t.Fatalf("fan-out through node %d: %v", i, err)
		}
		got := map[string]int64{}
		for _, r := range res {
			if r.Err != nil || r.Result == nil || len(r.Result.Rows) != 1 {
				t.Fatalf("fan-out through node %d, tenant %s: %+v %v", i, r.Tenant, r.Result, r.Err)
			}
			got[r.Tenant] = r.Result.Rows[0][0].(int64)
		}
		if !maps.Equal(got, wantCounts) {
			t.Fatalf("fan-out through node %d: %v, want %v", i, got, wantCounts)
		}
	}
	stats, err := dbs[2].Fleet().Stats(ctx, cinch.FleetOptions{Tenants: []string{"globex", "acme2"}})
	if err != nil || len(stats) != 2 || stats[0].Name != "globex" || stats[0].Rows != 4 || stats[1].Rows != 1 {
		t.Fatalf("stats: %+v %v", stats, err)
	}
	checks, err := dbs[1].Fleet().Check(ctx, cinch.FleetOptions{})
	if err != nil || len(checks) != len(wantCounts) {
		t.Fatalf("check: %+v %v", checks, err)
	}
	for _, c := range checks {
		if !c.OK {
			t.Fatalf("check of %s: %+v", c.Tenant, c)
		}
	}
	if _, err := dbs[0].Fleet().Vacuum(ctx, cinch.FleetOptions{Tenants: []string{"globex"}}); err != nil {
		t.Fatalf("vacuum: %v", err)
	}
	expect("globex", "a1", "a2", "g1", "g2")
	// Migrate through any node: every tenant is at the branch's schema
	// (each caught up when its owner took it), and the counts add up.
	if _, err := dbs[1].Columns().Add(ctx, "events", cinch.Column{Name: "later", Type: "TEXT", Nullable: true}); err != nil {
		t.Fatal(err)
	}
	mig, err := dbs[2].Fleet().Migrate(ctx, cinch.FleetOptions{})
	if err != nil || mig.Remaining != 0 || mig.Migrated != mig.Behind {
		t.Fatalf("migrate: %+v %v", mig, err)
	}
	for i, db := range dbs {
		for tn := range wantCounts {
			if _, err := db.SwitchTenant(tn).Query(ctx, "SELECT later FROM events"); err != nil {
				t.Fatalf("%s after migrate, through node %d: %v", tn, i, err)
			}
		}
	}
	if _, err := dbs[0].Fleet().Stats(ctx, cinch.FleetOptions{Tenants: []string{"nobody"}}); !errors.Is(err, cinch.ErrTenantNotFound) {
		t.Fatalf("stats of a missing tenant: %v, want tenant_not_found", err)
	}
}
