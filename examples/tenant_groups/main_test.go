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

func TestGetTenantResources(t *testing.T) {
	for tenant, want := range map[string]string{
		"fortune500_b": "enterprise",
		"startup_1":    "standard",
		"trial_user_2": "trial",
	} {
		group, limits, err := GetTenantResources(tenant)
		if err != nil || group != want || limits != ResourceLimitsByGroup[want] {
			t.Errorf("%s: got %s %+v %v, want group %s", tenant, group, limits, err, want)
		}
	}
	if _, _, err := GetTenantResources("stranger"); !errors.Is(err, ErrNoGroup) {
		t.Errorf("stranger: got %v, want ErrNoGroup", err)
	}
}

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), t.TempDir(), &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"enterprise [fortune500_a fortune500_b]: max rows/table 0, max bytes 0\n",
		"trial [trial_user_1 trial_user_2]: max rows/table 3, max bytes 10485760\n",
		"fortune500_a: stored 5 of 5\n",
		"trial_user_1: stored 3 of 5 (over the tenant's limit: trial_user_1 already has 3 rows in projects (max 3))\n",
		"main: tenant is in no group: main\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestLimitsAreEnforcedPerTenant(t *testing.T) {
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
	// trial_user_1 fills its quota; trial_user_2's quota is its own.
	for _, tenant := range []string{"trial_user_1", "trial_user_2"} {
		for i := range 4 {
			_, err := InsertWithinLimits(ctx, db.SwitchTenant(tenant), "projects", cinch.Record{"title": "p"})
			if i < 3 && err != nil {
				t.Fatalf("%s insert %d: %v", tenant, i+1, err)
			}
			if i == 3 && !errors.Is(err, ErrLimit) {
				t.Fatalf("%s insert 4: got %v, want ErrLimit", tenant, err)
			}
		}
		res, err := db.SwitchTenant(tenant).Query(ctx, "SELECT COUNT(*) AS count FROM projects")
		if err != nil {
			t.Fatal(err)
		}
		if n := res.Rows[0]["count"]; n != int64(3) {
			t.Errorf("%s holds %v projects, want 3", tenant, n)
		}
	}
	if _, err := InsertWithinLimits(ctx, db, "projects", cinch.Record{"title": "p"}); !errors.Is(err, ErrNoGroup) {
		t.Errorf("tenant main: got %v, want ErrNoGroup", err)
	}
}
