package cluster

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
)

// TestNodeLeaseTerms: tenants are held through their node's lease. A
// tenant of a node that holds its lease is refused to another node; when
// that node stops renewing (paused, killed), its key expires and the other
// node takes the tenant by compare-and-set. A node whose term ends (its
// key was removed under it, so its renewal is refused) loses every tenant
// of that term, takes a new term by itself, and adopts its tenants again.
func TestNodeLeaseTerms(t *testing.T) {
	tc := startTestCluster(t)
	a, rootA := tc.node(t, 0, "a")
	b, rootB := tc.node(t, 1, "b")
	ctx := context.Background()
	other := Tenant{Database: "main", Branch: "main", Name: "other"}
	pathA, pathB := tenantPath(rootA), tenantPath(rootB)
	otherA := tenantPath(rootA) + ".other.db"

	if err := a.Acquire(ctx, acme, pathA); err != nil {
		t.Fatal(err)
	}
	if err := a.Acquire(ctx, other, otherA); err != nil {
		t.Fatal(err)
	}
	if err := b.Acquire(ctx, acme, pathB); !errors.Is(err, cinch.ErrNotOwner) {
		t.Fatalf("acquire of a live node's tenant: %v, want ErrNotOwner", err)
	}
	if owner, err := b.OwnerByLeader(ctx, acme); err != nil || owner != "a" {
		t.Fatalf("owner through the leader: %q, %v; want a", owner, err)
	}

	// a's term ends under it: its renewal is refused, every tenant of the
	// term is lost.
	a.mu.Lock()
	oa := a.owned[pathA]
	oOther := a.owned[otherA]
	a.mu.Unlock()
	if err := a.leases.Delete(ctx, nodeKey("a")); err != nil {
		t.Fatal(err)
	}
	for _, o := range []*owned{oa, oOther} {
		select {
		case <-o.lease.lost:
		case <-time.After(30 * time.Second):
			t.Fatal("a's tenants were not lost when its term ended")
		}
	}
	// It takes a new term by itself and adopts its tenant again.
	a.Release(ctx, acme, pathA)
	a.Release(ctx, other, otherA)
	acquireEventually(t, a, acme, pathA)
	if !a.OwnsTenant(acme) {
		t.Fatal("a does not own acme after acquiring it in its new term")
	}

	// a stops renewing (a pause): its key expires, b takes acme.
	a.nl.halt()
	acquireEventually(t, b, acme, pathB)
	if owner, err := b.OwnerByLeader(ctx, acme); err != nil || owner != "b" {
		t.Fatalf("owner after the takeover: %q, %v; want b", owner, err)
	}
	// other's key still names a, whose lease is gone: nobody owns it.
	if owner, err := b.OwnerByLeader(ctx, other); err != nil || owner != "" {
		t.Fatalf("owner of a dead node's tenant: %q, %v; want none", owner, err)
	}
	b.Release(ctx, acme, pathB)
}
