package main

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), t.TempDir(), &out); err != nil {
		t.Fatal(err)
	}
	want := "asia-pac: customer_5=5 customer_6=6\n" +
		"eu-west: customer_3=3 customer_4=4\n" +
		"us-east: customer_1=1 customer_2=2\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestGetRegionStats(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := local.Init(ctx, dir, "myapp"); err != nil {
		t.Fatal(err)
	}
	p, err := local.Open(ctx, local.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	db, err := p.Connect(cinch.Target{Database: "myapp"})
	if err != nil {
		t.Fatal(err)
	}
	if err := setup(ctx, db); err != nil {
		t.Fatal(err)
	}
	// A new user in customer_3 changes eu-west's stats only.
	if _, err := db.SwitchTenant("customer_3").Insert(ctx, "users", cinch.Record{"name": "late"}); err != nil {
		t.Fatal(err)
	}
	for region, want := range map[string]map[string]int64{
		"us-east": {"customer_1": 1, "customer_2": 2},
		"eu-west": {"customer_3": 4, "customer_4": 4},
	} {
		got, err := GetRegionStats(ctx, db, region)
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", region, got, want)
		}
	}
	if _, err := GetRegionStats(ctx, db, "mars"); err == nil {
		t.Error("unknown region: want an error")
	}
	// A region naming a tenant that does not exist fails as a whole.
	Regions["nowhere"] = []string{"customer_1", "customer_9"}
	defer delete(Regions, "nowhere")
	if _, err := GetRegionStats(ctx, db, "nowhere"); !errors.Is(err, cinch.ErrTenantNotFound) {
		t.Errorf("region with an unknown tenant: got %v, want ErrTenantNotFound", err)
	}
	// The fan-out is read-only: a write through Fleet().Query is refused on
	// every tenant and changes nothing.
	results, err := db.Fleet().Query(ctx, cinch.FanOutOptions{Tenants: Regions["us-east"]}, "DELETE FROM users")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if !errors.Is(r.Err, cinch.ErrReadOnly) {
			t.Errorf("%s: DELETE through Fleet().Query: got %v, want ErrReadOnly", r.Tenant, r.Err)
		}
	}
	if got, err := GetRegionStats(ctx, db, "us-east"); err != nil || got["customer_2"] != 2 {
		t.Errorf("us-east after refused DELETE: %v, %v", got, err)
	}
}
