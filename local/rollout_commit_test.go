package local_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// commitFixture is a project with table users and tenants hot (open in the
// fixture's process) and cold_a, cold_b (materialized, never opened).
func commitFixture(t *testing.T, cfg local.Config) *engFixture {
	t.Helper()
	f := newProject(t, cfg)
	ctx := context.Background()
	engMustChange(t)(f.db.Tables().Create(cinch.WaitForRollout(ctx, nil), "users", engCols(t, "name:TEXT")))
	for _, n := range []string{"hot", "cold_a", "cold_b"} {
		engMustCreateTenant(t, f.db, n, false)
	}
	engMustQuery(t, f.db.WithTenant("hot"), "SELECT * FROM users")
	return f
}

func behindOf(t *testing.T, db *local.DB) map[string]bool {
	t.Helper()
	list, err := db.Tenants().List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, ti := range list {
		if ti.Behind {
			out[ti.Name] = true
		}
	}
	return out
}

func branchBehind(t *testing.T, p *local.Project) int {
	t.Helper()
	bi, err := p.BranchInfo(context.Background(), "main", "main")
	if err != nil {
		t.Fatal(err)
	}
	return bi.Behind
}

// A change that cannot fail on data returns once committed and applied to
// the tenants open here; the others are behind (and say so) until their
// next query, which sees the new schema.
func TestRollout_ReturnsAtCommitPoint(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := commitFixture(t, local.Config{})
	engMustChange(t)(f.db.Columns().Add(ctx, "users", engMustCol(t, "phone:TEXT")))

	if got := engFileVersion(t, engTenantFile(f.dir, "hot")); got != 2 {
		t.Errorf("open tenant hot at %d, want 2 (migrated before the change returned)", got)
	}
	// main was opened by Init's process only; it is behind like the cold ones.
	if got, want := behindOf(t, f.db), map[string]bool{"cold_a": true, "cold_b": true, "main": true}; !equalSets(got, want) {
		t.Errorf("tenants behind = %v, want %v", got, want)
	}
	if got := branchBehind(t, f.p); got != 3 {
		t.Errorf("branch info behind = %d, want 3", got)
	}
	if got := engFileVersion(t, engTenantFile(f.dir, "cold_a")); got != 1 {
		t.Errorf("cold_a at %d before its next query, want 1 (untouched)", got)
	}
	// The next query on a behind tenant sees the change.
	engMustInsert(t, f.db.WithTenant("cold_a"), "users", cinch.Record{"name": "a", "phone": "1"})
	if got := engFileVersion(t, engTenantFile(f.dir, "cold_a")); got != 2 {
		t.Errorf("cold_a at %d after its next query, want 2", got)
	}
	if got := behindOf(t, f.db); got["cold_a"] {
		t.Errorf("cold_a still listed behind after its query")
	}
	// tenant check stays the proof: it catches up and reports every tenant healthy.
	checks, err := f.db.Fleet().Check(ctx, cinch.FleetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		if !c.OK || c.SchemaVersion != 2 {
			t.Errorf("check %+v", c)
		}
	}
	if got := branchBehind(t, f.p); got != 0 {
		t.Errorf("branch info behind after check = %d, want 0", got)
	}
	engCheckConverged(t, f.db, f.dir)
}

func equalSets(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// The promise holds across processes: a second Project that opened a
// tenant before the change (its handle and connections are cached) sees
// the new schema on its next query, though the first process never
// touched that tenant's file.
func TestRollout_SecondProcessSeesChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := commitFixture(t, local.Config{})
	other := engOpenProject(t, f.dir, local.Config{})
	cold := engConnect(t, other, "cold_a")
	engMustInsert(t, cold, "users", cinch.Record{"name": "before"})
	engMustQuery(t, cold, "SELECT name FROM users") // reader connection cached too

	engMustChange(t)(f.db.Columns().Add(ctx, "users", engMustCol(t, "phone:TEXT:default=none")))
	if got := engFileVersion(t, engTenantFile(f.dir, "cold_a")); got != 1 {
		t.Fatalf("setup: cold_a at %d, want 1 (the change must not have reached it)", got)
	}
	res := engMustQuery(t, cold, "SELECT name, phone FROM users")
	if len(res.Rows) != 1 || res.Value(0, "phone") != "none" {
		t.Errorf("second process after the change: %v", res.Rows)
	}
	engMustInsert(t, cold, "users", cinch.Record{"name": "after", "phone": "2"})
	// And a table created by the first process is there for the second.
	engMustChange(t)(f.db.Tables().Create(ctx, "orders", engCols(t, "amount:REAL")))
	engMustInsert(t, cold, "orders", cinch.Record{"amount": 1.5})
	// A change the second process makes reaches a tenant the first has open.
	engMustChange(t)(engConnect(t, other, "main").Columns().Add(ctx, "users", engMustCol(t, "city:TEXT")))
	engMustQuery(t, f.db.WithTenant("hot"), "SELECT city FROM users")
}

