package local_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// strictFixture is a project with a users table, rows on main and acme, and
// strict_tenant as given.
func strictFixture(t *testing.T, strict bool) *engFixture {
	t.Helper()
	f := newProject(t, local.Config{})
	engMustChange(t)(f.db.Tables().Create(context.Background(), "users", engCols(t, "name:TEXT")))
	engMustCreateTenant(t, f.db, "acme", false)
	engMustInsert(t, f.db, "users", cinch.Record{"name": "on main"})
	engMustInsert(t, f.db.WithTenant("acme"), "users", cinch.Record{"name": "on acme"})
	if err := f.p.SetStrictTenant(strict); err != nil {
		t.Fatal(err)
	}
	return f
}

// dataOps are the data operations of a handle, each run once.
func dataOps(db *local.DB) map[string]func(ctx context.Context) error {
	return map[string]func(ctx context.Context) error{
		"Query": func(ctx context.Context) error { _, err := db.Query(ctx, "SELECT name FROM users"); return err },
		"Insert": func(ctx context.Context) error {
			_, err := db.Insert(ctx, "users", cinch.Record{"name": "x"})
			return err
		},
		"InsertMany": func(ctx context.Context) error {
			_, err := db.InsertMany(ctx, "users", []cinch.Record{{"name": "x"}})
			return err
		},
		"Update": func(ctx context.Context) error {
			_, err := db.Update(ctx, "users", "no-such-id", cinch.Record{"name": "y"})
			return err
		},
		"Delete": func(ctx context.Context) error { _, err := db.Delete(ctx, "users", "no-such-id"); return err },
		"SQLDB": func(ctx context.Context) error {
			sdb, err := db.SQLDB(ctx)
			if err == nil {
				sdb.Close()
			}
			return err
		},
	}
}

func TestConnect_StrictTenant(t *testing.T) {
	ctx := context.Background()
	f := strictFixture(t, true)

	db, err := f.p.Connect(cinch.Target{})
	if err != nil {
		t.Fatalf("Connect without a tenant on a strict project: %v (want the handle, refusing data operations on use)", err)
	}
	for name, op := range dataOps(db) {
		t.Run(name, func(t *testing.T) {
			err := op(ctx)
			if !errors.Is(err, cinch.ErrTenantRequired) {
				t.Fatalf("got %v, want ErrTenantRequired", err)
			}
			if got, want := cinch.Code(err), "tenant_required"; got != want {
				t.Errorf("code %q, want %q", got, want)
			}
			if !strings.Contains(err.Error(), "strict_tenant in config.toml") {
				t.Errorf("the message does not say why: %v", err)
			}
		})
	}
	// Nothing was written on main.
	res := engMustQuery(t, f.db.WithTenant("main"), "SELECT name FROM users")
	if len(res.Rows) != 1 {
		t.Errorf("main has %d rows, want 1", len(res.Rows))
	}

	t.Run("branch-level work is not affected", func(t *testing.T) {
		engMustChange(t)(db.Tables().Create(ctx, "orders", engCols(t, "total:REAL")))
		engMustChange(t)(db.Columns().Add(ctx, "users", engMustCol(t, "email:TEXT")))
		if _, err := db.Tables().List(ctx); err != nil {
			t.Error(err)
		}
		if list, err := db.Tenants().List(ctx); err != nil || len(list) != 2 {
			t.Errorf("tenant list: %v, %v", list, err)
		}
		if _, err := db.Changes(ctx); err != nil {
			t.Error(err)
		}
		engMustCreateTenant(t, db, "wayne", false)
		results, err := db.Fleet().Query(ctx, cinch.FanOutOptions{}, "SELECT count(*) FROM users")
		if err != nil || len(results) != 3 {
			t.Errorf("fan-out: %v, %v", results, err)
		}
	})

	t.Run("a named tenant works", func(t *testing.T) {
		for _, named := range []*local.DB{
			db.WithTenant("acme"),
			db.SwitchTenant("acme").(*local.DB),
			engConnect(t, f.p, "acme"),
		} {
			res, err := named.Query(ctx, "SELECT name FROM users")
			if err != nil || len(res.Rows) != 1 || res.Rows[0][0] != "on acme" {
				t.Errorf("query on %s: %v, %v", named.Target().Tenant, res, err)
			}
		}
		// main too, when named.
		if _, err := engConnect(t, f.p, "main").Query(ctx, "SELECT 1"); err != nil {
			t.Errorf("explicit main: %v", err)
		}
	})

	t.Run("derived handles stay strict", func(t *testing.T) {
		for name, d := range map[string]cinch.DB{
			"WithKey":      db.WithKey("k"),
			"SwitchBranch": db.SwitchBranch("main"),
		} {
			if _, err := d.Query(ctx, "SELECT 1"); !errors.Is(err, cinch.ErrTenantRequired) {
				t.Errorf("%s: got %v, want ErrTenantRequired", name, err)
			}
		}
	})
}

