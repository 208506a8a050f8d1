package client

import (
	"context"
	"net/http"

	"github.com/cinchdb/cinch"
)

// ClusterNode is one node of a cluster as GET /v1/cluster/status shows it:
// alive, draining, tenants owned, writes/s, control log lag, tenants
// catching up, log tail and snapshot age (see cinch.ClusterNode).
type ClusterNode = cinch.ClusterNode

// ClusterInit creates a new cluster's admin API key (POST /v1/cluster/init,
// no key needed). It works once per cluster: later calls fail with
// cinch.ErrConflict. A server that is not a cluster node answers
// cinch.ErrNotImplemented, as it does for every cluster call.
func (c *Client) ClusterInit(ctx context.Context) (id, key string, err error) {
	var out cinch.ClusterAdminKey
	if err := c.do(ctx, http.MethodPost, "/v1/cluster/init", nil, &out); err != nil {
		return "", "", err
	}
	return out.ID, out.Key, nil
}

// ClusterStatus lists the cluster's nodes (GET /v1/cluster/status).
func (c *Client) ClusterStatus(ctx context.Context) ([]ClusterNode, error) {
	var out cinch.ClusterNodes
	if err := c.do(ctx, http.MethodGet, "/v1/cluster/status", nil, &out); err != nil {
		return nil, err
	}
	return out.Nodes, nil
}

// ClusterMove moves a tenant (of main/main unless target names a database
// and branch) to node to, and returns how long requests on it waited
// (POST /v1/cluster/move; the admin key).
func (c *Client) ClusterMove(ctx context.Context, target cinch.Target, to string) (pause string, err error) {
	in := map[string]string{"database": target.Database, "branch": target.Branch, "tenant": target.Tenant, "to": to}
	var out cinch.TenantMove
	if err := c.do(ctx, http.MethodPost, "/v1/cluster/move", in, &out); err != nil {
		return "", err
	}
	return out.Pause, nil
}

// ClusterDrain marks node as draining (it hands its tenants to the other
// nodes and takes no new ones), or undrains it (POST /v1/cluster/drain,
// /v1/cluster/undrain; the admin key).
func (c *Client) ClusterDrain(ctx context.Context, node string, drain bool) error {
	path := "/v1/cluster/undrain"
	if drain {
		path = "/v1/cluster/drain"
	}
	return c.do(ctx, http.MethodPost, path, map[string]string{"node": node}, nil)
}