// WaitForRollout (and Config.WaitForRollout) keep the old behaviour: the
// call returns after every materialized tenant has the change, with
// progress; the migrated files hold it in their WAL, and listing reads it.
func TestRollout_Wait(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := commitFixture(t, local.Config{})
	var (
		mu    sync.Mutex
		calls [][2]int
	)
	wctx := cinch.WaitForRollout(ctx, func(done, total int) {
		mu.Lock()
		calls = append(calls, [2]int{done, total})
		mu.Unlock()
	})
	engMustChange(t)(f.db.Columns().Add(wctx, "users", engMustCol(t, "phone:TEXT")))
	if len(calls) != 4 || calls[3] != [2]int{4, 4} {
		t.Errorf("progress calls = %v, want 4 counting up to 4/4", calls)
	}
	for i, c := range calls {
		if c[0] != i+1 {
			t.Errorf("progress call %d = %v", i, c)
		}
	}
	if got := behindOf(t, f.db); len(got) != 0 {
		t.Errorf("tenants behind after a waiting change: %v", got)
	}
	if _, err := os.Stat(engTenantFile(f.dir, "cold_a") + "-wal"); err != nil {
		t.Errorf("cold_a has no WAL after its one-fsync migration: %v", err)
	}
	info, err := f.db.Tenants().Info(ctx, "cold_a")
	if err != nil || info.SchemaVersion != 2 || info.Behind {
		t.Errorf("cold_a info = %+v, %v; want version 2 read from its WAL", info, err)
	}
	engCheckConverged(t, f.db, f.dir)

	g := commitFixture(t, local.Config{WaitForRollout: true})
	engMustChange(t)(g.db.Columns().Add(ctx, "users", engMustCol(t, "phone:TEXT")))
	if got := branchBehind(t, g.p); got != 0 {
		t.Errorf("Config.WaitForRollout: %d behind", got)
	}
}

// Converge and MigrateTenants bring behind tenants up to date without
// waiting for their next query; a filter picks the tenants (a cluster node
// converges only those it owns).
func TestConverge(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := commitFixture(t, local.Config{})
	engMustChange(t)(f.db.Columns().Add(ctx, "users", engMustCol(t, "phone:TEXT")))
	res, err := f.p.Converge(ctx, local.ConvergeOptions{Filter: func(db, br, tenant string) bool { return tenant == "cold_a" }})
	if err != nil || res.Migrated != 1 || res.Behind != 1 || len(res.Failed) != 0 {
		t.Fatalf("Converge(cold_a) = %+v, %v", res, err)
	}
	if got, want := behindOf(t, f.db), map[string]bool{"cold_b": true, "main": true}; !equalSets(got, want) {
		t.Errorf("behind after converging cold_a = %v, want %v", got, want)
	}
	res, err = f.db.MigrateTenants(ctx, cinch.FleetOptions{Tenants: []string{"cold_b"}})
	if err != nil || res.Migrated != 1 {
		t.Errorf("MigrateTenants(cold_b) = %+v, %v", res, err)
	}
	if _, err := f.db.MigrateTenants(ctx, cinch.FleetOptions{Tenants: []string{"nobody"}}); !errors.Is(err, cinch.ErrTenantNotFound) {
		t.Errorf("MigrateTenants(nobody) = %v, want tenant_not_found", err)
	}
	res, err = f.db.MigrateTenants(ctx, cinch.FleetOptions{})
	if err != nil || res.Migrated != 1 || res.Behind != 1 {
		t.Errorf("MigrateTenants(all) = %+v, %v; want main migrated", res, err)
	}
	if got := branchBehind(t, f.p); got != 0 {
		t.Errorf("behind after migrating all = %d", got)
	}
	engCheckConverged(t, f.db, f.dir)
}

// RunConverger, as a server runs it, converges a change made by another
// process, and stops when its context ends.
func TestRunConverger(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := commitFixture(t, local.Config{})
	server := engOpenProject(t, f.dir, local.Config{})
	cctx, cancel := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() {
		server.RunConverger(cctx, local.ConvergeOptions{}, 10*time.Millisecond)
		close(stopped)
	}()
	engMustChange(t)(f.db.Columns().Add(ctx, "users", engMustCol(t, "phone:TEXT")))
	deadline := time.Now().Add(60 * time.Second)
	for branchBehind(t, f.p) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the converger left %d tenants behind", branchBehind(t, f.p))
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-stopped
	engCheckConverged(t, f.db, f.dir)
}

// An encrypted tenant nobody has open is behind after a change (its
// version is the one last seen), is left alone by the converger (no key),
// and catches up when opened with its key.
func TestRollout_EncryptedBehind(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := commitFixture(t, local.Config{})
	if _, err := f.db.Tenants().Create(ctx, "vault", cinch.TenantCreateOptions{Encrypt: true, Key: "k1"}); err != nil {
		t.Fatal(err)
	}
	engMustChange(t)(f.db.Columns().Add(ctx, "users", engMustCol(t, "phone:TEXT")))
	if info, err := f.db.Tenants().Info(ctx, "vault"); err != nil || info.SchemaVersion != 1 || !info.Behind {
		t.Errorf("vault after the change = %+v, %v; want behind at version 1", info, err)
	}
	res, err := f.p.Converge(ctx, local.ConvergeOptions{})
	if err != nil || len(res.Failed) != 0 {
		t.Fatalf("Converge = %+v, %v", res, err)
	}
	if !behindOf(t, f.db)["vault"] {
		t.Errorf("the converger touched an encrypted tenant it has no key for")
	}
	engMustQuery(t, f.db.WithKey("k1").WithTenant("vault"), "SELECT phone FROM users")
	if info, _ := f.db.Tenants().Info(ctx, "vault"); info.SchemaVersion != 2 || info.Behind {
		t.Errorf("vault after opening with its key = %+v", info)
	}
}
