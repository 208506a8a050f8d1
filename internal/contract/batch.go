package contract

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/cinchdb/cinch"
)

// testCreateMany: a batch of tenants is created in order, usable at once;
// a batch naming a taken tenant, the same name twice or an invalid name
// creates nothing.
func testCreateMany(t *testing.T, ctx context.Context, db cinch.DB) {
	usersTable(t, ctx, db)
	ts := db.Tenants()
	got := must[[]cinch.TenantInfo](t)(ts.CreateMany(ctx, []string{"b_one", "b_two", "b_three"}, cinch.TenantCreateOptions{}))
	var names []string
	for _, ti := range got {
		names = append(names, ti.Name)
		if ti.State != cinch.TenantMaterialized || ti.SchemaVersion != 1 {
			t.Errorf("created %+v, want materialized at version 1", ti)
		}
	}
	if want := []string{"b_one", "b_two", "b_three"}; !slices.Equal(names, want) {
		t.Errorf("created %v, want %v", names, want)
	}
	for _, n := range names {
		if _, err := db.SwitchTenant(n).Insert(ctx, "users", cinch.Record{"name": n}); err != nil {
			t.Errorf("insert into %s: %v", n, err)
		}
	}
	lazy := must[[]cinch.TenantInfo](t)(ts.CreateMany(ctx, []string{"l_one", "l_two"}, cinch.TenantCreateOptions{Lazy: true}))
	if len(lazy) != 2 || lazy[0].State != cinch.TenantLazy || lazy[1].Name != "l_two" {
		t.Errorf("lazy batch = %+v", lazy)
	}
	before := must[[]cinch.TenantInfo](t)(ts.List(ctx))

	_, err := ts.CreateMany(ctx, []string{"new_one", "b_two", "l_one"}, cinch.TenantCreateOptions{})
	wantErr(t, err, cinch.ErrTenantExists)
	if err != nil && (!strings.Contains(err.Error(), "b_two") || !strings.Contains(err.Error(), "l_one")) {
		t.Errorf("taken names not all named: %v", err)
	}
	wantErr(t, errOf(ts.CreateMany(ctx, []string{"dup", "dup"}, cinch.TenantCreateOptions{})), cinch.ErrInvalidInput)
	wantErr(t, errOf(ts.CreateMany(ctx, []string{"fine", "Not-Valid"}, cinch.TenantCreateOptions{})), cinch.ErrInvalidName)
	wantErr(t, errOf(ts.CreateMany(ctx, nil, cinch.TenantCreateOptions{})), cinch.ErrInvalidInput)
	wantErr(t, errOf(ts.CreateMany(ctx, []string{"x_enc"}, cinch.TenantCreateOptions{Encrypt: true, Key: "k"})), cinch.ErrInvalidInput)
	after := must[[]cinch.TenantInfo](t)(ts.List(ctx))
	if len(after) != len(before) {
		t.Errorf("a refused batch created tenants: %d before, %d after", len(before), len(after))
	}
}
