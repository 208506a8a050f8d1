package main

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
)

var fixed = time.Date(2024, 11, 27, 9, 33, 20, 0, time.UTC) // Unix 1732700000

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := runWithClock(context.Background(), t.TempDir(), &out, func() time.Time { return fixed }); err != nil {
		t.Fatal(err)
	}
	want := "tests passed in tenant test_checkout_1732700000\n" +
		"after clean-up, tenant info says: tenant_not_found\n" +
		"orders in tenant main: 0\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestCleanupOnFailure(t *testing.T) {
	ctx := context.Background()
	db, closeProject, err := setup(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer closeProject()
	boom := errors.New("assertion failed")
	var rows int64
	tenant, err := CreateTestEnvironment(ctx, db, "payments", func() time.Time { return fixed }, func(ctx context.Context, testDB cinch.DB) error {
		if _, err := testDB.Insert(ctx, "orders", cinch.Record{"status": "pending"}); err != nil {
			return err
		}
		res, err := testDB.Query(ctx, "SELECT COUNT(*) AS count FROM orders")
		if err != nil {
			return err
		}
		rows = res.Value(0, "count").(int64)
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v, want the tests' error", err)
	}
	if tenant != "test_payments_1732700000" {
		t.Errorf("tenant = %q", tenant)
	}
	if rows != 1 {
		t.Errorf("the test tenant held %d orders, want 1", rows)
	}
	if _, err := db.Tenants().Info(ctx, tenant); !errors.Is(err, cinch.ErrTenantNotFound) {
		t.Errorf("tenant not cleaned up after failure: %v", err)
	}
	ts, err := db.Tenants().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 1 || ts[0].Name != "main" {
		t.Errorf("tenants left: %+v", ts)
	}
	// The test's row never reached tenant main.
	res, err := db.Query(ctx, "SELECT COUNT(*) AS count FROM orders")
	if err != nil {
		t.Fatal(err)
	}
	if n := res.Value(0, "count"); n != int64(0) {
		t.Errorf("main holds %v orders", n)
	}
}
