package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

func TestRunOutput(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), t.TempDir(), &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`customer_a / "u1": a-invoice-1 a-invoice-2 (2 records)`,
		`customer_b / "u1": b-contract (1 records)`,
		`customer_a / "u1' OR '1'='1": (0 records)`,
		`customer_z: customer customer_z: tenant "customer_z" not found`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestGetCustomerData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := local.Init(ctx, dir, "saas_app"); err != nil {
		t.Fatal(err)
	}
	p, err := local.Open(ctx, local.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	db, err := p.Connect(cinch.Target{Database: "saas_app"})
	if err != nil {
		t.Fatal(err)
	}
	if err := setup(ctx, db); err != nil {
		t.Fatal(err)
	}
	app := NewSaaSApp(db)

	titles := func(rows []cinch.Record) string {
		var s []string
		for _, r := range rows {
			s = append(s, r["title"].(string))
		}
		return strings.Join(s, ",")
	}
	cases := []struct {
		customer, user, want string
	}{
		{"customer_a", "u1", "a-invoice-1,a-invoice-2"},
		{"customer_a", "u2", "a-report"},
		{"customer_b", "u1", "b-contract"}, // same user ID, other customer: other rows
		{"customer_b", "u2", ""},
		{"customer_a", "u1' OR '1'='1", ""},
	}
	for _, c := range cases {
		rows, err := app.GetCustomerData(ctx, c.customer, c.user)
		if err != nil {
			t.Fatalf("%s/%s: %v", c.customer, c.user, err)
		}
		if got := titles(rows); got != c.want {
			t.Errorf("%s/%s = %q, want %q", c.customer, c.user, got, c.want)
		}
		for _, r := range rows {
			if r["user_id"] != c.user {
				t.Errorf("%s/%s returned a row of user %v", c.customer, c.user, r["user_id"])
			}
		}
	}
	if _, err := app.GetCustomerData(ctx, "customer_z", "u1"); !errors.Is(err, cinch.ErrTenantNotFound) {
		t.Errorf("unknown customer: got %v, want ErrTenantNotFound", err)
	}
	// A customer ID that is not a valid tenant name cannot reach any file.
	if _, err := app.GetCustomerData(ctx, "../customer_b", "u1"); !errors.Is(err, cinch.ErrInvalidName) {
		t.Errorf("path-like customer: got %v, want ErrInvalidName", err)
	}
}
