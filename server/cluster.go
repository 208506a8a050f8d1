package server

import (
	"github.com/cinchdb/cinch"
)

// The cluster routes (SPEC §8). A cluster node's router (cluster/router.go)
// answers them before this server sees the request; these entries put them
// in the route table, so the OpenAPI document and the clients know them, and
// a single server answers them with not_implemented.

// Request bodies of the cluster routes.
type (
	// TenantMoveRequest is the body of POST /v1/cluster/move.
	TenantMoveRequest struct {
		Database string `json:"database,omitempty"` // default main
		Branch   string `json:"branch,omitempty"`   // default main
		Tenant   string `json:"tenant"`
		To       string `json:"to"`
	}
	// NodeDrainRequest is the body of POST /v1/cluster/drain and
	// /v1/cluster/undrain.
	NodeDrainRequest struct {
		Node string `json:"node"`
	}
)

// NotClusterMessage is what a single server answers on a cluster route.
const NotClusterMessage = "this server is not in cluster mode; start it with cinch serve --cluster (docs/cluster.md)"

func clusterRoutes() []route {
	return []route{
		{method: "POST", path: "/v1/cluster/init", op: "initCluster", summary: "Create a new cluster's admin API key, once per cluster (no key needed)",
			access: public, write: true, resp: cinch.ClusterAdminKey{}, status: 200, handle: notCluster},
		{method: "GET", path: "/v1/cluster/status", op: "getClusterStatus", summary: "The cluster's nodes: alive, draining, tenants owned, writes/s, log lag, snapshot age",
			access: anyKey, resp: cinch.ClusterNodes{}, status: 200, handle: notCluster},
		{method: "POST", path: "/v1/cluster/move", op: "moveTenantToNode", summary: "Move a tenant to another node; requests on it wait while it moves",
			access: project, write: true, body: TenantMoveRequest{}, resp: cinch.TenantMove{}, status: 200, handle: notCluster},
		{method: "POST", path: "/v1/cluster/drain", op: "drainNode", summary: "Move every tenant off a node and stop it taking new ones",
			access: project, write: true, body: NodeDrainRequest{}, resp: cinch.NodeDrain{}, status: 200, handle: notCluster},
		{method: "POST", path: "/v1/cluster/undrain", op: "undrainNode", summary: "Let a drained node take tenants again",
			access: project, write: true, body: NodeDrainRequest{}, resp: cinch.NodeDrain{}, status: 200, handle: notCluster},
	}
}

// notCluster answers a cluster route on a server that is not a cluster node.
func notCluster(*call) (any, error) {
	return nil, &cinch.Error{Err: cinch.ErrNotImplemented, Message: NotClusterMessage}
}

func init() {
	for k, v := range map[string]fieldDoc{
		"TenantMoveRequest.database": {set: map[string]any{"default": cinch.DefaultDatabase, "description": "the tenant's database"}},
		"TenantMoveRequest.branch":   {set: map[string]any{"default": cinch.DefaultBranch, "description": "the tenant's branch"}},
		"TenantMoveRequest.to":       {set: map[string]any{"description": "the node to move the tenant to: alive and not draining (see getClusterStatus)"}},
		"NodeDrainRequest.node":      {set: map[string]any{"minLength": 1, "description": "the node's name (--node)"}},
		"TenantMove.pause":           {set: map[string]any{"description": "how long requests on the tenant waited while it moved, as a Go duration (\"42ms\")"}},
	} {
		fieldDocs[k] = v
	}
	for k, v := range map[string]string{
		"initCluster": "Works once per cluster (409 conflict afterwards); the key is shown only in this answer. " +
			"On a server not started with cinch serve --cluster every cluster route answers 501 not_implemented.",
		"getClusterStatus": "Each node's figures come from its last heartbeat (at most a second old). writes_per_sec averages the last 10 s; " +
			"control_lag counts control log entries (schema changes, tenant registry) the node has not applied, control_lag_seconds is the age of the oldest; " +
			"tenants_catching_up counts owned tenants being rebuilt or refusing writes until rebuilt; log_tail counts log records of owned tenants past their snapshots; " +
			"snapshot_age_seconds is the age of the oldest snapshot among owned tenants.",
		"moveTenantToNode": "Needs a key without scope limits (the admin key of cinch cluster init).",
		"drainNode":        "Needs a key without scope limits. The node hands its tenants to the other alive, undrained nodes within seconds.",
		"undrainNode":      "Needs a key without scope limits.",
	} {
		opDescriptions[k] = v
	}
	tagDescriptions["cluster"] = "A cluster of cinch serve --cluster nodes (SPEC §8): status, tenant moves, drain. A single server answers 501."
}
