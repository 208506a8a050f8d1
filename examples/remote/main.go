// Command remote is the other side of `db.is_local` in "Tenant Lifecycle"
// of the multi-tenancy concept document: the same data operations as
// examples/tenant_lifecycle, run through a cinch server instead of on the
// local files. The application code takes a cinch.DB and does not change;
// only how the handle is made does.
//
// The example serves its own project: server.New on 127.0.0.1 (a free
// port) with API keys from (*local.Project).CreateKey, and talks to it with
// client.New + Connect, whose handles satisfy cinch.DB. Errors cross the
// wire as the same sentinels, so errors.Is(err, cinch.ErrTenantNotFound)
// works remotely, and a key scoped to one tenant is refused on any other
// with cinch.ErrForbidden.
//
// CLI equivalents: cinch key create --tenant customer_name, cinch serve.
//
//	go run ./examples/remote [DIR]
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/apikey"
	"github.com/cinchdb/cinch/client"
	"github.com/cinchdb/cinch/local"
	"github.com/cinchdb/cinch/server"
)

func main() {
	dir, cleanup, err := projectDir()
	if err == nil {
		err = run(context.Background(), dir, os.Stdout)
		cleanup()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// projectDir returns os.Args[1] or a fresh temporary folder (removed by cleanup).
func projectDir() (string, func(), error) {
	if len(os.Args) > 1 {
		return os.Args[1], func() {}, nil
	}
	dir, err := os.MkdirTemp("", "cinch-example-*")
	return dir, func() { os.RemoveAll(dir) }, err
}

// DataOperations is "Tenant Lifecycle: 2. Data Operations" on any handle,
// local or remote: insert, query, update and delete on its tenant, writing
// a line per step to out.
func DataOperations(ctx context.Context, tenantDB cinch.DB, out io.Writer) error {
	// Insert data.
	alice, err := tenantDB.Insert(ctx, "users", cinch.Record{"name": "Alice", "email": "alice@customer.com"})
	if err != nil {
		return err
	}
	userID := alice["id"].(string)
	fmt.Fprintf(out, "  inserted user %s (id set: %t)\n", alice["name"], userID != "")
	if _, err := tenantDB.InsertMany(ctx, "orders", []cinch.Record{
		{"user_id": userID, "status": "pending", "amount": 12.5},
		{"user_id": userID, "status": "shipped", "amount": 40.0},
	}); err != nil {
		return err
	}
	session, err := tenantDB.Insert(ctx, "sessions", cinch.Record{"user_id": userID})
	if err != nil {
		return err
	}
	// Query data.
	results, err := tenantDB.Query(ctx, "SELECT * FROM orders WHERE status = ?", "pending")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  pending orders: %d (amount %v)\n", len(results.Rows), results.Value(0, "amount"))
	// Update data.
	updated, err := tenantDB.Update(ctx, "users", userID, cinch.Record{"last_login": "2025-03-04T05:06:07.000Z"})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  updated last_login: %v\n", updated["last_login"])
	// Delete data.
	n, err := tenantDB.Delete(ctx, "sessions", session["id"].(string))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  deleted sessions: %d\n", n)
	_, err = tenantDB.Update(ctx, "users", "no-such-id", cinch.Record{"name": "x"})
	fmt.Fprintf(out, "  update of a missing row: %s (%t)\n", cinch.Code(err), errors.Is(err, cinch.ErrRowNotFound))
	return nil
}

func run(ctx context.Context, dir string, out io.Writer) error {
	if err := local.Init(ctx, dir, "myapp"); err != nil {
		return err
	}
	p, err := local.Open(ctx, local.Config{Dir: dir})
	if err != nil {
		return err
	}
	defer p.Close(ctx)
	admin, err := p.Connect(cinch.Target{Database: "myapp"})
	if err != nil {
		return err
	}
	if err := createSchema(ctx, admin); err != nil {
		return err
	}
	// 1. Creation stays local here (the seed's `if db.is_local:`).
	if admin.IsLocal() {
		if _, err := admin.Tenants().Create(ctx, "customer_name", cinch.TenantCreateOptions{}); err != nil {
			return err
		}
	}

	// API keys: one for any tenant, one for customer_name only. The secret
	// is shown once; cinch stores only its hash.
	keys := apikey.ForProject(p)
	defer keys.Close()
	_, fullKey, err := keys.Create(ctx, apikey.Spec{Database: "myapp"})
	if err != nil {
		return err
	}
	_, tenantKey, err := keys.Create(ctx, apikey.Spec{Database: "myapp", Tenant: "customer_name"})
	if err != nil {
		return err
	}

	url, stop, err := Serve(ctx, p)
	if err != nil {
		return err
	}
	defer stop()

	// 2. The same data operations, remotely.
	c, err := client.New(url, fullKey)
	if err != nil {
		return err
	}
	var db cinch.DB = c.Connect(cinch.Target{Database: "myapp", Tenant: "customer_name"})
	fmt.Fprintf(out, "remote handle: is_local=%t\n", db.IsLocal())
	if err := DataOperations(ctx, db, out); err != nil {
		return err
	}
	// The server wrote the local files: the local handle sees the rows.
	res, err := admin.WithTenant("customer_name").Query(ctx, "SELECT (SELECT COUNT(*) FROM users) AS users, (SELECT COUNT(*) FROM orders) AS orders")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "local view of customer_name: %d user(s), %d order(s)\n", res.Value(0, "users"), res.Value(0, "orders"))

	// Errors keep their identity across the wire.
	_, err = db.SwitchTenant("old_customer").Query(ctx, "SELECT * FROM users")
	fmt.Fprintf(out, "remote query on old_customer: %s (ErrTenantNotFound: %t)\n", cinch.Code(err), errors.Is(err, cinch.ErrTenantNotFound))

	// A key scoped to one tenant reaches that tenant only.
	scoped, err := client.New(url, tenantKey)
	if err != nil {
		return err
	}
	own := scoped.Connect(cinch.Target{Database: "myapp", Tenant: "customer_name"})
	res, err = own.Query(ctx, "SELECT name FROM users")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "tenant key on customer_name: %d user(s)\n", len(res.Rows))
	_, err = own.SwitchTenant(cinch.DefaultTenant).Query(ctx, "SELECT * FROM users")
	fmt.Fprintf(out, "tenant key on main: %s (ErrForbidden: %t)\n", cinch.Code(err), errors.Is(err, cinch.ErrForbidden))
	// And a wrong key reaches nothing.
	bad, err := client.New(url, "cinch_0000000000000000_wrong")
	if err != nil {
		return err
	}
	_, err = bad.Connect(cinch.Target{Database: "myapp", Tenant: "customer_name"}).Query(ctx, "SELECT 1")
	fmt.Fprintf(out, "wrong key: %s\n", cinch.Code(err))
	return nil
}

