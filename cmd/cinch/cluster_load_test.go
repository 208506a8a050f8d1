package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/client"
)

// Issue 13 item 3: placement by recent load as well as count. Three nodes
// own two tenants each (the count is balanced); the two on n1 are written
// without pause, the others not at all. n1 sheds one hot tenant to another
// node (by load: the count rule has nothing to do), keeps the other (moving
// its last hot tenant would only move the hot spot), and cluster status
// shows the writes/s on both. No acknowledged write is lost, no client sees
// an error.
func TestClusterRebalancesByLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	t.Parallel() // waits on leases and elections more than it computes
	nodes := startClusterNodes(t, 3)
	key := clusterInit(t, nodes[0])
	ctx := context.Background()
	place := map[string]int{"h1": 0, "h2": 0, "c1": 1, "c2": 1, "c3": 2, "c4": 2}
	var tenants []string
	for tn := range place {
		tenants = append(tenants, tn)
	}
	createEvents(t, nodes[0].client(t, key).Connect(cinch.Target{}), tenants)
	// A request for a tenant nobody owns makes the node it reaches the owner.
	for tn, i := range place {
		if _, err := nodes[i].client(t, key).Connect(cinch.Target{Tenant: tn}).Insert(ctx, "events", cinch.Record{"id": "first"}); err != nil {
			t.Fatal(err)
		}
	}
	admin := nodes[1].client(t, key)
	owned := func() (map[string]client.ClusterNode, error) {
		list, err := admin.ClusterStatus(ctx)
		if err != nil {
			return nil, err
		}
		out := map[string]client.ClusterNode{}
		for _, n := range list {
			out[n.Name] = n
		}
		return out, nil
	}
	eventually(t, time.Minute, "two tenants owned per node", func() error {
		st, err := owned()
		if err != nil {
			return err
		}
		for _, n := range []string{"n1", "n2", "n3"} {
			if st[n].TenantsOwned != 2 {
				return fmt.Errorf("status: %+v", st)
			}
		}
		return nil
	})

	led := newLedger()
	for tn := range place {
		led.acked[tn] = []string{"first"}
	}
	var errs []error
	stop := make(chan struct{})
	var wg sync.WaitGroup
	db := nodes[0].client(t, key).Connect(cinch.Target{})
	for _, tn := range []string{"h1", "h2"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("%s_%d", tn, i)
				_, err := db.SwitchTenant(tn).Insert(ctx, "events", cinch.Record{"id": id})
				led.mu.Lock()
				if err == nil {
					led.acked[tn] = append(led.acked[tn], id)
				} else {
					led.uncertain[tn] = append(led.uncertain[tn], id)
					errs = append(errs, fmt.Errorf("%s %s: %w", tn, id, err))
				}
				led.mu.Unlock()
			}
		}()
	}
	defer func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		wg.Wait()
	}()
	var status map[string]client.ClusterNode
	eventually(t, 2*time.Minute, "n1 sheds a hot tenant, and two nodes show writes", func() error {
		st, err := owned()
		if err != nil {
			return err
		}
		status = st
		busy := 0
		for _, n := range st {
			if n.WritesPerSec > 0 {
				busy++
			}
		}
		if st["n1"].TenantsOwned != 1 || busy < 2 {
			return fmt.Errorf("status: %+v", st)
		}
		return nil
	})
	close(stop)
	wg.Wait()
	for _, line := range strings.Split(nodes[0].log.String(), "\n") {
		if strings.Contains(line, "rebalanced") {
			t.Log(line)
		}
	}
	for _, n := range status {
		t.Logf("%s: %d tenants, %.1f writes/s, log tail %d, snapshot age %.0fs", n.Name, n.TenantsOwned, n.WritesPerSec, n.LogTail, n.SnapshotAgeSeconds)
		if n.Name != "n1" && n.TenantsOwned == 3 && n.WritesPerSec <= 0 {
			t.Errorf("node %s received the hot tenant but shows no writes: %+v", n.Name, n)
		}
	}
	if !strings.Contains(nodes[0].log.String(), "by=load") {
		t.Errorf("n1's log does not say it moved a tenant for load:\n%s", nodes[0].log)
	}
	for _, e := range errs {
		t.Errorf("client error while rebalancing: %v", e)
	}
	for tn := range place {
		led.verify(t, db, tn)
	}
	// The metrics beside status: commits counted, the load gauges exported.
	req, _ := http.NewRequest(http.MethodGet, nodes[0].base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, name := range []string{"cinch_cluster_writes_per_second", "cinch_cluster_snapshot_age_seconds", "cinch_cluster_log_tail_records", "cinch_cluster_tenants_catching_up"} {
		if !strings.Contains(string(body), name) {
			t.Errorf("n1's /metrics has no %s", name)
		}
	}
	commits := -1.0
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, "cinch_cluster_commits_total "); ok {
			commits, _ = strconv.ParseFloat(v, 64)
		}
	}
	if commits < 10 {
		t.Errorf("n1 counts %v commits, want the hot tenants' writes", commits)
	}
	// The CLI shows the same figures, as a table and as JSON.
	r := runner{t: t, dir: t.TempDir(), env: []string{"CINCH_SERVER=" + nodes[2].base, "CINCH_API_KEY=" + key}}
	out := r.ok("cluster", "status").stdout
	for _, col := range []string{"writes_per_sec", "control_lag", "catching_up", "log_tail", "snapshot_age", "n1", "n2", "n3"} {
		if !strings.Contains(out, col) {
			t.Errorf("cluster status lacks %s:\n%s", col, out)
		}
	}
	var list []client.ClusterNode
	r.json(&list, "cluster", "status", "--format", "json")
	if len(list) != 3 {
		t.Errorf("cluster status --format json: %+v", list)
	}
}
