package contract

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
)

// fleetFixture: table users(name), tenants acme (2 rows), beta (1 row),
// lazy (no file) and main (no rows).
func fleetFixture(t *testing.T, ctx context.Context, db cinch.DB) {
	t.Helper()
	ok(t, errOf(db.Tables().Create(ctx, "users", []cinch.Column{col(t, "name:TEXT")})))
	ok(t, errOf(db.Tenants().Create(ctx, "acme", cinch.TenantCreateOptions{})))
	ok(t, errOf(db.Tenants().Create(ctx, "beta", cinch.TenantCreateOptions{})))
	ok(t, errOf(db.Tenants().Create(ctx, "lazy", cinch.TenantCreateOptions{Lazy: true})))
	ok(t, errOf(db.SwitchTenant("acme").InsertMany(ctx, "users", []cinch.Record{{"name": "a1"}, {"name": "a2"}})))
	ok(t, errOf(db.SwitchTenant("beta").Insert(ctx, "users", cinch.Record{"name": "b1"})))
}

// counts is tenant → the n of each answer of "SELECT count(*) AS n", or
// the error's code.
func counts(t *testing.T, results []cinch.TenantResult) map[string]any {
	t.Helper()
	out := map[string]any{}
	for _, r := range results {
		if r.Err != nil {
			out[r.Tenant] = cinch.Code(r.Err)
			continue
		}
		if r.Result == nil || len(r.Result.Rows) != 1 {
			t.Fatalf("tenant %s: result %+v", r.Tenant, r.Result)
		}
		out[r.Tenant] = r.Result.Value(0, "n")
	}
	return out
}

func names(results []cinch.TenantResult) []string {
	var out []string
	for _, r := range results {
		out = append(out, r.Tenant)
	}
	return out
}

