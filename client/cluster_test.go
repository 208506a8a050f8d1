package client_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/apikey"
	"github.com/cinchdb/cinch/client"
	"github.com/cinchdb/cinch/local"
	"github.com/cinchdb/cinch/server"
)

// Every cluster call against a single server fails with ErrNotImplemented,
// and the message says how to start a cluster node. (The calls against a
// real cluster are covered by cmd/cinch's TestCluster* process tests.)
func TestClusterCallsOnSingleServer(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := local.Init(ctx, dir, ""); err != nil {
		t.Fatal(err)
	}
	p, err := local.Open(ctx, local.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	_, key, err := apikey.ForProject(p).Create(ctx, apikey.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(server.New(p, apikey.ForProject(p), server.Config{}).Handler())
	defer ts.Close()
	c, err := client.New(ts.URL, key)
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]func() error{
		"init":    func() error { _, _, err := c.ClusterInit(ctx); return err },
		"status":  func() error { _, err := c.ClusterStatus(ctx); return err },
		"move":    func() error { _, err := c.ClusterMove(ctx, cinch.Target{Tenant: "main"}, "n2"); return err },
		"drain":   func() error { return c.ClusterDrain(ctx, "n2", true) },
		"undrain": func() error { return c.ClusterDrain(ctx, "n2", false) },
	}
	for name, call := range calls {
		err := call()
		if !errors.Is(err, cinch.ErrNotImplemented) || !strings.Contains(err.Error(), "cinch serve --cluster") {
			t.Errorf("%s: %v, want not_implemented naming cinch serve --cluster", name, err)
		}
	}
}
