// Command archive is the Go version of "Scaling Patterns: 3. Active/Archive
// Pattern" in the multi-tenancy concept document: find the tenants without
// activity for a year and move them out of the serving set, then bring one
// back.
//
// The seed moves the tenant's SQLite file by hand (shutil.move) and marks
// it archived in its own registry. Do not do that with cinch: the branch's
// tenant registry, open handles and schema rollouts all know about the
// file. The engine does it instead:
//
//   - db.Fleet().InactiveSince(ctx, cutoff) lists the served tenants whose
//     files were last written before cutoff (a lazy tenant, which has no
//     file, counts from its creation time);
//   - db.Fleet().Archive checkpoints the tenant, compresses its file into
//     branches/<branch>/archive/<tenant>.db.zst, marks it archived and
//     removes the live file. An archived tenant is refused
//     (cinch.ErrTenantArchived) and fan-out queries skip it;
//   - db.Fleet().Restore checks the archive's integrity, applies the schema
//     changes made while it was archived, and serves it again.
//
// CLI equivalents: cinch tenant archive NAME, cinch tenant restore NAME.
//
//	go run ./examples/archive [DIR]
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
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

// InactiveAfter is how long a tenant may go without writes before it is archived.
const InactiveAfter = 365 * 24 * time.Hour

// ArchiveInactiveTenants archives every served tenant not written since
// InactiveAfter before now, and returns their names. Tenant main is never
// archived (Archive refuses it with cinch.ErrProtected).
func ArchiveInactiveTenants(ctx context.Context, db *local.DB, now time.Time) ([]string, error) {
	inactive, err := db.Fleet().InactiveSince(ctx, now.Add(-InactiveAfter))
	if err != nil {
		return nil, err
	}
	var archived []string
	for _, t := range inactive {
		if t.Name == cinch.DefaultTenant {
			continue
		}
		if err := db.Fleet().Archive(ctx, t.Name); err != nil {
			return archived, fmt.Errorf("archive %s: %w", t.Name, err)
		}
		archived = append(archived, t.Name)
	}
	return archived, nil
}

func run(ctx context.Context, dir string, out io.Writer) error {
	return runWithClock(ctx, dir, out, time.Now)
}

// lastWrites is how long ago each tenant was last written in the demo.
var lastWrites = map[string]int{"main": 0, "active_customer": 10, "old_customer": 400}

