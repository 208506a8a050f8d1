package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/client"
)

// clusterCommand is `cinch cluster`: a cluster's set-up and state, through
// any of its nodes (--server).
func (a *app) clusterCommand() *cobra.Command {
	c := &cobra.Command{
		Use:   "cluster",
		Short: "Set up and inspect a cluster of cinch serve --cluster nodes (--server any node)",
		Long: `cluster talks to a node of a cluster (docs/cluster.md) given with --server URL
or CINCH_SERVER. Start the nodes with cinch serve --cluster (see make cluster),
then run cluster init once: it prints the admin API key on its last line.`,
		Example: `  make cluster
  cinch cluster init --server http://127.0.0.1:8081
  cinch cluster status --server http://127.0.0.1:8082 --api-key cinch_...`,
	}
	c.AddCommand(a.clusterInitCommand(), a.clusterStatusCommand(), a.clusterMoveCommand(),
		a.clusterDrainCommand(true), a.clusterDrainCommand(false))
	return c
}

// clusterClient is a client for --server, with --api-key when given.
func (a *app) clusterClient(needKey bool) (*client.Client, error) {
	url := a.flagOrEnv(a.server, EnvServer)
	if url == "" {
		return nil, usageErrorf("give a node of the cluster with --server URL (or " + EnvServer + ")")
	}
	key := a.flagOrEnv(a.apiKey, EnvAPIKey)
	if needKey && key == "" {
		return nil, &cinch.Error{Err: cinch.ErrUnauthorized, Message: "no API key given",
			Hint: "pass --api-key KEY or set " + EnvAPIKey + " (cinch cluster init printed the admin key)"}
	}
	return client.New(url, key)
}

func (a *app) clusterInitCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "init",
		Short: "Initialize a new cluster: prints its admin API key alone on the last line",
		Long: `init creates the cluster's admin API key, once per cluster, and prints it alone
on the last line (it is shown only now; --format json gives {"id":...,"key":...}).
Every node answers with the same keys.`,
		Example: "  cinch cluster init --server http://127.0.0.1:8081",
		Args:    noArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.clusterClient(false)
			if err != nil {
				return err
			}
			id, key, err := c.ClusterInit(cmd.Context())
			if err != nil {
				return err
			}
			if a.format == FormatJSON {
				return writeJSON(a.stdout, map[string]string{"id": id, "key": key})
			}
			a.note("Cluster initialized. Admin API key %s (shown once; keep it safe):", id)
			_, err = fmt.Fprintln(a.stdout, key)
			return err
		},
	}
}

func (a *app) clusterStatusCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "List the cluster's nodes: alive, draining, tenants owned, writes/s, log lag, snapshot age",
		Long: `status lists every node that sent a heartbeat, as its last heartbeat (at most
a second old) shows it:

  tenants_owned   tenants it owns
  writes_per_sec  commits it appended to its tenants' logs per second, over the last 10 s
  control_lag     control log entries (schema changes, tenant registry) it has not
                  applied yet, and the age of the oldest of them
  catching_up     owned tenants being rebuilt, or refusing writes until rebuilt
  log_tail        log records of its tenants past their snapshots (what a rebuild replays)
  snapshot_age    age of the oldest snapshot among its tenants (taken on release)

--format json gives every field (docs/cluster.md, "Status").`,
		Example: "  cinch cluster status --server http://127.0.0.1:8081\n  cinch cluster status --format json",
		Args:    noArgs(),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.clusterClient(true)
			if err != nil {
				return err
			}
			nodes, err := c.ClusterStatus(context.WithoutCancel(cmd.Context()))
			if err != nil {
				return err
			}
			if nodes == nil {
				nodes = []client.ClusterNode{}
			}
			cols := []string{"name", "addr", "alive", "draining", "tenants_owned", "writes_per_sec", "control_lag", "catching_up", "log_tail", "snapshot_age"}
			return emitList(a, nodes, cols, func(n client.ClusterNode) []string {
				lag := strconv.FormatUint(n.ControlLag, 10)
				if n.ControlLag > 0 {
					lag += " (" + secondsText(n.ControlLagSeconds) + ")"
				}
				age := "-"
				if n.SnapshotAgeSeconds > 0 {
					age = secondsText(n.SnapshotAgeSeconds)
				}
				return []string{n.Name, n.Addr, strconv.FormatBool(n.Alive), strconv.FormatBool(n.Draining), strconv.Itoa(n.TenantsOwned),
					strconv.FormatFloat(n.WritesPerSec, 'f', 1, 64), lag, strconv.Itoa(n.TenantsCatchingUp), strconv.FormatUint(n.LogTail, 10), age}
			})
		},
	}
}

func (a *app) clusterMoveCommand() *cobra.Command {
	var to string
	c := &cobra.Command{
		Use:   "move TENANT --to NODE",
		Short: "Move a tenant to another node: requests on it wait while it moves, none fail",
		Long: `move hands a tenant from its owner to NODE: the owner lets the requests in flight
finish, snapshots the tenant and hands its lease over; NODE rebuilds the file and
takes it. Requests that arrive meanwhile wait, then go to NODE. The tenant is in
--database/--branch (main by default). Needs the admin key.`,
		Example: "  cinch cluster move acme_corp --to n2",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if to == "" {
				return usageErrorf("give the target node with --to NODE")
			}
			c, err := a.clusterClient(true)
			if err != nil {
				return err
			}
			db := a.flagOrEnv(a.database, EnvDatabase)
			br := a.flagOrEnv(a.branch, EnvBranch)
			pause, err := c.ClusterMove(cmd.Context(), cinch.Target{Database: db, Branch: br, Tenant: args[0]}, to)
			if err != nil {
				return err
			}
			return a.done(map[string]string{"tenant": args[0], "to": to, "pause": pause}, "Moved tenant %s to node %s (requests waited %s)", args[0], to, pause)
		},
	}
	c.Flags().StringVar(&to, "to", "", "the node to move the tenant to (see cinch cluster status)")
	return c
}

func (a *app) clusterDrainCommand(drain bool) *cobra.Command {
	use, short, verb := "drain NODE", "Move every tenant off NODE and stop it taking new ones (maintenance)", "draining"
	if !drain {
		use, short, verb = "undrain NODE", "Let a drained NODE take tenants again", "taking tenants again"
	}
	return &cobra.Command{
		Use:     use,
		Short:   short,
		Example: "  cinch cluster " + strings.Fields(use)[0] + " n3",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.clusterClient(true)
			if err != nil {
				return err
			}
			if err := c.ClusterDrain(cmd.Context(), args[0], drain); err != nil {
				return err
			}
			return a.done(map[string]any{"node": args[0], "draining": drain}, "Node %s is %s (see cinch cluster status)", args[0], verb)
		},
	}
}

// secondsText shows a number of seconds as a duration (1.5s, 2m3s).
func secondsText(secs float64) string {
	return time.Duration(secs * float64(time.Second)).Round(100 * time.Millisecond).String()
}
