package client

import (
	"context"
	"net/http"
	"time"

	"github.com/cinchdb/cinch"
)

// ClusterNode is one node of a cluster as GET /v1/cluster/status shows it.
type ClusterNode struct {
	Name           string    `json:"name"`
	Addr           string    `json:"addr"`
	Alive          bool      `json:"alive"`
	Draining       bool      `json:"draining"`
	TenantsOwned   int       `json:"tenants_owned"`
	ControlApplied uint64    `json:"control_applied"`
	ControlLag     uint64    `json:"control_lag"`
	At             time.Time `json:"at"`
}

// ClusterInit creates a new cluster's admin API key (POST /v1/cluster/init,
// no key needed). It works once per cluster: later calls fail with
// cinch.ErrConflict.
func (c *Client) ClusterInit(ctx context.Context) (id, key string, err error) {
	var out struct {
		ID  string `json:"id"`
		Key string `json:"key"`
	}
	if err := c.do(ctx, http.MethodPost, "/v1/cluster/init", nil, &out); err != nil {
		return "", "", err
	}
	return out.ID, out.Key, nil
}

// ClusterStatus lists the cluster's nodes (GET /v1/cluster/status).
func (c *Client) ClusterStatus(ctx context.Context) ([]ClusterNode, error) {
	var out struct {
		Nodes []ClusterNode `json:"nodes"`
	}
	if err := c.do(ctx, http.MethodGet, "/v1/cluster/status", nil, &out); err != nil {
		return nil, err
	}
	return out.Nodes, nil
}

// ClusterMove moves a tenant of the client's default database and branch
// (or those of target) to node to, and returns how long requests on it
// waited (POST /v1/cluster/move; the admin key).
func (c *Client) ClusterMove(ctx context.Context, target cinch.Target, to string) (pause string, err error) {
	in := map[string]string{"database": target.Database, "branch": target.Branch, "tenant": target.Tenant, "to": to}
	var out struct {
		Pause string `json:"pause"`
	}
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
