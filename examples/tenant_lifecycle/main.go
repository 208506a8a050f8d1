// Command tenant_lifecycle is the Go version of "Tenant Lifecycle" in the
// multi-tenancy concept document: creation, data operations (insert, query,
// update, delete) and deletion of a tenant, on a local handle. The remote
// side of the seed's `db.is_local` is examples/remote.
//
// CLI equivalents:
//
//	cinch tenant create customer_name
//	cinch tenant delete old_customer --force
//
// Run it with:
//
//	go run ./examples/tenant_lifecycle [DIR]
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
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

func run(ctx context.Context, dir string, out io.Writer) error {
	return runWithClock(ctx, dir, out, time.Now)
}

func runWithClock(ctx context.Context, dir string, out io.Writer, now func() time.Time) error {
	if err := local.Init(ctx, dir, "myapp"); err != nil {
		return err
	}
	p, err := local.Open(ctx, local.Config{Dir: dir})
	if err != nil {
		return err
	}
	defer p.Close(ctx)
	db, err := p.Connect(cinch.Target{Database: "myapp"})
	if err != nil {
		return err
	}
	if err := createSchema(ctx, db); err != nil {
		return err
	}

	// 1. Creation. Managing tenants is a local operation in the seed. A
	// remote handle (client.New(url, key).Connect(target), IsLocal() false)
	// runs the same data operations through a cinch server: see
	// examples/remote.
	if db.IsLocal() {
		info, err := db.Tenants().Create(ctx, "customer_name", cinch.TenantCreateOptions{})
		if err != nil {
			return err
		}
		// A new SQLite file with the current schema, ready for use.
		fmt.Fprintf(out, "created %s: state=%s schema_version=%d\n", info.Name, info.State, info.SchemaVersion)
	}

	// 2. Data operations, all scoped to the tenant.
	tenantDB := db.SwitchTenant("customer_name")

	// Insert data: the stored record comes back with id and timestamps.
	alice, err := tenantDB.Insert(ctx, "users", cinch.Record{"name": "Alice", "email": "alice@customer.com"})
	if err != nil {
		return err
	}
	userID := alice["id"].(string)
	fmt.Fprintf(out, "inserted user %s (id set: %t, last_login: %v)\n", alice["name"], userID != "", alice["last_login"])
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
	fmt.Fprintf(out, "pending orders: %d (amount %v)\n", len(results.Rows), results.Value(0, "amount"))

	// Update data: last_login is a TEXT column holding cinch's time format.
	updated, err := tenantDB.Update(ctx, "users", userID, cinch.Record{"last_login": now().UTC().Format(cinch.TimeFormat)})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "updated last_login: %v\n", updated["last_login"])

	// Delete data: returns how many rows existed.
	n, err := tenantDB.Delete(ctx, "sessions", session["id"].(string))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "deleted sessions: %d\n", n)
	// Update of a missing id is a clear not-found error.
	if _, err := tenantDB.Update(ctx, "users", "no-such-id", cinch.Record{"name": "x"}); !errors.Is(err, cinch.ErrRowNotFound) {
		return fmt.Errorf("update of missing row: got %v, want ErrRowNotFound", err)
	}

	// 4. Deletion: removes the tenant's file and all its data.
	if _, err := db.Tenants().Create(ctx, "old_customer", cinch.TenantCreateOptions{}); err != nil {
		return err
	}
	if _, err := db.SwitchTenant("old_customer").Insert(ctx, "users", cinch.Record{"name": "Gone"}); err != nil {
		return err
	}
	if db.IsLocal() {
		if err := db.Tenants().Delete(ctx, "old_customer"); err != nil {
			return err
		}
	}
	_, err = db.SwitchTenant("old_customer").Query(ctx, "SELECT * FROM users")
	fmt.Fprintf(out, "old_customer after delete: %s\n", cinch.Code(err))
	// Tenant main cannot be deleted.
	err = db.Tenants().Delete(ctx, cinch.DefaultTenant)
	fmt.Fprintf(out, "deleting main: %s\n", cinch.Code(err))
	return nil
}

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
