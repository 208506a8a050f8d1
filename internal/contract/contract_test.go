package contract_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/apikey"
	"github.com/cinchdb/cinch/client"
	"github.com/cinchdb/cinch/internal/contract"
	"github.com/cinchdb/cinch/local"
	"github.com/cinchdb/cinch/server"
)

func newProject(t *testing.T) *local.Project {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	if err := local.Init(ctx, dir, ""); err != nil {
		t.Fatal(err)
	}
	p, err := local.Open(ctx, local.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	return p
}

func TestContract_Local(t *testing.T) {
	contract.Run(t, func(t *testing.T) cinch.DB {
		db, err := newProject(t).Connect(cinch.Target{})
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
}

// TestContract_Remote runs the suite through the client against a real
// server on a loopback port.
func TestContract_Remote(t *testing.T) {
	contract.Run(t, func(t *testing.T) cinch.DB { return remoteDB(t) })
}

// remoteDB serves a new project on a loopback port and connects a client.
func remoteDB(t *testing.T) *client.DB {
	t.Helper()
	{
		p := newProject(t)
		_, key, err := apikey.ForProject(p).Create(context.Background(), apikey.Spec{})
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := server.New(p, apikey.ForProject(p), server.Config{})
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- srv.Serve(ctx, ln) }()
		t.Cleanup(func() {
			stop()
			if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
				t.Errorf("Serve: %v", err)
			}
		})
		c, err := client.New("http://"+ln.Addr().String(), key)
		if err != nil {
			t.Fatal(err)
		}
		return c.Connect(cinch.Target{})
	}
}

// An encrypted tenant over HTTP: created with its key in the header, served
// only to requests that carry the same key.
func TestEncryption_Remote(t *testing.T) {
	ctx := context.Background()
	db := remoteDB(t)
	col, _ := cinch.ParseColumnSpec("name:TEXT")
	if _, err := db.Tables().Create(ctx, "users", []cinch.Column{col}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Tenants().Create(ctx, "vault", cinch.TenantCreateOptions{Encrypt: true}); !errors.Is(err, cinch.ErrEncryptionKey) {
		t.Errorf("encrypt without key: %v", err)
	}
	if _, err := db.Tenants().Create(ctx, "vault", cinch.TenantCreateOptions{Encrypt: true, Key: "k1"}); err != nil {
		t.Fatal(err)
	}
	vault := db.Connect("vault")
	if _, err := vault.WithKey("k1").Insert(ctx, "users", cinch.Record{"name": "secret"}); err != nil {
		t.Fatal(err)
	}
	for _, h := range []*client.DB{vault, vault.WithKey("wrong")} {
		if _, err := h.Query(ctx, "SELECT * FROM users"); !errors.Is(err, cinch.ErrEncryptionKey) {
			t.Errorf("query without the right key: %v, want ErrEncryptionKey", err)
		}
	}
	res, err := vault.WithKey("k1").Query(ctx, "SELECT name FROM users")
	if err != nil || len(res.Rows) != 1 || res.Value(0, "name") != "secret" {
		t.Errorf("query with the key: %v %v", res, err)
	}
}
