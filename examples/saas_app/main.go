// Command saas_app is the Go version of "Use Cases: 1. SaaS Applications"
// in the multi-tenancy concept document: each customer is a tenant, and the
// application switches to the customer's tenant for every request.
//
//	go run ./examples/saas_app [DIR]
package main

import (
	"context"
	"fmt"
	"io"
	"os"

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

// SaaSApp serves many customers from one cinch database. It holds a single
// handle; per-customer handles come from SwitchTenant, which does no I/O, so
// making one per request is cheap. The handle may be local (package local)
// or remote: the type only depends on the cinch.DB interface.
type SaaSApp struct {
	db cinch.DB
}

// NewSaaSApp wraps a handle on the application's database.
func NewSaaSApp(db cinch.DB) *SaaSApp { return &SaaSApp{db: db} }

// GetCustomerData returns the records of one user of one customer. The
// customer ID is the tenant name, so the query can only see that
// customer's file; the user ID is bound as a parameter, never spliced
// into the SQL.
func (a *SaaSApp) GetCustomerData(ctx context.Context, customerID, userID string) ([]cinch.Record, error) {
	customerDB := a.db.SwitchTenant(customerID)
	res, err := customerDB.Query(ctx, "SELECT * FROM records WHERE user_id = ? ORDER BY title", userID)
	if err != nil {
		return nil, fmt.Errorf("customer %s: %w", customerID, err)
	}
	return res.Records(), nil // SELECT * from one table: names are unique
}

func run(ctx context.Context, dir string, out io.Writer) error {
	if err := local.Init(ctx, dir, "saas_app"); err != nil {
		return err
	}
	p, err := local.Open(ctx, local.Config{Dir: dir})
	if err != nil {
		return err
	}
	defer p.Close(ctx)
	// db = cinchdb.connect("saas_app")
	db, err := p.Connect(cinch.Target{Database: "saas_app"})
	if err != nil {
		return err
	}
	if err := setup(ctx, db); err != nil {
		return err
	}

	app := NewSaaSApp(db)
	for _, req := range []struct{ customer, user string }{
		{"customer_a", "u1"},
		{"customer_b", "u1"},
		{"customer_a", "u1' OR '1'='1"}, // bound as a value: matches nothing
	} {
		rows, err := app.GetCustomerData(ctx, req.customer, req.user)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s / %q:", req.customer, req.user)
		for _, r := range rows {
			fmt.Fprintf(out, " %s", r["title"])
		}
		fmt.Fprintf(out, " (%d records)\n", len(rows))
	}
	_, err = app.GetCustomerData(ctx, "customer_z", "u1")
	fmt.Fprintf(out, "customer_z: %v\n", err)
	return nil
}

// setup creates the records table and two customers whose users share IDs.
func setup(ctx context.Context, db cinch.DB) error {
	userID, _ := cinch.ParseColumnSpec("user_id:TEXT:not_null")
	title, _ := cinch.ParseColumnSpec("title:TEXT")
	if _, err := db.Tables().Create(ctx, "records", []cinch.Column{userID, title}); err != nil {
		return err
	}
	if _, err := db.Indexes().Create(ctx, cinch.IndexInfo{Table: "records", Columns: []string{"user_id"}}); err != nil {
		return err
	}
	data := map[string][]cinch.Record{
		"customer_a": {{"user_id": "u1", "title": "a-invoice-1"}, {"user_id": "u1", "title": "a-invoice-2"}, {"user_id": "u2", "title": "a-report"}},
		"customer_b": {{"user_id": "u1", "title": "b-contract"}},
	}
	for _, customer := range []string{"customer_a", "customer_b"} {
		if _, err := db.Tenants().Create(ctx, customer, cinch.TenantCreateOptions{}); err != nil {
			return err
		}
		if _, err := db.SwitchTenant(customer).InsertMany(ctx, "records", data[customer]); err != nil {
			return err
		}
	}
	return nil
}
