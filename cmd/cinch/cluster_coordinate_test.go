package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/client"
)

// coordFixture is a three-node cluster with tenants t0..t5 spread over
// the nodes (t0, t1 on n1; t2, t3 on n2; t4, t5 on n3), each holding rows
// with distinct writers.
type coordFixture struct {
	nodes []*clusterNode
	cls   []*client.Client
	dbs   []cinch.DB
}

var coordTenants = []string{"t0", "t1", "t2", "t3", "t4", "t5"}

func newCoordFixture(t *testing.T, env func(i int) []string) *coordFixture {
	t.Helper()
	nodes := startClusterNodes(t, 3)
	if env != nil {
		for i, n := range nodes {
			if e := env(i); len(e) > 0 {
				n.kill()
				n.env = e
				n.launch()
				n.waitListening()
			}
		}
	}
	f := &coordFixture{nodes: nodes}
	key := clusterInit(t, nodes[0])
	for _, n := range nodes {
		c := n.client(t, key)
		f.cls = append(f.cls, c)
		f.dbs = append(f.dbs, c.Connect(cinch.Target{}))
	}
	ctx := context.Background()
	createEvents(t, f.dbs[0], coordTenants)
	for i, tn := range coordTenants {
		node := i / 2
		eventually(t, 30*time.Second, "move "+tn, func() error {
			_, err := f.cls[0].ClusterMove(ctx, cinch.Target{Tenant: tn}, nodes[node].name)
			return err
		})
		for j := range 3 {
			if _, err := f.dbs[node].SwitchTenant(tn).Insert(ctx, "events", cinch.Record{"writer": fmt.Sprintf("%s-w%d", tn, j)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return f
}

// indexesEverywhere returns the names of events' indexes through each node.
func (f *coordFixture) indexesEverywhere(t *testing.T) [][]string {
	t.Helper()
	var out [][]string
	for i, db := range f.dbs {
		if !f.nodes[i].running() {
			continue
		}
		idx, err := db.Indexes().List(context.Background(), "events")
		if err != nil {
			t.Fatalf("indexes through node %d: %v", i, err)
		}
		var names []string
		for _, x := range idx {
			names = append(names, x.Name)
		}
		out = append(out, names)
	}
	return out
}

// duplicateAccepted inserts a writer that tenant already has, through db:
// nil when no unique index refuses it.
func duplicateAccepted(db cinch.DB, tenant string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := db.SwitchTenant(tenant).Insert(ctx, "events", cinch.Record{"writer": tenant + "-w0"})
	return err
}

// Must hold (issue 13): a data-dependent change refused by one tenant owned
// by node 3 changes nothing on any node; once that tenant's data is fixed,
// the same change asked of another node commits on every tenant and every
// node records it at the same place in its history.
func TestClusterDataDependentChange(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	t.Parallel() // waits on leases and elections more than it computes
	f := newCoordFixture(t, nil)
	ctx := context.Background()
	// t5 (on n3) gets a duplicate writer.
	if err := duplicateAccepted(f.dbs[2], "t5"); err != nil {
		t.Fatal(err)
	}
	unique := cinch.IndexInfo{Name: "events_writer", Table: "events", Columns: []string{"writer"}, Unique: true}
	_, err := f.dbs[0].Indexes().Create(ctx, unique)
	if !errors.Is(err, cinch.ErrConstraint) || !strings.Contains(err.Error(), `"t5"`) {
		t.Fatalf("unique index over a duplicate on t5: %v, want a constraint error naming t5", err)
	}
	for i, names := range f.indexesEverywhere(t) {
		if len(names) != 0 {
			t.Fatalf("node %d lists indexes %v after the refused change", i, names)
		}
	}
	// No tenant's file kept the index: each still takes a duplicate.
	for i, tn := range coordTenants {
		if err := duplicateAccepted(f.dbs[(i+1)%3], tn); err != nil {
			t.Fatalf("tenant %s after the refused change: %v", tn, err)
		}
	}

	// Fix the data, then ask another node.
	for _, tn := range coordTenants {
		if _, err := f.dbs[1].SwitchTenant(tn).Query(ctx, "DELETE FROM events WHERE rowid NOT IN (SELECT min(rowid) FROM events GROUP BY writer)"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.dbs[1].Indexes().Create(ctx, unique); err != nil {
		t.Fatalf("unique index over clean data: %v", err)
	}
	for i, names := range f.indexesEverywhere(t) {
		if !slices.Equal(names, []string{"events_writer"}) {
			t.Fatalf("node %d lists indexes %v, want the new one", i, names)
		}
	}
	for i, tn := range coordTenants {
		if err := duplicateAccepted(f.dbs[i%3], tn); !errors.Is(err, cinch.ErrConstraint) {
			t.Fatalf("tenant %s takes a duplicate after the unique index: %v", tn, err)
		}
	}
	var histories [][]string
	for i, db := range f.dbs {
		changes, err := db.Branches().Changes(ctx, cinch.DefaultBranch)
		if err != nil {
			t.Fatalf("changes through node %d: %v", i, err)
		}
		var ids []string
		for _, c := range changes {
			ids = append(ids, c.ID)
		}
		histories = append(histories, ids)
	}
	if !slices.Equal(histories[0], histories[1]) || !slices.Equal(histories[0], histories[2]) {
		t.Fatalf("the nodes' histories differ: %v", histories)
	}
}

// Must hold (issue 13): the coordinator of a data-dependent change dies in
// the middle of it, at the worst moment: every tenant has the change in its
// file, the decision is not recorded. Another node takes the change over
// and undoes it on every tenant, every node ends without it, and the branch
// takes the same change again afterwards.
func TestClusterCoordinatorDiesMidPrepare(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	t.Parallel() // waits on leases and elections more than it computes
	f := newCoordFixture(t, func(i int) []string {
		if i == 0 {
			return []string{"CINCH_TEST_PAUSE_BEFORE_DECIDE=1"}
		}
		return nil
	})
	ctx := context.Background()
	unique := cinch.IndexInfo{Name: "events_writer", Table: "events", Columns: []string{"writer"}, Unique: true}
	go func() {
		// The coordinator never answers: it is killed mid-prepare.
		rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		defer cancel()
		f.dbs[0].Indexes().Create(rctx, unique)
	}()
	eventually(t, time.Minute, "the coordinator pauses mid-prepare", func() error {
		if !strings.Contains(f.nodes[0].log.String(), "paused before deciding a prepared change") {
			return errors.New("not yet")
		}
		return nil
	})
	// Undecided, the change holds up no reader: every node serves the
	// tenants as of before it (the one read here is owned by the paused
	// coordinator, which answers forwarded requests).
	for i := 1; i < 3; i++ {
		rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		_, err := f.dbs[i].SwitchTenant("t3").Query(rctx, "SELECT count(*) FROM events")
		cancel()
		if err != nil {
			t.Fatalf("a read through node %d while the change is undecided: %v", i, err)
		}
	}
	f.nodes[0].kill()

	// The survivors finish it (abort + undo), then serve every tenant
	// without the index.
	for i, tn := range coordTenants {
		db := f.dbs[1+i%2]
		eventually(t, time.Minute, "tenant "+tn+" takes a duplicate after the abort", func() error {
			return duplicateAccepted(db, tn)
		})
	}
	for i, names := range f.indexesEverywhere(t) {
		if len(names) != 0 {
			t.Fatalf("surviving node %d lists indexes %v after the abandoned change", i, names)
		}
	}
	// The branch is not stuck: clean the data and make the change again.
	for _, tn := range coordTenants {
		if _, err := f.dbs[1].SwitchTenant(tn).Query(ctx, "DELETE FROM events WHERE rowid NOT IN (SELECT min(rowid) FROM events GROUP BY writer)"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.dbs[2].Indexes().Create(ctx, unique); err != nil {
		t.Fatalf("the change again after the abort: %v", err)
	}
	for i, tn := range coordTenants {
		if err := duplicateAccepted(f.dbs[1+i%2], tn); !errors.Is(err, cinch.ErrConstraint) {
			t.Fatalf("tenant %s takes a duplicate after the unique index: %v", tn, err)
		}
	}
}
