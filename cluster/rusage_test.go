//go:build linux

package cluster

import (
	"context"
	"fmt"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rssBytes is the process's resident set (Linux; 0 elsewhere).
func rssBytes() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkClusterOwnedTenants: a node owning 1,000 tenants (each opened
// once through the engine, its lease renewed every second): reports the
// process's RSS (three in-process NATS servers and the node: an upper bound
// for one node, target ≤ 200 MiB) and the CPU the node spends per second
// holding them.
func BenchmarkClusterOwnedTenants(b *testing.B) {
	ctx := context.Background()
	tc := startTestCluster(b)
	dir := b.TempDir()
	rt, err := Start(ctx, RuntimeConfig{Node: "bench", Dir: dir, NATSURL: tc.servers[0].ClientURL(), Replicas: 3})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { rt.Close(context.Background()) })
	const n = 1000
	if err := local.Init(ctx, dir+"/p", ""); err != nil {
		b.Fatal(err)
	}
	p, err := local.Open(ctx, local.Config{Dir: dir + "/p", Owner: rt.Owner(), MaxOpenTenants: n + 10})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close(context.Background()) })
	db, _ := p.Connect(cinch.Target{})
	var names []string
	for i := range n {
		names = append(names, fmt.Sprintf("t%04d", i))
	}
	if _, err := db.Tenants().CreateMany(ctx, names, cinch.TenantCreateOptions{Lazy: true}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		for _, name := range names {
			if err := p.WarmTenant(ctx, "main", "main", name); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	sample := 5 * time.Second
	if testing.Short() {
		sample = time.Second // make bench: it only has to keep working
	}
	cpu0 := cpuTime()
	time.Sleep(sample)
	b.ReportMetric(float64(cpuTime()-cpu0)/sample.Seconds()/float64(time.Millisecond), "cpu-ms/s")
	b.ReportMetric(float64(rssBytes())/(1<<20), "rss-MiB")
}
