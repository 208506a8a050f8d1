// Command test_environment is the Go version of "Use Cases: 3.
// Development/Testing" in the multi-tenancy concept document: a throwaway
// tenant per test run, created with the branch's current schema, used, and
// deleted again.
//
//	go run ./examples/test_environment [DIR]
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

// CreateTestEnvironment creates tenant test_<feature>_<unix time>, runs
// runTests on it, and deletes it again, also when the tests fail. It
// returns the tenant's name and the tests' error. feature must fit in a
// tenant name (a-z, 0-9, _).
func CreateTestEnvironment(ctx context.Context, db cinch.DB, feature string, now func() time.Time,
	runTests func(ctx context.Context, testDB cinch.DB) error) (tenant string, err error) {
	tenant = fmt.Sprintf("test_%s_%d", feature, now().Unix())

	// Create isolated test tenant: its own file with the current schema.
	if _, err := db.Tenants().Create(ctx, tenant, cinch.TenantCreateOptions{}); err != nil {
		return tenant, err
	}
	// Clean up, whatever the tests did.
	defer func() {
		if derr := db.Tenants().Delete(ctx, tenant); derr != nil {
			err = errors.Join(err, fmt.Errorf("clean up %s: %w", tenant, derr))
		}
	}()

	// Run tests in isolation.
	testDB := db.SwitchTenant(tenant)
	return tenant, runTests(ctx, testDB)
}

// checkoutTests is a stand-in for a feature's test suite: it writes and
// reads orders in whatever tenant it is given.
func checkoutTests(ctx context.Context, testDB cinch.DB) error {
	if _, err := testDB.InsertMany(ctx, "orders", []cinch.Record{
		{"status": "pending", "amount": 10.0},
		{"status": "paid", "amount": 32.5},
	}); err != nil {
		return err
	}
	res, err := testDB.Query(ctx, "SELECT COUNT(*) AS count FROM orders WHERE status = ?", "pending")
	if err != nil {
		return err
	}
	if n := res.Value(0, "count").(int64); n != 1 {
		return fmt.Errorf("pending orders = %d, want 1", n)
	}
	return nil
}

func run(ctx context.Context, dir string, out io.Writer) error {
	return runWithClock(ctx, dir, out, time.Now)
}

func runWithClock(ctx context.Context, dir string, out io.Writer, now func() time.Time) error {
	db, closeProject, err := setup(ctx, dir)
	if err != nil {
		return err
	}
	defer closeProject()

	var seen string
	tenant, err := CreateTestEnvironment(ctx, db, "checkout", now, func(ctx context.Context, testDB cinch.DB) error {
		seen = testDB.Target().Tenant
		return checkoutTests(ctx, testDB)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "tests passed in tenant %s\n", seen)

	_, err = db.Tenants().Info(ctx, tenant)
	fmt.Fprintf(out, "after clean-up, tenant info says: %s\n", cinch.Code(err))
	if !errors.Is(err, cinch.ErrTenantNotFound) {
		return fmt.Errorf("test tenant %s was not deleted", tenant)
	}
	res, err := db.Query(ctx, "SELECT COUNT(*) AS count FROM orders")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "orders in tenant main: %d\n", res.Value(0, "count"))
	return nil
}

// setup creates a project with an orders table and returns a handle on
// tenant main and a function closing the project.
func setup(ctx context.Context, dir string) (cinch.DB, func(), error) {
	if err := local.Init(ctx, dir, "myapp"); err != nil {
		return nil, nil, err
	}
	p, err := local.Open(ctx, local.Config{Dir: dir})
	if err != nil {
		return nil, nil, err
	}
	closeProject := func() { p.Close(ctx) }
	db, err := p.Connect(cinch.Target{Database: "myapp"})
	if err != nil {
		closeProject()
		return nil, nil, err
	}
	status, _ := cinch.ParseColumnSpec("status:TEXT:not_null")
	amount, _ := cinch.ParseColumnSpec("amount:REAL")
	if _, err := db.Tables().Create(ctx, "orders", []cinch.Column{status, amount}); err != nil {
		closeProject()
		return nil, nil, err
	}
	return db, closeProject, nil
}
