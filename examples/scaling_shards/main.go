// Command scaling_shards is the Go version of "Scaling Patterns: 1.
// Sharding by Tenant" in the multi-tenancy concept document: route each
// tenant to one of several shards with a stable hash.
//
// A shard here is a separate cinch project folder, standing in for a
// separate server; the application routes with GetShardForTenant and opens
// the tenant there. The hash must be stable across processes and releases
// (Python's hash() of a str is not: it is salted per process), so this uses
// FNV-1a from hash/fnv. Note that changing NumShards moves most tenants;
// use consistent hashing or a routing table if shards will be added.
//
// Cluster mode (cinch itself routing tenants across servers) is future
// work; today routing is the application's job, as here.
//
//	go run ./examples/scaling_shards [DIR]
package main

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

func main() {
	dir, cleanup, err := projectDir()
	if err == nil {
		err = run(context.Background(), dir, os.Stdout)
		cleanup()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// projectDir returns os.Args[1] or a fresh temporary folder (removed by cleanup).
func projectDir() (string, func(), error) {
	if len(os.Args) > 1 {
		return os.Args[1], func() {}, nil
	}
	dir, err := os.MkdirTemp("", "cinch-example-*")
	return dir, func() { os.RemoveAll(dir) }, err
}

// NumShards is how many shards tenants are spread over.
const NumShards = 4

// GetShardForTenant returns the shard ("shard_N") that holds tenantID. The
// same ID always maps to the same shard, in every process.
func GetShardForTenant(tenantID string) string {
	h := fnv.New32a()
	h.Write([]byte(tenantID))
	return fmt.Sprintf("shard_%d", h.Sum32()%NumShards)
}

// Router holds one open project per shard (SHARD_SERVERS in the seed).
type Router struct {
	shards map[string]*local.DB // shard name → handle on its tenant main
}

// OpenRouter creates (first time) and opens the shard projects under dir,
// each with the same schema.
func OpenRouter(ctx context.Context, dir string) (*Router, func(), error) {
	r := &Router{shards: map[string]*local.DB{}}
	var projects []*local.Project
	closeAll := func() {
		for _, p := range projects {
			p.Close(ctx)
		}
	}
	for i := range NumShards {
		name := fmt.Sprintf("shard_%d", i)
		shardDir := filepath.Join(dir, name)
		if err := local.Init(ctx, shardDir, "myapp"); err != nil {
			closeAll()
			return nil, nil, err
		}
		p, err := local.Open(ctx, local.Config{Dir: shardDir})
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		projects = append(projects, p)
		db, err := p.Connect(cinch.Target{Database: "myapp"})
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		// Each shard is its own project, so the schema change is made on
		// each; a real deployment would run the same migration everywhere.
		col, _ := cinch.ParseColumnSpec("name:TEXT")
		if _, err := db.Tables().Create(ctx, "users", []cinch.Column{col}); err != nil {
			closeAll()
			return nil, nil, err
		}
		r.shards[name] = db
	}
	return r, closeAll, nil
}

// Tenant returns a handle on tenantID on its shard.
func (r *Router) Tenant(tenantID string) cinch.DB {
	return r.shards[GetShardForTenant(tenantID)].SwitchTenant(tenantID)
}

// CreateTenant creates tenantID on its shard.
func (r *Router) CreateTenant(ctx context.Context, tenantID string) error {
	_, err := r.shards[GetShardForTenant(tenantID)].Tenants().Create(ctx, tenantID, cinch.TenantCreateOptions{})
	return err
}

func run(ctx context.Context, dir string, out io.Writer) error {
	router, closeAll, err := OpenRouter(ctx, dir)
	if err != nil {
		return err
	}
	defer closeAll()

	for i := range 20 {
		tenantID := fmt.Sprintf("customer_%05d", i)
		if err := router.CreateTenant(ctx, tenantID); err != nil {
			return err
		}
		if _, err := router.Tenant(tenantID).Insert(ctx, "users", cinch.Record{"name": "owner of " + tenantID}); err != nil {
			return err
		}
	}
	names := make([]string, 0, len(router.shards))
	for name := range router.shards {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		ts, err := router.shards[name].Tenants().List(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s: %d customer tenants\n", name, len(ts)-1) // minus tenant main
	}
	res, err := router.Tenant("customer_00007").Query(ctx, "SELECT name FROM users")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "customer_00007 is on %s and holds %q\n", GetShardForTenant("customer_00007"), res.Value(0, "name"))
	return nil
}
