package main

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/cinchdb/cinch"
)

// Branches in a cluster (issue 13): create copies every tenant's data as
// the cluster holds it, a branch's writes stay its own, a merge asked of
// any node reaches every node's history at the same place, and a deleted
// branch made again starts from its source, never from its old self.
func TestClusterBranches(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	t.Parallel() // waits on leases and elections more than it computes
	nodes := startClusterNodes(t, 3)
	key := clusterInit(t, nodes[0])
	ctx := context.Background()
	var dbs []cinch.DB
	for _, n := range nodes {
		dbs = append(dbs, n.client(t, key).Connect(cinch.Target{}))
	}
	createEvents(t, dbs[0], []string{"acme", "quiet"})
	on := func(db cinch.DB, branch string) cinch.DB { return db.SwitchBranch(branch) }
	insert := func(db cinch.DB, tenant, id string) {
		t.Helper()
		if _, err := db.SwitchTenant(tenant).Insert(ctx, "events", cinch.Record{"id": id}); err != nil {
			t.Fatalf("insert %s into %s: %v", id, tenant, err)
		}
	}
	rows := func(db cinch.DB, tenant string) []string {
		t.Helper()
		res, err := db.SwitchTenant(tenant).Query(ctx, "SELECT id FROM events ORDER BY id")
		if err != nil {
			t.Fatalf("read %s: %v", tenant, err)
		}
		var out []string
		for _, r := range res.Rows {
			out = append(out, r[0].(string))
		}
		return out
	}
	// Through n3 first: it never held main's acme, so a node answering from
	// its own copy of the source would show nothing.
	expectEverywhere := func(branch, tenant string, want ...string) {
		t.Helper()
		for i := len(dbs) - 1; i >= 0; i-- {
			db := dbs[i]
			if got := rows(on(db, branch), tenant); !slices.Equal(got, want) {
				t.Fatalf("%s/%s through node %d: %v, want %v", branch, tenant, i, got, want)
			}
		}
	}
	insert(dbs[0], "acme", "m1")
	insert(dbs[2], "acme", "m2") // owned by n1: forwarded

	if _, err := dbs[1].Branches().Create(ctx, "dev", cinch.DefaultBranch); err != nil {
		t.Fatalf("branch create: %v", err)
	}
	for i, db := range dbs {
		list, err := db.Branches().List(ctx)
		if err != nil || len(list) != 2 {
			t.Fatalf("branches through node %d: %+v %v", i, list, err)
		}
	}
	expectEverywhere("dev", "acme", "m1", "m2")
	expectEverywhere("dev", "quiet")
	insert(on(dbs[2], "dev"), "acme", "d1")
	expectEverywhere("dev", "acme", "d1", "m1", "m2")
	expectEverywhere(cinch.DefaultBranch, "acme", "m1", "m2")

	// A schema change on dev, merged into main through another node.
	if _, err := on(dbs[0], "dev").Columns().Add(ctx, "events", cinch.Column{Name: "note", Type: "TEXT", Nullable: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := dbs[2].Branches().Merge(ctx, "dev", cinch.DefaultBranch, true); err != nil {
		t.Fatalf("merge dry run: %v", err)
	}
	if _, err := dbs[2].Branches().Merge(ctx, "dev", cinch.DefaultBranch, false); err != nil {
		t.Fatalf("merge: %v", err)
	}
	var histories [][]string
	for i, db := range dbs {
		if _, err := db.SwitchTenant("acme").Query(ctx, "SELECT note FROM events"); err != nil {
			t.Fatalf("main/acme after the merge, through node %d: %v", i, err)
		}
		changes, err := db.Branches().Changes(ctx, cinch.DefaultBranch)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, c := range changes {
			ids = append(ids, c.ID)
		}
		histories = append(histories, ids)
	}
	if len(histories[0]) != 2 || !slices.Equal(histories[0], histories[1]) || !slices.Equal(histories[0], histories[2]) {
		t.Fatalf("main's history after the merge, per node: %v", histories)
	}

	// Delete dev, make it again: it is main's copy, not the old dev.
	if err := dbs[0].Branches().Delete(ctx, "dev"); err != nil {
		t.Fatalf("branch delete: %v", err)
	}
	for i, db := range dbs {
		if _, err := on(db, "dev").SwitchTenant("acme").Query(ctx, "SELECT 1"); !errors.Is(err, cinch.ErrBranchNotFound) {
			t.Fatalf("deleted dev through node %d: %v, want branch_not_found", i, err)
		}
	}
	if _, err := dbs[2].Branches().Create(ctx, "dev", cinch.DefaultBranch); err != nil {
		t.Fatalf("branch create again: %v", err)
	}
	expectEverywhere("dev", "acme", "m1", "m2")
	if _, err := dbs[1].Branches().Create(ctx, "dev", cinch.DefaultBranch); !errors.Is(err, cinch.ErrBranchExists) {
		t.Fatalf("create an existing branch: %v, want branch_exists", err)
	}
}
