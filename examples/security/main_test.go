package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), t.TempDir(), &out); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if n := strings.Count(s, "   rejected: "); n != 8 {
		t.Errorf("%d statements rejected, want 8:\n%s", n, s)
	}
	for _, want := range []string{
		"OR 1=1 sees 1 row(s), all customer_a's: [[alice]]",
		"alice@a.example -> customer_a: allowed, 1 user(s)",
		`alice@a.example -> customer_b: access denied: user "alice@a.example" may not use tenant "customer_b" (forbidden: true)`,
		`mallory@evil.example -> customer_a: access denied: user "mallory@evil.example" may not use tenant "customer_a" (forbidden: true)`,
		"created customer_vault: encrypted=true",
		"with its key: 1 row(s) read back",
		"PRAGMA key through a query: query_rejected",
		"no key: encryption_key (true)",
		"wrong key: encryption_key (true)",
		"after rotation, old key: encryption_key",
		"after rotation, new key: 1 row(s), same data: true",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
}

// open returns a handle on tenant main of a project set up like run's.
func open(t *testing.T) (string, *local.DB) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	if err := local.Init(ctx, dir, "myapp"); err != nil {
		t.Fatal(err)
	}
	p, err := local.Open(ctx, local.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(ctx) })
	db, err := p.Connect(cinch.Target{Database: "myapp"})
	if err != nil {
		t.Fatal(err)
	}
	if err := setup(ctx, db); err != nil {
		t.Fatal(err)
	}
	return dir, db
}

func TestHostileSQLChangesNothing(t *testing.T) {
	ctx := context.Background()
	dir, db := open(t)
	tenants := filepath.Join(dir, ".cinchdb", "databases", "myapp", "branches", "main", "tenants")
	other := filepath.Join(tenants, "customer_b.db")
	a := db.SwitchTenant("customer_a")
	for _, q := range hostileSQL(other) {
		if _, err := a.Query(ctx, q); !errors.Is(err, cinch.ErrQueryRejected) {
			t.Errorf("%s: got %v, want ErrQueryRejected", q, err)
		}
	}
	// Schema unchanged, no copy written, customer_b untouched.
	ts, err := db.Tables().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 1 || ts[0].Name != "users" || len(ts[0].Columns) != 4 {
		t.Errorf("tables after attack: %+v", ts)
	}
	if _, err := os.Stat(other + ".copy"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("VACUUM INTO wrote a copy: %v", err)
	}
	res, err := db.SwitchTenant("customer_b").Query(ctx, "SELECT name FROM users")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || res.Value(0, "name") != "bob" {
		t.Errorf("customer_b users = %v", res.Rows)
	}
	// The database/sql handle carries the same guard.
	sqlDB, err := db.WithTenant("customer_a").SQLDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sqlDB.Close()
	if _, err := sqlDB.ExecContext(ctx, "ATTACH DATABASE '"+other+"' AS other"); !local.IsQueryRejected(err) {
		t.Errorf("ATTACH through SQLDB: got %v, want it rejected", err)
	}
}

func TestLoadExtensionRejected(t *testing.T) {
	_, db := open(t)
	_, err := db.SwitchTenant("customer_a").Query(context.Background(), loadExtensionSQL)
	if err == nil {
		t.Fatal("load_extension succeeded")
	}
	if !errors.Is(err, cinch.ErrQueryRejected) {
		t.Fatalf("load_extension fails with %q (code %s), want ErrQueryRejected", err, cinch.Code(err))
	}
}

func TestGetTenantConnection(t *testing.T) {
	_, db := open(t)
	conn, err := GetTenantConnection(db, "bob@b.example", "customer_b")
	if err != nil {
		t.Fatal(err)
	}
	if got := conn.Target().Tenant; got != "customer_b" {
		t.Errorf("tenant = %q", got)
	}
	for _, c := range []struct{ user, tenant string }{
		{"bob@b.example", "customer_a"},
		{"nobody", "customer_a"},
		{"alice@a.example", ""},
	} {
		conn, err := GetTenantConnection(db, c.user, c.tenant)
		if !errors.Is(err, ErrAccessDenied) || !errors.Is(err, cinch.ErrForbidden) || conn != nil {
			t.Errorf("%s -> %q: got %v, %v; want ErrAccessDenied", c.user, c.tenant, conn, err)
		}
	}
}