func TestConnect_NotStrict(t *testing.T) {
	ctx := context.Background()
	f := strictFixture(t, false)
	db, err := f.p.Connect(cinch.Target{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := db.Target().Tenant, cinch.DefaultTenant; got != want {
		t.Errorf("tenant %q, want %q", got, want)
	}
	for name, op := range dataOps(db) {
		if err := op(ctx); err != nil && !errors.Is(err, cinch.ErrRowNotFound) {
			t.Errorf("%s: %v", name, err)
		}
	}
	res := engMustQuery(t, db, "SELECT name FROM users WHERE name = 'on main'")
	if len(res.Rows) != 1 {
		t.Errorf("an empty tenant is not main: %v", res.Rows)
	}
}

// Config.StrictTenant overrides the project setting both ways.
func TestConfig_StrictTenant(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		project bool
		cfg     local.StrictTenant
		want    error
	}{
		{"project off", false, local.StrictTenantFromProject, nil},
		{"project on", true, local.StrictTenantFromProject, cinch.ErrTenantRequired},
		{"forced on", false, local.StrictTenantOn, cinch.ErrTenantRequired},
		{"forced off", true, local.StrictTenantOff, nil},
		{"on and on", true, local.StrictTenantOn, cinch.ErrTenantRequired},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := strictFixture(t, tc.project)
			p := engOpenProject(t, f.dir, local.Config{StrictTenant: tc.cfg})
			db, err := p.Connect(cinch.Target{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = db.Query(ctx, "SELECT 1")
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if tc.cfg == local.StrictTenantOn && !strings.Contains(err.Error(), "Config.StrictTenant") {
				t.Errorf("the message does not name the option: %v", err)
			}
		})
	}
}

// The setting is read by each Connect without a tenant, so another
// process's change is seen at once.
func TestSetStrictTenant_SeenByOtherProcesses(t *testing.T) {
	ctx := context.Background()
	f := strictFixture(t, false)
	other := engOpenProject(t, f.dir, local.Config{})
	if err := f.p.SetStrictTenant(true); err != nil {
		t.Fatal(err)
	}
	db, err := other.Connect(cinch.Target{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Query(ctx, "SELECT 1"); !errors.Is(err, cinch.ErrTenantRequired) {
		t.Errorf("got %v, want ErrTenantRequired", err)
	}
	if err := f.p.SetStrictTenant(false); err != nil {
		t.Fatal(err)
	}
	db, err = other.Connect(cinch.Target{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Query(ctx, "SELECT 1"); err != nil {
		t.Errorf("after turning it off: %v", err)
	}
}

// Switching the active database or branch keeps strict_tenant, and the
// setting keeps the active database and branch.
func TestSettings_StrictTenantKept(t *testing.T) {
	ctx := context.Background()
	f := strictFixture(t, true)
	if err := f.p.CreateDatabase(ctx, "other"); err != nil {
		t.Fatal(err)
	}
	if err := f.p.SetActive("other", "main"); err != nil {
		t.Fatal(err)
	}
	s, err := f.p.Settings()
	if err != nil {
		t.Fatal(err)
	}
	if want := (local.Settings{ActiveDatabase: "other", ActiveBranch: "main", StrictTenant: true}); s != want {
		t.Errorf("after SetActive: %+v, want %+v", s, want)
	}
	if err := f.p.SetStrictTenant(false); err != nil {
		t.Fatal(err)
	}
	if s, err = f.p.Settings(); err != nil {
		t.Fatal(err)
	}
	if want := (local.Settings{ActiveDatabase: "other", ActiveBranch: "main"}); s != want {
		t.Errorf("after SetStrictTenant: %+v, want %+v", s, want)
	}
	data, err := os.ReadFile(filepath.Join(f.dir, ".cinchdb", "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "strict_tenant = false") {
		t.Errorf("config.toml does not show the setting:\n%s", data)
	}
}

// A config.toml that does not parse: SetStrictTenant reports it and changes
// nothing, Connect without a tenant reports it (it cannot tell whether the
// project is strict), SetActive rewrites the file as before.
func TestSetStrictTenant_BrokenConfig(t *testing.T) {
	f := strictFixture(t, true)
	path := filepath.Join(f.dir, ".cinchdb", "config.toml")
	broken := []byte("strict_tenant = [")
	if err := os.WriteFile(path, broken, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := f.p.SetStrictTenant(false); !errors.Is(err, cinch.ErrInvalidInput) {
		t.Errorf("SetStrictTenant: got %v, want ErrInvalidInput", err)
	}
	if data, _ := os.ReadFile(path); string(data) != string(broken) {
		t.Errorf("SetStrictTenant rewrote a broken file: %q", data)
	}
	if _, err := f.p.Connect(cinch.Target{}); !errors.Is(err, cinch.ErrInvalidInput) {
		t.Errorf("Connect without a tenant: got %v, want ErrInvalidInput", err)
	}
	if _, err := f.p.Connect(cinch.Target{Tenant: "acme"}); err != nil {
		t.Errorf("Connect with a tenant does not read the file: %v", err)
	}
	if err := f.p.SetActive("main", "main"); err != nil {
		t.Fatalf("SetActive: %v", err)
	}
	if s, err := f.p.Settings(); err != nil || s.StrictTenant {
		t.Errorf("after SetActive: %+v, %v", s, err)
	}
}
