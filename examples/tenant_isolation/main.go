// Command tenant_isolation is the Go version of "Tenant Operations" in the
// multi-tenancy concept document: connect to one tenant of a database, query
// it (every statement sees only that tenant's file), then switch tenants.
//
//	go run ./examples/tenant_isolation [DIR]
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

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

// customers maps each tenant to the users it holds.
var customers = map[string][]string{
	"acme_corp": {"Alice", "Wile E."},
	"wayne_ent": {"Bruce", "Alfred"},
	"stark_ind": {"Tony"},
}

func run(ctx context.Context, dir string, out io.Writer) error {
	// Project, database "myapp", a users table and three customer tenants.
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
	name, _ := cinch.ParseColumnSpec("name:TEXT:not_null")
	email, _ := cinch.ParseColumnSpec("email:TEXT")
	if _, err := admin.Tables().Create(ctx, "users", []cinch.Column{name, email}); err != nil {
		return err
	}
	for _, tenant := range sortedKeys(customers) {
		if _, err := admin.Tenants().Create(ctx, tenant, cinch.TenantCreateOptions{}); err != nil {
			return err
		}
		t := admin.SwitchTenant(tenant)
		for _, u := range customers[tenant] {
			if _, err := t.Insert(ctx, "users", cinch.Record{"name": u}); err != nil {
				return err
			}
		}
	}

	// One SQLite file per tenant, as in the concept document's tree.
	files, err := filepath.Glob(filepath.Join(dir, ".cinchdb", "databases", "myapp", "branches", "main", "tenants", "*.db"))
	if err != nil {
		return err
	}
	fmt.Fprintln(out, ".cinchdb/databases/myapp/branches/main/tenants/")
	for _, f := range files {
		fmt.Fprintln(out, "  "+filepath.Base(f))
	}

	// db = cinchdb.connect("myapp", tenant="acme_corp")
	db, err := p.Connect(cinch.Target{Database: "myapp", Tenant: "acme_corp"})
	if err != nil {
		return err
	}
	// users = db.query("SELECT * FROM users")  # only acme_corp's users
	users, err := userNames(ctx, db)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "acme_corp users: %s\n", strings.Join(users, ", "))

	// wayne_db = db.switch_tenant("wayne_ent"): a new handle, no I/O.
	wayneDB := db.SwitchTenant("wayne_ent")
	users, err = userNames(ctx, wayneDB)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "wayne_ent users: %s\n", strings.Join(users, ", "))

	// Pitfall "Forgetting tenant context": no tenant means tenant main,
	// which holds none of the customers' rows.
	defaultDB, err := p.Connect(cinch.Target{Database: "myapp"})
	if err != nil {
		return err
	}
	users, err = userNames(ctx, defaultDB)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "main (default tenant) users: %d\n", len(users))

	// Switching does no I/O, so a tenant that does not exist fails on first use.
	_, err = userNames(ctx, db.SwitchTenant("no_such_customer"))
	if !errors.Is(err, cinch.ErrTenantNotFound) {
		return fmt.Errorf("expected tenant not found, got %v", err)
	}
	fmt.Fprintf(out, "no_such_customer: %v\n", err)
	return nil
}

// userNames returns the names in the users table of db's tenant.
func userNames(ctx context.Context, db cinch.DB) ([]string, error) {
	res, err := db.Query(ctx, "SELECT * FROM users ORDER BY name")
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(res.Rows))
	for i := range res.Rows {
		names = append(names, res.Value(i, "name").(string))
	}
	return names, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
