package main

import (
	"bytes"
	"context"
	"errors"
	"github.com/google/go-cmp/cmp"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/apikey"
	"github.com/cinchdb/cinch/client"
	"github.com/cinchdb/cinch/local"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), t.TempDir(), &out); err != nil {
		t.Fatal(err)
	}
	want := "remote handle: is_local=false\n" +
		"  inserted user Alice (id set: true)\n" +
		"  pending orders: 1 (amount 12.5)\n" +
		"  updated last_login: 2025-03-04T05:06:07.000Z\n" +
		"  deleted sessions: 1\n" +
		"  update of a missing row: row_not_found (true)\n" +
		"local view of customer_name: 1 user(s), 2 order(s)\n" +
		"remote query on old_customer: tenant_not_found (ErrTenantNotFound: true)\n" +
		"tenant key on customer_name: 1 user(s)\n" +
		"tenant key on main: forbidden (ErrForbidden: true)\n" +
		"wrong key: unauthorized\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}

// serve sets up a project with the example's schema and tenants local_t
// and remote_t, serves it, and returns the local handle and the URL.
func serve(t *testing.T) (*local.Project, *local.DB, string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	if err := local.Init(ctx, dir, "myapp"); err != nil {
		t.Fatal(err)
	}
	p, err := local.Open(ctx, local.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(ctx) })
	db, err := p.Connect(cinch.Target{Database: "myapp"})
	if err != nil {
		t.Fatal(err)
	}
	if err := createSchema(ctx, db); err != nil {
		t.Fatal(err)
	}
	for _, tenant := range []string{"local_t", "remote_t"} {
		if _, err := db.Tenants().Create(ctx, tenant, cinch.TenantCreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	url, stop, err := Serve(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("server shutdown: %v", err)
		}
	})
	return p, db, url
}

func newClient(t *testing.T, p *local.Project, url string, spec apikey.Spec) *client.Client {
	t.Helper()
	_, secret, err := apikey.ForProject(p).Create(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(url, secret)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSameCodeBothWays runs DataOperations on a local and a remote handle:
// same output, same rows.
func TestSameCodeBothWays(t *testing.T) {
	ctx := context.Background()
	p, db, url := serve(t)
	c := newClient(t, p, url, apikey.Spec{})
	remote := c.Connect(cinch.Target{Database: "myapp", Tenant: "remote_t"})
	localDB := db.WithTenant("local_t")
	if !localDB.IsLocal() || remote.IsLocal() {
		t.Errorf("IsLocal: local %t, remote %t", localDB.IsLocal(), remote.IsLocal())
	}
	var lout, rout bytes.Buffer
	if err := DataOperations(ctx, localDB, &lout); err != nil {
		t.Fatal(err)
	}
	if err := DataOperations(ctx, remote, &rout); err != nil {
		t.Fatal(err)
	}
	if lout.String() != rout.String() {
		t.Errorf("local:\n%s\nremote:\n%s", lout.String(), rout.String())
	}
	const q = "SELECT u.name, u.email, u.last_login, o.status, o.amount FROM users u JOIN orders o ON o.user_id = u.id ORDER BY o.status"
	want, err := localDB.Query(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	for name, h := range map[string]cinch.DB{"local view of remote_t": db.WithTenant("remote_t"), "remote view of remote_t": remote} {
		got, err := h.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Rows) != 2 || len(got.Rows) != len(want.Rows) {
			t.Fatalf("%s: %v, want %v", name, got.Rows, want.Rows)
		}
		if diff := cmp.Diff(want.Columns, got.Columns); diff != "" {
			t.Errorf("%s columns (-want +got):\n%s", name, diff)
		}
		if diff := cmp.Diff(want.Rows, got.Rows); diff != "" {
			t.Errorf("%s rows (-want +got):\n%s", name, diff)
		}
	}
	// A constraint error crosses the wire as itself too.
	if _, err := remote.Insert(ctx, "users", cinch.Record{"name": "Dup", "email": "alice@customer.com"}); !errors.Is(err, cinch.ErrConstraint) {
		t.Errorf("duplicate email remotely: got %v, want ErrConstraint", err)
	}
	if _, err := remote.SwitchTenant("nobody").Insert(ctx, "users", cinch.Record{"name": "x"}); !errors.Is(err, cinch.ErrTenantNotFound) {
		t.Errorf("insert into unknown tenant: got %v, want ErrTenantNotFound", err)
	}
}

// TestTenantScopedKey checks a key for one tenant against every other
// tenant, for reads and writes, and that refused writes change nothing.
func TestTenantScopedKey(t *testing.T) {
	ctx := context.Background()
	p, db, url := serve(t)
	c := newClient(t, p, url, apikey.Spec{Tenant: "remote_t"})
	own := c.Connect(cinch.Target{Database: "myapp", Tenant: "remote_t"})
	if _, err := own.Insert(ctx, "users", cinch.Record{"name": "Mine"}); err != nil {
		t.Fatal(err)
	}
	for _, tenant := range []string{"local_t", cinch.DefaultTenant, "nobody"} {
		other := own.SwitchTenant(tenant)
		if _, err := other.Query(ctx, "SELECT * FROM users"); !errors.Is(err, cinch.ErrForbidden) {
			t.Errorf("query %s: got %v, want ErrForbidden", tenant, err)
		}
		if _, err := other.Insert(ctx, "users", cinch.Record{"name": "Intruder"}); !errors.Is(err, cinch.ErrForbidden) {
			t.Errorf("insert %s: got %v, want ErrForbidden", tenant, err)
		}
	}
	res, err := db.WithTenant("local_t").Query(ctx, "SELECT COUNT(*) AS n FROM users")
	if err != nil || res.Value(0, "n") != int64(0) {
		t.Errorf("local_t after refused writes: %v, %v", res, err)
	}
	// A revoked key stops working on the next request.
	keys, err := apikey.ForProject(p).List(ctx)
	if err != nil || len(keys) != 1 {
		t.Fatalf("keys: %v, %v", keys, err)
	}
	if err := apikey.ForProject(p).Revoke(ctx, keys[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := own.Query(ctx, "SELECT 1"); !errors.Is(err, cinch.ErrUnauthorized) {
		t.Errorf("revoked key: got %v, want ErrUnauthorized", err)
	}
}