// filesContaining returns the files under root whose bytes contain s.
func filesContaining(t *testing.T, root, s string) []string {
	t.Helper()
	var hits []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte(s)) {
			rel, _ := filepath.Rel(root, path)
			hits = append(hits, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

// TestEncryptedAtRest looks at the bytes on disk: the marker written to
// the encrypted tenant appears in no file of it (database or WAL), while
// the same marker written to a plain tenant is found, so the search works.
// Neither key is stored anywhere in the project.
func TestEncryptedAtRest(t *testing.T) {
	ctx := context.Background()
	dir, db := open(t)
	if err := EncryptionDemo(ctx, db, io.Discard); err != nil {
		t.Fatal(err)
	}
	vault := db.WithTenant(VaultTenant).WithKey(RotatedKey)
	for i := range 50 { // enough pages to reach the WAL and the file
		if _, err := vault.Insert(ctx, "users", cinch.Record{"name": fmt.Sprintf("%s #%d", SecretNote, i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.WithTenant("customer_a").Insert(ctx, "users", cinch.Record{"name": SecretNote}); err != nil {
		t.Fatal(err)
	}
	tenants := filepath.Join(dir, ".cinchdb", "databases", "myapp", "branches", "main", "tenants")
	vaultFiles, _ := filepath.Glob(filepath.Join(tenants, VaultTenant+".db*"))
	if len(vaultFiles) == 0 {
		t.Fatalf("no files for %s in %s", VaultTenant, tenants)
	}
	check := func(when string) {
		t.Helper()
		hits := filesContaining(t, tenants, SecretNote)
		if !slices.ContainsFunc(hits, func(h string) bool { return strings.HasPrefix(h, "customer_a.db") }) {
			t.Errorf("%s: marker not found in plain customer_a's files (hits %v): the search is broken", when, hits)
		}
		for _, h := range hits {
			if strings.HasPrefix(h, VaultTenant) {
				t.Errorf("%s: plaintext marker found in encrypted tenant file %s", when, h)
			}
		}
		for _, key := range []string{VaultKey, RotatedKey} {
			if hits := filesContaining(t, filepath.Join(dir, ".cinchdb"), key); len(hits) > 0 {
				t.Errorf("%s: key %q stored in %v", when, key, hits)
			}
		}
	}
	check("while open")
	// Checkpoint everything into the database files, then look again.
	if _, err := db.Fleet().Vacuum(ctx, cinch.FleetOptions{Tenants: []string{"customer_a"}}); err != nil {
		t.Fatal(err)
	}
	if res, err := vault.Fleet().Vacuum(ctx, cinch.FleetOptions{Tenants: []string{VaultTenant}}); err != nil || res[0].Error != "" {
		t.Fatalf("vacuum %s: %v %+v", VaultTenant, err, res)
	}
	check("after vacuum")

	// The data is still there for the key holder, and the info says encrypted.
	res, err := vault.Query(ctx, "SELECT COUNT(*) AS n FROM users WHERE name LIKE 'CINCH-PLAINTEXT-MARKER%'")
	if err != nil || res.Value(0, "n") != int64(51) {
		t.Errorf("vault rows: %v, %v", res, err)
	}
	info, err := db.Tenants().Info(ctx, VaultTenant)
	if err != nil || !info.Encrypted {
		t.Errorf("vault info: %+v, %v", info, err)
	}
}

func TestEncryptionKeyErrors(t *testing.T) {
	ctx := context.Background()
	_, db := open(t)
	// Encrypt without a key is refused and creates nothing.
	if _, err := db.Tenants().Create(ctx, "no_key", cinch.TenantCreateOptions{Encrypt: true}); err == nil {
		t.Error("encrypted tenant without a key was created")
	}
	if _, err := db.Tenants().Info(ctx, "no_key"); !errors.Is(err, cinch.ErrTenantNotFound) {
		t.Errorf("no_key after refused create: %v", err)
	}
	if _, err := db.Tenants().Create(ctx, VaultTenant, cinch.TenantCreateOptions{Encrypt: true, Key: VaultKey}); err != nil {
		t.Fatal(err)
	}
	// Writes need the key too, and a wrong one changes nothing.
	if _, err := db.WithTenant(VaultTenant).WithKey("nope").Insert(ctx, "users", cinch.Record{"name": "x"}); !errors.Is(err, cinch.ErrEncryptionKey) {
		t.Errorf("insert with a wrong key: got %v, want ErrEncryptionKey", err)
	}
	if _, err := db.WithTenant(VaultTenant).Insert(ctx, "users", cinch.Record{"name": "x"}); !errors.Is(err, cinch.ErrEncryptionKey) {
		t.Errorf("insert without a key: got %v, want ErrEncryptionKey", err)
	}
	// Rotation needs the current key.
	if err := db.WithTenant(VaultTenant).WithKey("nope").RotateKey(ctx, VaultTenant, RotatedKey); !errors.Is(err, cinch.ErrEncryptionKey) {
		t.Errorf("rotate with a wrong key: got %v, want ErrEncryptionKey", err)
	}
	if err := db.WithKey(VaultKey).RotateKey(ctx, "customer_a", RotatedKey); !errors.Is(err, cinch.ErrInvalidInput) {
		t.Errorf("rotate a plain tenant: got %v, want ErrInvalidInput", err)
	}
	// The failed rotation left the original key valid.
	res, err := db.WithTenant(VaultTenant).WithKey(VaultKey).Query(ctx, "SELECT COUNT(*) AS n FROM users")
	if err != nil || res.Value(0, "n") != int64(0) {
		t.Errorf("vault with its key after refused writes: %v, %v", res, err)
	}
}