// runWithClock runs the example with now as the current time. The engine
// stamps rows and tenant creation times from local.Config.Now; the setup
// moves that clock back to create a tenant 500 days ago. Activity is the
// tenant files' modification time, so the demo ages the files with
// os.Chtimes (a stand-in for a year without writes; never needed in an
// application).
func runWithClock(ctx context.Context, dir string, out io.Writer, now func() time.Time) error {
	var setAt time.Time // while non-zero, the engine's clock reads this
	clock := func() time.Time {
		if !setAt.IsZero() {
			return setAt
		}
		return now()
	}
	if err := local.Init(ctx, dir, "myapp"); err != nil {
		return err
	}
	p, err := local.Open(ctx, local.Config{Dir: dir, Now: clock})
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
	for _, tenant := range []string{"old_customer", "active_customer"} {
		if err := addCustomer(ctx, db, tenant); err != nil {
			return err
		}
	}
	// A sign-up that never wrote anything: lazy, no file, 500 days old.
	setAt = now().AddDate(0, 0, -500)
	if _, err := db.Tenants().Create(ctx, "never_used", cinch.TenantCreateOptions{Lazy: true}); err != nil {
		return err
	}
	setAt = time.Time{}
	for tenant, daysAgo := range lastWrites {
		if err := ageFiles(tenantFile(dir, tenant), now().AddDate(0, 0, -daysAgo)); err != nil {
			return err
		}
	}

	archived, err := ArchiveInactiveTenants(ctx, db, now())
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "archived: %v\n", archived)
	if fi, err := os.Stat(filepath.Join(branchDir(dir), "archive", "old_customer.db.zst")); err == nil {
		_, live := os.Stat(tenantFile(dir, "old_customer"))
		fmt.Fprintf(out, "old_customer: archive/old_customer.db.zst (%t), live file removed (%t)\n", fi.Size() > 0, errors.Is(live, os.ErrNotExist))
	}

	// An archived tenant is not served...
	_, err = db.SwitchTenant("old_customer").Query(ctx, "SELECT * FROM users")
	fmt.Fprintf(out, "query old_customer: %s\n", cinch.Code(err))
	info, err := db.Tenants().Info(ctx, "old_customer")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "old_customer state: %s\n", info.State)
	// ...and fan-out queries skip it.
	results, err := db.Fleet().Query(ctx, cinch.FanOutOptions{}, "SELECT COUNT(*) AS count FROM orders")
	if err != nil {
		return err
	}
	fmt.Fprint(out, "orders per served tenant:")
	for _, r := range results {
		if r.Err != nil {
			return fmt.Errorf("tenant %s: %w", r.Tenant, r.Err)
		}
		fmt.Fprintf(out, " %s=%d", r.Tenant, r.Result.Value(0, "count"))
	}
	fmt.Fprintln(out)

	// The schema moves on while the tenant sleeps; Restore catches it up.
	phone, _ := cinch.ParseColumnSpec("phone:TEXT")
	if _, err := db.Columns().Add(ctx, "users", phone); err != nil {
		return err
	}
	if err := db.Fleet().Restore(ctx, "old_customer"); err != nil {
		return err
	}
	old := db.SwitchTenant("old_customer")
	res, err := old.Query(ctx, "SELECT id, email, phone, (SELECT SUM(amount) FROM orders) AS total FROM users")
	if err != nil {
		return err
	}
	r := res.Record(0) // one table's columns: names are unique
	fmt.Fprintf(out, "restored old_customer: %s, phone=%v, orders total %v\n", r["email"], r["phone"], r["total"])
	// It is an ordinary tenant again, with the new column.
	u, err := old.Update(ctx, "users", r["id"].(string), cinch.Record{"phone": "+1 555 0100"})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "old_customer phone set: %v\n", u["phone"])
	return nil
}

func branchDir(dir string) string {
	return filepath.Join(dir, ".cinchdb", "databases", "myapp", "branches", "main")
}

func tenantFile(dir, tenant string) string {
	return filepath.Join(branchDir(dir), "tenants", tenant+".db")
}

// ageFiles sets the modification time of a tenant's db and WAL files.
func ageFiles(path string, at time.Time) error {
	for _, f := range []string{path, path + "-wal"} {
		if err := os.Chtimes(f, at, at); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// createSchema makes the customers' tables.
func createSchema(ctx context.Context, db cinch.DB) error {
	for _, t := range []struct {
		name  string
		specs []string
	}{
		{"users", []string{"name:TEXT", "email:TEXT"}},
		{"orders", []string{"user_id:TEXT:fk=users", "amount:REAL"}},
	} {
		cols := make([]cinch.Column, 0, len(t.specs))
		for _, s := range t.specs {
			c, err := cinch.ParseColumnSpec(s)
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

// addCustomer creates a tenant with a user and two orders.
func addCustomer(ctx context.Context, db cinch.DB, tenant string) error {
	if _, err := db.Tenants().Create(ctx, tenant, cinch.TenantCreateOptions{}); err != nil {
		return err
	}
	t := db.SwitchTenant(tenant)
	u, err := t.Insert(ctx, "users", cinch.Record{"name": "Owner", "email": "owner@" + tenant + ".example"})
	if err != nil {
		return err
	}
	_, err = t.InsertMany(ctx, "orders", []cinch.Record{
		{"user_id": u["id"], "amount": 10.0},
		{"user_id": u["id"], "amount": 2.5},
	})
	return err
}
