package client

import (
	"context"
	"net/http"
	"time"
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
