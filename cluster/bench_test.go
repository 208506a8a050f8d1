package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// benchProject opens a project in a new folder, owned through rt when given
// (cluster mode), with a users table and tenants t0..t(n-1).
func benchProject(b *testing.B, rt *Runtime, dir string, tenants int) *local.Project {
	b.Helper()
	ctx := context.Background()
	if err := local.Init(ctx, dir, ""); err != nil {
		b.Fatal(err)
	}
	cfg := local.Config{Dir: dir}
	if rt != nil {
		cfg.Owner = rt.Owner()
	}
	p, err := local.Open(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close(context.Background()) })
	db, err := p.Connect(cinch.Target{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.Tables().Create(ctx, "users", []cinch.Column{{Name: "name", Type: "TEXT", Nullable: true}}); err != nil {
		b.Fatal(err)
	}
	for i := range tenants {
		if _, err := db.Tenants().Create(ctx, fmt.Sprintf("t%d", i), cinch.TenantCreateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	return p
}

// BenchmarkClusterInsert: one acknowledged single-row insert, on one node
// (the engine alone) and on a cluster node (the commit's pages appended to
// the tenant's log, fenced, R3 with fsync on three in-process NATS servers,
// before the insert returns). Reports p50 and the ratio in the same run
// (target: ≤ 3 ms p50 on loopback).
func BenchmarkClusterInsert(b *testing.B) {
	ctx := context.Background()
	tc := startTestCluster(b)
	rt, err := Start(ctx, RuntimeConfig{Node: "bench", Dir: b.TempDir(), NATSURL: tc.servers[0].ClientURL(), Replicas: 3})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rt.Close(context.Background()) })
	p50 := map[string]time.Duration{}
	for _, mode := range []string{"single", "cluster"} {
		b.Run(mode, func(b *testing.B) {
			var r *Runtime
			if mode == "cluster" {
				r = rt
			}
			dir := b.TempDir()
			if r != nil {
				dir = rt.cfg.Dir + fmt.Sprintf("/p%d", b.N)
			}
			p := benchProject(b, r, dir, 1)
			db, err := p.Connect(cinch.Target{Tenant: "t0"})
			if err != nil {
				b.Fatal(err)
			}
			var lat []time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, err := db.Insert(ctx, "users", cinch.Record{"name": "x"}); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			p50[mode] = lat[len(lat)/2]
			b.ReportMetric(float64(p50[mode].Microseconds())/1000, "p50-ms")
		})
	}
	if p50["single"] > 0 && p50["cluster"] > 0 {
		b.Logf("acked insert p50: single node %v, cluster %v (%.1fx)", p50["single"], p50["cluster"], float64(p50["cluster"])/float64(p50["single"]))
	}
}

// BenchmarkClusterInsertParallel: acknowledged inserts/s across 32 tenants
// owned by one cluster node, 32 writers (target: ≥ 2,000/s on 2 cores).
func BenchmarkClusterInsertParallel(b *testing.B) {
	ctx := context.Background()
	tc := startTestCluster(b)
	dir := b.TempDir()
	rt, err := Start(ctx, RuntimeConfig{Node: "bench", Dir: dir, NATSURL: tc.servers[0].ClientURL(), Replicas: 3})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rt.Close(context.Background()) })
	p := benchProject(b, rt, dir+"/p", 32)
	var n atomic.Int64
	b.ResetTimer()
	var wg sync.WaitGroup
	per := max(b.N/32, 1)
	start := time.Now()
	for w := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := p.Connect(cinch.Target{Tenant: fmt.Sprintf("t%d", w)})
			if err != nil {
				b.Error(err)
				return
			}
			for range per {
				if _, err := db.Insert(ctx, "users", cinch.Record{"name": "x"}); err != nil {
					b.Error(err)
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(n.Load())/time.Since(start).Seconds(), "inserts/s")
}

// BenchmarkClusterForwardedInsert: an acknowledged single-row insert sent
// to the tenant's owner by another node (the forwarded request over NATS,
// the owner's "do you still wait?" round trip before it runs a write, the
// insert with its log append, the answer), against the same insert made by
// the owner itself in the same run. Reports both p50s and the ratio.
func BenchmarkClusterForwardedInsert(b *testing.B) {
	ctx := context.Background()
	tc := startTestCluster(b)
	dir := b.TempDir()
	owner, err := Start(ctx, RuntimeConfig{Node: "owner", Dir: dir, NATSURL: tc.servers[0].ClientURL(), Replicas: 3})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { owner.Close(context.Background()) })
	sender, err := Start(ctx, RuntimeConfig{Node: "sender", Dir: b.TempDir(), NATSURL: tc.servers[1].ClientURL(), Replicas: 3})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sender.Close(context.Background()) })
	p := benchProject(b, owner, dir+"/p", 1)
	db, err := p.Connect(cinch.Target{Tenant: "t0"})
	if err != nil {
		b.Fatal(err)
	}
	inner := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if _, err := db.Insert(req.Context(), "users", cinch.Record{"name": "x"}); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusCreated)
	})
	if _, err := owner.Handler(p, inner); err != nil {
		b.Fatal(err)
	}
	h, err := sender.Handler(p, http.NotFoundHandler()) // only its request() is used
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.Insert(ctx, "users", cinch.Record{"name": "x"}); err != nil { // owned now
		b.Fatal(err)
	}
	msg, _ := json.Marshal(forwarded{Method: http.MethodPost, Path: "/v1/databases/main/branches/main/tenants/t0/tables/users/rows", Header: http.Header{}})
	p50 := map[string]time.Duration{}
	for _, mode := range []string{"owner", "forwarded"} {
		b.Run(mode, func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				t0 := time.Now()
				if mode == "owner" {
					if _, err := db.Insert(ctx, "users", cinch.Record{"name": "x"}); err != nil {
						b.Fatal(err)
					}
				} else {
					res, err := h.(*router).request(ctx, "owner", msg)
					if err != nil || res.Status != http.StatusCreated {
						b.Fatalf("forwarded insert: %v %d %s", err, res.Status, res.Body)
					}
				}
				lat = append(lat, time.Since(t0))
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			p50[mode] = lat[len(lat)/2]
			b.ReportMetric(float64(p50[mode].Microseconds())/1000, "p50-ms")
		})
	}
	if p50["owner"] > 0 && p50["forwarded"] > 0 {
		b.Logf("acked insert p50: by the owner %v, forwarded %v (%.2fx)", p50["owner"], p50["forwarded"], float64(p50["forwarded"])/float64(p50["owner"]))
	}
}