// Serve serves the project on a free local port and returns its URL and a
// function that shuts the server down gracefully (in-flight requests
// finish). The listener is bound before Serve returns, so requests can be
// sent at once: there is nothing to wait for.
func Serve(ctx context.Context, p *local.Project) (url string, stop func() error, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := server.New(p, apikey.ForProject(p), server.Config{})
	sctx, cancel := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(sctx, ln) }()
	return "http://" + ln.Addr().String(), func() error {
		cancel()
		return <-served
	}, nil
}

// createSchema is examples/tenant_lifecycle's schema.
func createSchema(ctx context.Context, db cinch.DB) error {
	tables := []struct {
		name  string
		specs []string
	}{
		{"users", []string{"name:TEXT:not_null", "email:TEXT:unique", "last_login:TEXT"}},
		{"orders", []string{"user_id:TEXT:fk=users.cascade", "status:TEXT:not_null", "amount:REAL"}},
		{"sessions", []string{"user_id:TEXT:fk=users.cascade"}},
	}
	for _, t := range tables {
		cols := make([]cinch.Column, 0, len(t.specs))
		for _, spec := range t.specs {
			c, err := cinch.ParseColumnSpec(spec)
			if err != nil {
				return err
			}
			cols = append(cols, c)
		}
		if _, err := db.Tables().Create(ctx, t.name, cols); err != nil {
			return err
		}
	}
	return nil
}
