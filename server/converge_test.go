package server_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/apikey"
	"github.com/cinchdb/cinch/local"
	"github.com/cinchdb/cinch/server"
)

// Serve runs the engine's background converger: tenants left behind by a
// change that returned at its commit point are migrated while the server
// runs, and it stops before Serve returns. NoConverge runs none.
func TestServe_Converges(t *testing.T) {
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
	db, err := p.Connect(cinch.Target{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Tables().Create(cinch.WaitForRollout(ctx, nil), "items", []cinch.Column{{Name: "n", Type: cinch.TypeInteger, Nullable: true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Tenants().CreateMany(ctx, []string{"a", "b", "c"}, cinch.TenantCreateOptions{}); err != nil {
		t.Fatal(err)
	}
	behind := func() int {
		bi, err := p.BranchInfo(ctx, "main", "main")
		if err != nil {
			t.Fatal(err)
		}
		return bi.Behind
	}
	serve := func(cfg server.Config, fn func()) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		sctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- server.New(p, apikey.ForProject(p), cfg).Serve(sctx, ln) }()
		fn()
		stop()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}

	// Off: nothing converges.
	if _, err := db.Columns().Add(ctx, "items", cinch.Column{Name: "x", Type: cinch.TypeText, Nullable: true}); err != nil {
		t.Fatal(err)
	}
	if got := behind(); got != 4 {
		t.Fatalf("behind after the change = %d, want 4", got)
	}
	serve(server.Config{NoConverge: true}, func() {})
	if got := behind(); got != 4 {
		t.Errorf("behind after serving with NoConverge = %d, want 4", got)
	}

	// On: the engine's converger catches them all up while serving.
	serve(server.Config{}, func() {
		deadline := time.Now().Add(60 * time.Second)
		for behind() != 0 {
			if time.Now().After(deadline) {
				t.Fatalf("still %d behind", behind())
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}
