package server_test

import (
	"testing"

	"github.com/cinchdb/cinch/server"
)

// A single server knows the cluster routes (they are in its OpenAPI
// document, tagged cluster) and answers each with not_implemented, saying
// how to start a cluster node; keys are still checked first.
func TestClusterRoutesOnSingleServer(t *testing.T) {
	e := newEnv(t, server.Config{})
	doc, _ := fetchDoc(t, e)
	routes := []struct {
		method, path string
		body         any
		op           string
	}{
		{"POST", "/v1/cluster/init", nil, "initCluster"},
		{"GET", "/v1/cluster/status", nil, "getClusterStatus"},
		{"POST", "/v1/cluster/move", map[string]any{"tenant": "acme", "to": "n2"}, "moveTenantToNode"},
		{"POST", "/v1/cluster/drain", map[string]any{"node": "n2"}, "drainNode"},
		{"POST", "/v1/cluster/undrain", map[string]any{"node": "n2"}, "undrainNode"},
	}
	for _, rt := range routes {
		op := doc.Paths[rt.path][map[string]string{"GET": "get", "POST": "post"}[rt.method]]
		if op == nil || op["operationId"] != rt.op {
			t.Errorf("%s %s: OpenAPI operation %v, want %s", rt.method, rt.path, op["operationId"], rt.op)
		} else if tags, _ := op["tags"].([]any); len(tags) != 1 || tags[0] != "cluster" {
			t.Errorf("%s %s: tags %v, want [cluster]", rt.method, rt.path, tags)
		}
		r := e.do(rt.method, rt.path, e.keys["full"], rt.body)
		if r.status != 501 || r.code != "not_implemented" || r.msg != server.NotClusterMessage {
			t.Errorf("%s %s: got %v, want 501 not_implemented %q", rt.method, rt.path, r, server.NotClusterMessage)
		}
		if rt.path != "/v1/cluster/init" {
			if r := e.do(rt.method, rt.path, "", rt.body); r.status != 401 {
				t.Errorf("%s %s without a key: got %v, want 401", rt.method, rt.path, r)
			}
		}
	}
	// Moves and drains need a key without scope limits, as on a cluster.
	if r := e.do("POST", "/v1/cluster/drain", e.keys["tenant_acme"], map[string]any{"node": "n2"}); r.status != 403 {
		t.Errorf("drain with a tenant key: got %v, want 403", r)
	}
}