func eq(t *testing.T, what string, got, want any) {
	t.Helper()
	if !equalJSONish(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func equalJSONish(a, b any) bool {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		if len(am) != len(bm) {
			return false
		}
		for k, v := range am {
			if bv, ok := bm[k]; !ok || bv != v {
				return false
			}
		}
		return true
	}
	as, aok := a.([]string)
	bs, bok := b.([]string)
	if aok && bok {
		return slices.Equal(as, bs)
	}
	return a == b
}

// testFleetQuery: a fan-out answers per tenant, in order, with errors that
// errors.Is recognizes, within the limits asked for.
func testFleetQuery(t *testing.T, ctx context.Context, db cinch.DB) {
	fleetFixture(t, ctx, db)
	f := db.Fleet()
	var mu sync.Mutex
	var last [2]int
	res, err := f.Query(ctx, cinch.FanOutOptions{Progress: func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		last = [2]int{max(last[0], done), total}
	}}, "SELECT count(*) AS n FROM users")
	ok(t, err)
	eq(t, "tenants", names(res), []string{"acme", "beta", "lazy", "main"})
	eq(t, "counts", counts(t, res), map[string]any{"acme": int64(2), "beta": int64(1), "lazy": int64(0), "main": int64(0)})
	if last != [2]int{4, 4} {
		t.Errorf("last progress call (done, total) = %v, want [4 4]", last)
	}

	// Named tenants, in the order given; params.
	res, err = f.Query(ctx, cinch.FanOutOptions{Tenants: []string{"beta", "acme"}}, "SELECT count(*) AS n FROM users WHERE name <> ?", "a1")
	ok(t, err)
	eq(t, "named", counts(t, res), map[string]any{"beta": int64(1), "acme": int64(1)})
	eq(t, "named order", names(res), []string{"beta", "acme"})

	// Writes are refused on every tenant, and change nothing.
	res, err = f.Query(ctx, cinch.FanOutOptions{Tenants: []string{"acme", "beta"}}, "DELETE FROM users")
	ok(t, err)
	for _, r := range res {
		if !errors.Is(r.Err, cinch.ErrReadOnly) || r.Result != nil {
			t.Errorf("DELETE on %s: %+v, want ErrReadOnly", r.Tenant, r)
		}
	}

	// Limits: rows per tenant, and rows in all.
	res, err = f.Query(ctx, cinch.FanOutOptions{Tenants: []string{"acme", "beta"}, Limit: 1}, "SELECT name FROM users ORDER BY name")
	ok(t, err)
	if a := res[0].Result; len(a.Rows) != 1 || a.Rows[0][0] != "a1" || !a.Truncated || a.Columns[0] != "name" {
		t.Errorf("acme with Limit 1: %+v", a)
	}
	if b := res[1].Result; len(b.Rows) != 1 || b.Truncated {
		t.Errorf("beta with Limit 1: %+v", b)
	}
	res, err = f.Query(ctx, cinch.FanOutOptions{Tenants: []string{"acme", "beta"}, TotalRows: 2}, "SELECT name FROM users")
	ok(t, err)
	rows, cut := 0, false
	for _, r := range res {
		rows += len(r.Result.Rows)
		cut = cut || r.Result.Truncated
	}
	if rows != 2 || !cut {
		t.Errorf("TotalRows 2 over 3 rows: %d rows, truncated %v", rows, cut)
	}
	res, err = f.Query(ctx, cinch.FanOutOptions{Tenants: []string{"acme"}, TotalBytes: 2}, "SELECT name FROM users")
	ok(t, err)
	if r := res[0].Result; len(r.Rows) != 1 || !r.Truncated {
		t.Errorf("TotalBytes 2 over two 2-byte names: %+v", r)
	}

	// One tenant's error does not hide the others, and keeps its sentinel.
	ok(t, f.Archive(ctx, "beta"))
	res, err = f.Query(ctx, cinch.FanOutOptions{}, "SELECT count(*) AS n FROM users")
	ok(t, err)
	eq(t, "archived skipped", names(res), []string{"acme", "lazy", "main"})
	res, err = f.Query(ctx, cinch.FanOutOptions{Tenants: []string{"acme", "beta"}}, "SELECT count(*) AS n FROM users")
	ok(t, err)
	eq(t, "archived named", counts(t, res), map[string]any{"acme": int64(2), "beta": "tenant_archived"})
	if !errors.Is(res[1].Err, cinch.ErrTenantArchived) || res[1].Err.Error() == "" {
		t.Errorf("archived tenant's error: %v", res[1].Err)
	}
	res, err = f.Query(ctx, cinch.FanOutOptions{}, "SELECT nope FROM users")
	ok(t, err)
	for _, r := range res {
		if r.Err == nil || r.Result != nil {
			t.Errorf("bad column on %s: %+v, want an error", r.Tenant, r)
		}
	}

	// What stops the whole fan-out.
	_, err = f.Query(ctx, cinch.FanOutOptions{Tenants: []string{"ghost"}}, "SELECT 1")
	wantErr(t, err, cinch.ErrTenantNotFound)
	_, err = f.Query(ctx, cinch.FanOutOptions{Group: "nope"}, "SELECT 1")
	wantErr(t, err, cinch.ErrGroupNotFound)
	_, err = f.Query(ctx, cinch.FanOutOptions{Tenants: []string{"Bad Name"}}, "SELECT 1")
	wantErr(t, err, cinch.ErrInvalidName)
	_, err = db.SwitchBranch("nope").Fleet().Query(ctx, cinch.FanOutOptions{}, "SELECT 1")
	wantErr(t, err, cinch.ErrBranchNotFound)
}

