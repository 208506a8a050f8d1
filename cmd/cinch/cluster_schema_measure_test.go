package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/client"
)

// A measurement, not a check (issue 13's speed row "a schema change over
// 10,000 tenants spread on 3 nodes returns as fast as on one node"): run
// with CINCH_MEASURE_SCHEMA=1 and -v. The same project on a three-node
// cluster and on one `cinch serve`: 10,000 lazy tenants, 300 of them
// written (owned: spread over the nodes in the cluster), then nullable
// columns added through one node; logged: the time each add took to
// return. Asserts only that the column is there afterwards, on every node.
func TestClusterSchemaChangeMeasure(t *testing.T) {
	if os.Getenv("CINCH_MEASURE_SCHEMA") == "" {
		t.Skip("a measurement: set CINCH_MEASURE_SCHEMA=1")
	}
	const tenants, written, adds = 10000, 300, 5
	ctx := context.Background()
	setup := func(dbs []cinch.DB) {
		t.Helper()
		var names []string
		for i := range tenants {
			names = append(names, fmt.Sprintf("s%05d", i))
		}
		createEvents(t, dbs[0], nil)
		for i := 0; i < tenants; i += 1000 {
			if _, err := dbs[0].Tenants().CreateMany(ctx, names[i:i+1000], cinch.TenantCreateOptions{Lazy: true}); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		for w := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < written; i += 6 {
					if _, err := dbs[i%len(dbs)].SwitchTenant(names[i]).Insert(ctx, "events", cinch.Record{"id": "x"}); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	measure := func(mode string, dbs []cinch.DB) {
		t.Helper()
		var took []string
		for i := range adds {
			t0 := time.Now()
			if _, err := dbs[0].Columns().Add(ctx, "events", cinch.Column{Name: fmt.Sprintf("c%d", i), Type: "TEXT", Nullable: true}); err != nil {
				t.Fatal(err)
			}
			took = append(took, time.Since(t0).Round(100*time.Microsecond).String())
		}
		for _, db := range dbs {
			res, err := db.SwitchTenant("s00001").Query(ctx, fmt.Sprintf("SELECT c%d FROM events", adds-1))
			if err != nil {
				t.Fatalf("%s: the last column: %v %v", mode, res, err)
			}
		}
		load, _ := os.ReadFile("/proc/loadavg")
		t.Logf("%s: add a nullable column over %d tenants (%d written): %s; load average %s", mode, tenants, written, strings.Join(took, ", "), strings.TrimSpace(string(load)))
	}

	// One `cinch serve`.
	dir := t.TempDir()
	c := runner{t: t, dir: dir}
	c.ok("init")
	key := lastLine(c.ok("key", "create").stdout)
	srv := startServe(t, dir)
	cl, err := client.New(srv.base, key)
	if err != nil {
		t.Fatal(err)
	}
	single := []cinch.DB{cl.Connect(cinch.Target{})}
	setup(single)
	measure("one node", single)

	// Three cluster nodes.
	nodes := startClusterNodes(t, 3)
	ckey := clusterInit(t, nodes[0])
	var dbs []cinch.DB
	for _, n := range nodes {
		dbs = append(dbs, n.client(t, ckey).Connect(cinch.Target{}))
	}
	setup(dbs)
	measure("three nodes", dbs)
	if os.Getenv("CINCH_MEASURE_SCHEMA") == "debug" {
		for _, n := range nodes {
			for _, line := range strings.Split(n.log.String(), "\n") {
				if strings.Contains(line, "/columns") || strings.Contains(line, "DEBUG") {
					t.Logf("%s: %s", n.name, line)
				}
			}
		}
	}
}
