package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/cluster"
	"github.com/cinchdb/cinch/local"
	"github.com/cinchdb/cinch/server"
)

// clusterOpenTenants bounds the tenants a cluster node keeps open, and so
// owns, at once (the memory bound, 256 MiB of connections at ~320 KiB,
// usually binds first: ~800 tenants with their writer open). A node owning
// more would release the least recently used ones (a snapshot each) and
// take them again on their next request.
const clusterOpenTenants = 1000

// clusterFlags are serve's cluster flags (SPEC §8).
type clusterFlags struct {
	enabled     bool
	node        string
	dir         string
	natsURL     string
	natsListen  string
	natsCluster string
	natsRoutes  []string
	replicas    int
}

func (f *clusterFlags) add(c *cobra.Command) {
	fl := c.Flags()
	fl.BoolVar(&f.enabled, "cluster", false, "run as a node of a cluster on NATS JetStream (docs/cluster.md)")
	fl.StringVar(&f.node, "node", "", "with --cluster: this node's name, unique in the cluster")
	fl.StringVar(&f.dir, "dir", "", "with --cluster: this node's folder (a project it creates if missing; a cache of the cluster's state)")
	fl.StringVar(&f.natsURL, "nats-url", "", "with --cluster: join this NATS cluster (nats://HOST:PORT) instead of embedding a server")
	fl.StringVar(&f.natsListen, "nats-listen", "127.0.0.1:4222", "with --cluster: the embedded NATS server's client address")
	fl.StringVar(&f.natsCluster, "nats-cluster", "", "with --cluster: the embedded NATS server's route address for its peers (HOST:PORT)")
	fl.StringSliceVar(&f.natsRoutes, "nats-routes", nil, "with --cluster: nats://HOST:PORT of every node's --nats-cluster address (comma-separated)")
	fl.IntVar(&f.replicas, "replicas", 3, "with --cluster: copies JetStream keeps of the cluster's state (3: survives one node's death; 1 for a one-node trial)")
}

func (f *clusterFlags) check() error {
	switch {
	case f.node == "":
		return usageErrorf("--cluster needs --node NAME")
	case f.dir == "":
		return usageErrorf("--cluster needs --dir DIR (the node's folder)")
	case f.natsURL == "" && f.natsCluster == "" && f.replicas > 1:
		return usageErrorf("--cluster needs --nats-url, or --nats-cluster and --nats-routes for the embedded NATS server (or --replicas 1 for one node)")
	case f.replicas < 1 || f.replicas > 5:
		return usageErrorf("--replicas must be 1 to 5")
	}
	return nil
}

// serveCluster runs cinch serve as a cluster node: the embedded NATS
// server (or --nats-url), the node's project folder with the cluster's
// ownership hook, and the API wrapped by the cluster's router.
func (a *app) serveCluster(ctx context.Context, addr, certFile, keyFile string, cfg server.Config, f *clusterFlags) error {
	if err := f.check(); err != nil {
		return err
	}
	dir, err := filepath.Abs(f.dir)
	if err != nil {
		return err
	}
	if err := local.Init(ctx, dir, ""); err != nil && !errors.Is(err, cinch.ErrProjectExists) {
		return err
	}
	ln, scheme, err := listen(addr, certFile, keyFile)
	if err != nil {
		return err
	}
	defer ln.Close()
	log := slog.New(slog.NewTextHandler(a.stderr, nil))
	rc := cluster.RuntimeConfig{Node: f.node, Dir: dir, NATSURL: f.natsURL, Replicas: f.replicas,
		Addr: scheme + "://" + ln.Addr().String(), Logger: log}
	if f.natsURL == "" {
		var routes []string
		for _, r := range f.natsRoutes {
			if r = strings.TrimSpace(r); r != "" {
				routes = append(routes, r)
			}
		}
		rc.Embedded = &cluster.NATSConfig{Name: f.node, StoreDir: filepath.Join(dir, ".cinchdb", "nats"),
			Listen: f.natsListen, Cluster: f.natsCluster, Routes: routes}
	}
	fmt.Fprintf(a.stderr, "cinch serve: starting cluster node %s, waiting for the cluster's quorum\n", f.node)
	rt, err := cluster.Start(ctx, rc)
	if err != nil {
		return err
	}
	defer rt.Close(context.WithoutCancel(ctx))
	// An open handle is an owned tenant (held through the node's lease); a
	// closed one is given up (snapshot, lease deleted). A memory bound as
	// tight as a single server's would close them too often, and so would
	// the single server's 128 handles: a node owns up to clusterOpenTenants.
	p, err := local.Open(ctx, local.Config{Dir: dir, Owner: rt.Owner(), Logger: log, MaxOpenMemory: 256 << 20, MaxOpenTenants: clusterOpenTenants,
		// A schema change answers at its commit point; each owned tenant
		// catches up on its next request (one more log append then).
		DeferOpenCatchUp: true})
	if err != nil {
		return err
	}
	defer p.Close(context.WithoutCancel(ctx))
	cfg.Logger = log
	// Every node would otherwise take every behind tenant to migrate it:
	// tenants catch up when their owner opens them.
	cfg.NoConverge = true
	cfg.Collectors = append(cfg.Collectors, rt.Collectors()...)
	var wrapErr error
	cfg.Wrap = func(inner http.Handler) http.Handler {
		h, err := rt.Handler(p, inner)
		if err != nil {
			wrapErr = err
			return inner
		}
		return h
	}
	srv := server.New(p, rt.Keys(), cfg)
	if wrapErr != nil {
		return wrapErr
	}
	fmt.Fprintf(a.stderr, "cinch serve: %s\n", rt)
	fmt.Fprintf(a.stderr, "cinch serve: listening on %s://%s (cluster node %s, folder %s)\n", scheme, ln.Addr(), f.node, dir)
	err = srv.Serve(ctx, ln)
	fmt.Fprintln(a.stderr, "cinch serve: stopped")
	return err
}