// testFleetMaintenance: stats, vacuum, analyze, check, archive, restore
// and inactive tenants.
func testFleetMaintenance(t *testing.T, ctx context.Context, db cinch.DB) {
	fleetFixture(t, ctx, db)
	f := db.Fleet()

	stats, err := f.Stats(ctx, cinch.FleetOptions{})
	ok(t, err)
	byName := map[string]cinch.TenantStats{}
	for _, s := range stats {
		byName[s.Name] = s
	}
	if len(stats) != 4 {
		t.Fatalf("stats of %d tenants, want 4: %+v", len(stats), stats)
	}
	if a := byName["acme"]; a.Rows != 2 || a.Tables != 1 || a.State != cinch.TenantMaterialized || a.SizeBytes == 0 || a.LastWrite.IsZero() {
		t.Errorf("acme stats: %+v", a)
	}
	if l := byName["lazy"]; l.State != cinch.TenantLazy || l.Rows != 0 || l.SizeBytes != 0 {
		t.Errorf("lazy stats: %+v", l)
	}
	stats, err = f.Stats(ctx, cinch.FleetOptions{Tenants: []string{"beta"}})
	ok(t, err)
	if len(stats) != 1 || stats[0].Name != "beta" || stats[0].Rows != 1 {
		t.Errorf("beta stats: %+v", stats)
	}
	_, err = f.Stats(ctx, cinch.FleetOptions{Tenants: []string{"ghost"}})
	wantErr(t, err, cinch.ErrTenantNotFound)

	calls := 0
	results, err := f.Vacuum(ctx, cinch.FleetOptions{Tenants: []string{"acme", "lazy"}, Progress: func(done, total int) { calls++ }})
	ok(t, err)
	if len(results) != 2 || results[0].Tenant != "acme" || results[0].Error != "" || results[0].BytesBefore == 0 || results[0].BytesAfter == 0 {
		t.Errorf("vacuum: %+v", results)
	}
	if len(results) == 2 && (results[1].Tenant != "lazy" || results[1].BytesBefore != 0) {
		t.Errorf("vacuum of a lazy tenant: %+v", results[1])
	}
	if calls == 0 {
		t.Error("vacuum did not report progress")
	}
	results, err = f.Analyze(ctx, cinch.FleetOptions{})
	ok(t, err)
	if len(results) != 4 {
		t.Errorf("analyze: %+v", results)
	}
	for _, r := range results {
		if r.Error != "" {
			t.Errorf("analyze %s: %s", r.Tenant, r.Error)
		}
	}
	_, err = f.Vacuum(ctx, cinch.FleetOptions{Tenants: []string{"ghost"}})
	wantErr(t, err, cinch.ErrTenantNotFound)

	checks, err := f.Check(ctx, cinch.FleetOptions{})
	ok(t, err)
	if len(checks) != 4 {
		t.Errorf("check: %+v", checks)
	}
	for _, c := range checks {
		if !c.OK || c.Drift || len(c.Integrity) != 1 || c.Integrity[0] != "ok" || c.SchemaVersion != c.BranchVersion {
			t.Errorf("check %s: %+v", c.Tenant, c)
		}
	}
	checks, err = f.Check(ctx, cinch.FleetOptions{Tenants: []string{"acme"}})
	ok(t, err)
	if len(checks) != 1 || checks[0].Tenant != "acme" || checks[0].State != string(cinch.TenantMaterialized) {
		t.Errorf("check acme: %+v", checks)
	}

	// Archive and restore.
	ok(t, f.Archive(ctx, "beta"))
	if info := must[cinch.TenantInfo](t)(db.Tenants().Info(ctx, "beta")); info.State != cinch.TenantArchived {
		t.Errorf("beta after archive: %+v", info)
	}
	_, err = db.SwitchTenant("beta").Query(ctx, "SELECT 1")
	wantErr(t, err, cinch.ErrTenantArchived)
	wantErr(t, f.Archive(ctx, "beta"), cinch.ErrTenantArchived)
	wantErr(t, f.Archive(ctx, cinch.DefaultTenant), cinch.ErrProtected)
	wantErr(t, f.Archive(ctx, "ghost"), cinch.ErrTenantNotFound)
	wantErr(t, f.Restore(ctx, "acme"), cinch.ErrInvalidInput)
	ok(t, f.Restore(ctx, "beta"))
	res := must[*cinch.Result](t)(db.SwitchTenant("beta").Query(ctx, "SELECT name FROM users"))
	if len(res.Rows) != 1 || res.Rows[0][0] != "b1" {
		t.Errorf("beta after restore: %+v", res)
	}

	// Inactive tenants: every served one was written (or created) before
	// tomorrow, none before last year.
	inactive, err := f.InactiveSince(ctx, time.Now().Add(24*time.Hour))
	ok(t, err)
	if len(inactive) != 4 {
		t.Errorf("inactive since tomorrow: %+v", inactive)
	}
	inactive, err = f.InactiveSince(ctx, time.Now().Add(-365*24*time.Hour))
	ok(t, err)
	if len(inactive) != 0 {
		t.Errorf("inactive since last year: %+v", inactive)
	}
}

