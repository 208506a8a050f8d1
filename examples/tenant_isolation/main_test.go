package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

func TestTenantIsolation(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(ctx, dir, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"  acme_corp.db\n", "  wayne_ent.db\n", "  stark_ind.db\n", "  main.db\n",
		"acme_corp users: Alice, Wile E.\n",
		"wayne_ent users: Alfred, Bruce\n",
		"main (default tenant) users: 0\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	// Reopen the project and check isolation directly: no tenant sees
	// another tenant's rows, even when asking for them by name.
	p, err := local.Open(ctx, local.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	acme, err := p.Connect(cinch.Target{Database: "myapp", Tenant: "acme_corp"})
	if err != nil {
		t.Fatal(err)
	}
	for tenant, users := range customers {
		db := acme.SwitchTenant(tenant)
		got, err := userNames(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		want := slices.Clone(users)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s sees %v, want %v", tenant, got, want)
		}
	}
	res, err := acme.SwitchTenant("wayne_ent").Query(ctx, "SELECT COUNT(*) AS count FROM users WHERE name = ?", "Alice")
	if err != nil {
		t.Fatal(err)
	}
	if n := res.Value(0, "count"); n != int64(0) {
		t.Errorf("wayne_ent sees %v of acme_corp's Alice, want 0", n)
	}
}
