// Command archive is the Go version of "Scaling Patterns: 3. Active/Archive
// Pattern" in the multi-tenancy concept document: find when a tenant was
// last active and, after a year without activity, move its data out of the
// serving set.
//
// The seed moves the tenant's SQLite file by hand (shutil.move). Do not do
// that with cinch: the branch's tenant registry, open handles and schema
// rollouts all know about the file. The public API has no archive call yet
// (cinch tenant archive/restore are in the CLI contract), so this example
// uses what exists: it exports every table of the tenant to a JSON file in
// an archive folder, records the archive in an application table on tenant
// main, and then deletes the tenant through TenantService.Delete.
// (Tenants().Copy to an "archived_..." name would not archive anything: the
// copy is still a live tenant that every schema change must reach.)
//
//	go run ./examples/archive [DIR]
package main

import (
	"context"
	"encoding/json"
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

// Archive is the JSON file an archived tenant becomes.
type Archive struct {
	Tenant       string                  `json:"tenant"`
	ArchivedAt   time.Time               `json:"archived_at"`
	LastActivity time.Time               `json:"last_activity"`
	Tables       map[string]ArchiveTable `json:"tables"`
}

// ArchiveTable is one table of an archived tenant.
type ArchiveTable struct {
	Columns []cinch.ColumnInfo `json:"columns"`
	Rows    []cinch.Record     `json:"rows"`
}

// LastActivity returns the latest updated_at over all tables of the
// tenant of db (every cinch table has one), or the tenant's creation time
// when it holds no rows.
func LastActivity(ctx context.Context, db cinch.DB) (time.Time, error) {
	tenant := db.Target().Tenant
	info, err := db.Tenants().Info(ctx, tenant)
	if err != nil {
		return time.Time{}, err
	}
	last := info.CreatedAt.UTC()
	tables, err := db.Tables().List(ctx)
	if err != nil {
		return time.Time{}, err
	}
	for _, t := range tables {
		res, err := db.Query(ctx, fmt.Sprintf("SELECT MAX(updated_at) AS last FROM %q", t.Name))
		if err != nil {
			return time.Time{}, err
		}
		s, ok := res.Rows[0]["last"].(string)
		if !ok { // NULL: no rows
			continue
		}
		ts, err := time.Parse(cinch.TimeFormat, s)
		if err != nil {
			return time.Time{}, fmt.Errorf("%s.updated_at: %w", t.Name, err)
		}
		if ts.After(last) {
			last = ts
		}
	}
	return last, nil
}

// ArchiveInactiveTenant archives the tenant if it has been inactive for
// longer than InactiveAfter at time now. It returns the archive file's
// path, or "" when the tenant is still active.
func ArchiveInactiveTenant(ctx context.Context, db cinch.DB, tenantName, archiveDir string, now time.Time) (string, error) {
	// Check last activity.
	tenantDB := db.SwitchTenant(tenantName)
	last, err := LastActivity(ctx, tenantDB)
	if err != nil {
		return "", err
	}
	if now.Sub(last) <= InactiveAfter {
		return "", nil
	}

	// Export every table, rows and column definitions.
	a := Archive{Tenant: tenantName, ArchivedAt: now.UTC(), LastActivity: last, Tables: map[string]ArchiveTable{}}
	tables, err := tenantDB.Tables().List(ctx)
	if err != nil {
		return "", err
	}
	for _, t := range tables {
		res, err := tenantDB.Query(ctx, fmt.Sprintf("SELECT * FROM %q ORDER BY id", t.Name))
		if err != nil {
			return "", err
		}
		a.Tables[t.Name] = ArchiveTable{Columns: t.Columns, Rows: res.Rows}
	}
	path := filepath.Join(archiveDir, tenantName+".json")
	if err := writeFileSynced(path, a); err != nil {
		return "", err
	}

	// Update the application's registry, then remove the tenant. Only
	// delete once the archive is safely on disk.
	if _, err := db.SwitchTenant(cinch.DefaultTenant).Insert(ctx, "archived_tenants", cinch.Record{
		"tenant": tenantName, "archive_path": path, "last_activity": last.Format(cinch.TimeFormat),
	}); err != nil {
		return "", err
	}
	if err := db.Tenants().Delete(ctx, tenantName); err != nil {
		return "", err
	}
	return path, nil
}

// writeFileSynced writes v as JSON to path through a synced temporary file.
func writeFileSynced(path string, v any) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".archive-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func run(ctx context.Context, dir string, out io.Writer) error {
	return runWithClock(ctx, dir, out, time.Now)
}

// runWithClock runs the example with now as the current time. The engine
// stamps created_at and updated_at from local.Config.Now, so the setup
// moves that clock back to make one tenant's last write 400 days old.
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
	for tenant, daysAgo := range map[string]int{"old_customer": 400, "active_customer": 10} {
		setAt = now().AddDate(0, 0, -daysAgo)
		if err := addCustomer(ctx, db, tenant); err != nil {
			return err
		}
	}
	setAt = time.Time{}

	archiveDir := filepath.Join(dir, "archive")
	for _, tenant := range []string{"active_customer", "old_customer"} {
		last, err := LastActivity(ctx, db.SwitchTenant(tenant))
		if err != nil {
			return err
		}
		path, err := ArchiveInactiveTenant(ctx, db, tenant, archiveDir, now())
		if err != nil {
			return err
		}
		days := int(now().Sub(last).Hours() / 24)
		if path == "" {
			fmt.Fprintf(out, "%s: last active %d days ago, kept\n", tenant, days)
		} else {
			rel, _ := filepath.Rel(dir, path)
			fmt.Fprintf(out, "%s: last active %d days ago, archived to %s and deleted\n", tenant, days, rel)
		}
	}
	res, err := db.Query(ctx, "SELECT tenant FROM archived_tenants")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "archived tenants: %d\n", len(res.Rows))
	return nil
}

// createSchema makes the customers' tables and the archive registry. The
// schema is shared by every tenant of the branch, so every tenant has an
// archived_tenants table; only tenant main uses it.
func createSchema(ctx context.Context, db cinch.DB) error {
	for _, t := range []struct {
		name  string
		specs []string
	}{
		{"users", []string{"name:TEXT", "email:TEXT"}},
		{"orders", []string{"user_id:TEXT:fk=users", "amount:REAL"}},
		{"archived_tenants", []string{"tenant:TEXT:not_null:unique", "archive_path:TEXT", "last_activity:TEXT"}},
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