// testGroups: groups with limits, and tenants in them.
func testGroups(t *testing.T, ctx context.Context, db cinch.DB) {
	g := db.Groups()
	if list := must[[]cinch.Group](t)(g.List(ctx)); len(list) != 0 {
		t.Fatalf("fresh project has groups %+v", list)
	}
	trial := cinch.Group{Name: "trial", MaxDBBytes: 1 << 20, MaxConcurrent: 2}
	if got := must[cinch.Group](t)(g.Create(ctx, trial)); got != trial {
		t.Errorf("Create = %+v, want %+v", got, trial)
	}
	_, err := g.Create(ctx, cinch.Group{Name: "trial"})
	wantErr(t, err, cinch.ErrGroupExists)
	_, err = g.Create(ctx, cinch.Group{Name: "tiny", MaxDBBytes: 1024})
	wantErr(t, err, cinch.ErrInvalidInput)
	_, err = g.Create(ctx, cinch.Group{Name: "Bad Name"})
	wantErr(t, err, cinch.ErrInvalidName)
	if got := must[cinch.Group](t)(g.Info(ctx, "trial")); got != trial {
		t.Errorf("Info = %+v, want %+v", got, trial)
	}
	_, err = g.Info(ctx, "nope")
	wantErr(t, err, cinch.ErrGroupNotFound)

	trial.MaxDBBytes, trial.MaxConcurrent = 0, 4
	if got := must[cinch.Group](t)(g.SetLimits(ctx, trial)); got != trial {
		t.Errorf("SetLimits = %+v, want %+v", got, trial)
	}
	if got := must[cinch.Group](t)(g.Info(ctx, "trial")); got != trial {
		t.Errorf("Info after SetLimits = %+v, want %+v", got, trial)
	}
	_, err = g.SetLimits(ctx, cinch.Group{Name: "nope"})
	wantErr(t, err, cinch.ErrGroupNotFound)
	_, err = g.SetLimits(ctx, cinch.Group{Name: "trial", MaxConcurrent: -1})
	wantErr(t, err, cinch.ErrInvalidInput)

	ok(t, errOf(db.Tenants().Create(ctx, "acme", cinch.TenantCreateOptions{})))
	ok(t, g.SetTenant(ctx, "acme", "trial"))
	if info := must[cinch.TenantInfo](t)(db.Tenants().Info(ctx, "acme")); info.Group != "trial" {
		t.Errorf("acme's group = %q, want trial", info.Group)
	}
	res, err := db.Fleet().Query(ctx, cinch.FanOutOptions{Group: "trial"}, "SELECT 1 AS one")
	ok(t, err)
	eq(t, "group fan-out", names(res), []string{"acme"})
	wantErr(t, g.SetTenant(ctx, "acme", "nope"), cinch.ErrGroupNotFound)
	wantErr(t, g.SetTenant(ctx, "ghost", "trial"), cinch.ErrTenantNotFound)
	ok(t, g.SetTenant(ctx, "acme", ""))
	if info := must[cinch.TenantInfo](t)(db.Tenants().Info(ctx, "acme")); info.Group != "" {
		t.Errorf("acme's group after SetTenant \"\" = %q", info.Group)
	}
	if list := must[[]cinch.Group](t)(g.List(ctx)); len(list) != 1 || list[0] != trial {
		t.Errorf("List = %+v", list)
	}
}
