// Command schema_changes is the Go version of "How It Works: Schema
// Synchronization" and "Common Pitfalls: 3. Schema Drift" in the
// multi-tenancy concept document.
//
// The CLI snippet
//
//	cinch column add users phone:TEXT
//
// is ColumnService.Add with the column parsed by cinch.ParseColumnSpec: the
// change is recorded in the branch's changes.json and applied to every
// tenant (main.db, acme_corp.db, wayne_ent.db, stark_ind.db, ...). Changing
// a tenant's schema any other way is refused.
//
//	go run ./examples/schema_changes [DIR]
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

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
	name, _ := cinch.ParseColumnSpec("name:TEXT")
	if _, err := db.Tables().Create(ctx, "users", []cinch.Column{name}); err != nil {
		return err
	}
	for _, t := range []string{"acme_corp", "wayne_ent", "stark_ind"} {
		if _, err := db.Tenants().Create(ctx, t, cinch.TenantCreateOptions{}); err != nil {
			return err
		}
		if _, err := db.SwitchTenant(t).Insert(ctx, "users", cinch.Record{"name": "someone at " + t}); err != nil {
			return err
		}
	}
	// A lazy tenant has no file yet; it gets the new column when it does.
	if _, err := db.Tenants().Create(ctx, "lazy_ltd", cinch.TenantCreateOptions{Lazy: true}); err != nil {
		return err
	}

	// cinch column add users phone:TEXT
	phone, err := cinch.ParseColumnSpec("phone:TEXT")
	if err != nil {
		return err
	}
	change, err := db.Columns().Add(ctx, "users", phone)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "recorded change %s on users\n", change.Type)

	// Every tenant has the column, and can use it at once.
	tenants, err := db.Tenants().List(ctx)
	if err != nil {
		return err
	}
	for _, t := range tenants {
		tdb := db.SwitchTenant(t.Name)
		res, err := tdb.Query(ctx, "SELECT * FROM users LIMIT 0")
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%-10s users has phone: %t\n", t.Name, slices.Contains(res.Columns, "phone"))
	}
	if _, err := db.SwitchTenant("acme_corp").Query(ctx, "UPDATE users SET phone = ?", "+1 555 0100"); err != nil {
		return err
	}

	// The engine's check compares each tenant's schema version with the
	// branch's: no drift.
	checks, err := db.Fleet().Check(ctx, cinch.FleetOptions{})
	if err != nil {
		return err
	}
	drift := 0
	for _, c := range checks {
		if c.Drift || !c.OK {
			drift++
		}
	}
	fmt.Fprintf(out, "tenants checked: %d, with drift or damage: %d\n", len(checks), drift)

	// Pitfall: schema drift. The seed's "bad" way is ALTER TABLE on one
	// tenant's file. Through cinch that is refused, and the error says
	// which tracked command to use instead.
	_, err = db.SwitchTenant("acme_corp").Query(ctx, "ALTER TABLE users ADD COLUMN fax TEXT")
	if !errors.Is(err, cinch.ErrQueryRejected) {
		return fmt.Errorf("ALTER TABLE through a query: got %v, want it rejected", err)
	}
	fmt.Fprintf(out, "ALTER TABLE through a query: %v\n", err)
	return nil
}
