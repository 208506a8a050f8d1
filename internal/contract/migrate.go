package contract

import (
	"context"
	"testing"

	"github.com/cinchdb/cinch"
)

// testMigrate: FleetService.Migrate leaves no tenant behind, counts what
// it did consistently, is a no-op when repeated, and refuses unknown
// tenants. (How many tenants a change leaves behind depends on what the
// engine has open and on a server's converger, so only the invariants are
// checked here; the CLI and client tests make tenants behind on purpose.)
func testMigrate(t *testing.T, ctx context.Context, db cinch.DB) {
	usersTable(t, ctx, db)
	for _, n := range []string{"m_one", "m_two"} {
		must[cinch.TenantInfo](t)(db.Tenants().Create(ctx, n, cinch.TenantCreateOptions{}))
	}
	must[cinch.TenantInfo](t)(db.Tenants().Create(ctx, "m_lazy", cinch.TenantCreateOptions{Lazy: true}))
	col := cinch.Column{Name: "phone", Type: cinch.TypeText, Nullable: true}
	must[cinch.Change](t)(db.Columns().Add(ctx, "users", col))

	f := db.Fleet()
	res := must[cinch.MigrateResult](t)(f.Migrate(ctx, cinch.FleetOptions{Tenants: []string{"m_one", "m_lazy"}}))
	if res.Migrated != res.Behind || res.Remaining != 0 || res.Behind > 1 {
		t.Errorf("migrate m_one, m_lazy = %+v, want at most m_one, all migrated", res)
	}
	res = must[cinch.MigrateResult](t)(f.Migrate(ctx, cinch.FleetOptions{}))
	if res.Migrated != res.Behind || res.Remaining != 0 {
		t.Errorf("migrate all = %+v, want every behind tenant migrated", res)
	}
	if res = must[cinch.MigrateResult](t)(f.Migrate(ctx, cinch.FleetOptions{})); res != (cinch.MigrateResult{}) {
		t.Errorf("second migrate = %+v, want nothing behind", res)
	}
	for _, n := range []string{"main", "m_one", "m_two", "m_lazy"} {
		info := must[cinch.TenantInfo](t)(db.Tenants().Info(ctx, n))
		if info.Behind {
			t.Errorf("%s is behind after migrate: %+v", n, info)
		}
	}
	_, err := f.Migrate(ctx, cinch.FleetOptions{Tenants: []string{"ghost"}})
	wantErr(t, err, cinch.ErrTenantNotFound)
	_, err = f.Migrate(ctx, cinch.FleetOptions{Tenants: []string{"Bad-Name"}})
	wantErr(t, err, cinch.ErrInvalidName)
}
