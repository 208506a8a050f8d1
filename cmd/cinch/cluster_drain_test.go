package main

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
)

// Issue 13, must hold: draining a node that owns 200 tenants while writers
// run on every node gives no client error and loses no acknowledged write;
// the node ends owning nothing.
func TestClusterDrainManyTenants(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	t.Parallel() // waits on leases and elections more than it computes
	nodes := startClusterNodes(t, 3)
	key := clusterInit(t, nodes[0])
	ctx := context.Background()
	const count = 200
	var tenants []string
	for i := range count {
		tenants = append(tenants, fmt.Sprintf("d%03d", i))
	}
	createEvents(t, nodes[0].client(t, key).Connect(cinch.Target{}), tenants)
	dbs := []cinch.DB{}
	for _, n := range nodes {
		dbs = append(dbs, n.client(t, key).Connect(cinch.Target{}))
	}
	led := newLedger()
	var clientErrs []error
	write := func(db cinch.DB, tn, id string) {
		rctx, cancel := context.WithTimeout(ctx, time.Minute)
		_, err := db.SwitchTenant(tn).Insert(rctx, "events", cinch.Record{"id": id})
		cancel()
		led.mu.Lock()
		defer led.mu.Unlock()
		if err == nil {
			led.acked[tn] = append(led.acked[tn], id)
		} else {
			led.uncertain[tn] = append(led.uncertain[tn], id)
			clientErrs = append(clientErrs, fmt.Errorf("%s %s: %w", tn, id, err))
		}
	}

	// n1 takes every tenant: the first write to a tenant nobody owns makes
	// the node it reaches the owner. (Rebalancing may move a few away
	// meanwhile, one per node every few seconds.)
	var wg sync.WaitGroup
	next := make(chan string)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for tn := range next {
				write(dbs[0], tn, "first")
			}
		}()
	}
	for _, tn := range tenants {
		next <- tn
	}
	close(next)
	wg.Wait()
	// Asked of n1 itself: a node counts its own tenants live (the others'
	// come from heartbeats a second old).
	admin := nodes[0].client(t, key)
	owned := func(name string) (int, error) {
		list, err := admin.ClusterStatus(ctx)
		if err != nil {
			return 0, err
		}
		for _, n := range list {
			if n.Name == name {
				return n.TenantsOwned, nil
			}
		}
		return 0, fmt.Errorf("node %s is not in cluster status", name)
	}
	before, err := owned("n1")
	if err != nil {
		t.Fatal(err)
	}
	if before < count*3/4 {
		t.Fatalf("n1 owns %d of %d tenants before the drain, want most", before, count)
	}

	// Writers on every node, over every tenant.
	stop := make(chan struct{})
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				write(dbs[(w+i)%3], tenants[(w*31+i*7)%count], fmt.Sprintf("w%d_%d", w, i))
			}
		}()
	}
	time.Sleep(500 * time.Millisecond) // the writers reach every node before the drain starts
	r := runner{t: t, dir: t.TempDir(), env: []string{"CINCH_SERVER=" + nodes[2].base, "CINCH_API_KEY=" + key}}
	start := time.Now()
	r.ok("cluster", "drain", "n1")
	eventually(t, 3*time.Minute, "n1 drained", func() error {
		if n, err := owned("n1"); err != nil || n > 0 {
			return fmt.Errorf("n1 owns %d: %v", n, err)
		}
		return nil
	})
	drained := time.Since(start)
	time.Sleep(500 * time.Millisecond) // writers keep going against the drained node
	close(stop)
	wg.Wait()
	led.mu.Lock()
	errs := clientErrs
	acked := 0
	for _, ids := range led.acked {
		acked += len(ids)
	}
	led.mu.Unlock()
	for _, e := range errs {
		t.Errorf("client error during the drain: %v", e)
	}
	if n, err := owned("n1"); err != nil || n > 0 {
		t.Errorf("n1 owns %d tenants after the drain (%v)", n, err)
	}
	for _, tn := range tenants {
		led.verify(t, dbs[0], tn)
	}
	t.Logf("n1 owned %d tenants; drained in %v under 6 writers; %d acknowledged writes, all present", before, drained.Round(time.Millisecond), acked)
}
