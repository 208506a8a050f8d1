package cli

import (
	"context"
	"fmt"
	"strconv"

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
	c.AddCommand(a.clusterInitCommand(), a.clusterStatusCommand())
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
		Use:     "status",
		Short:   "List the cluster's nodes: alive, tenants owned, control log lag",
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
			return emitList(a, nodes, []string{"name", "addr", "alive", "draining", "tenants_owned", "control_lag"}, func(n client.ClusterNode) []string {
				return []string{n.Name, n.Addr, strconv.FormatBool(n.Alive), strconv.FormatBool(n.Draining), strconv.Itoa(n.TenantsOwned), strconv.FormatUint(n.ControlLag, 10)}
			})
		},
	}
}
