package local_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

const secret = "Gotham-City-Secret-Ledger-7731"

func tenantFiles(t *testing.T, p *local.Project, branch, tenant string) [][]byte {
	t.Helper()
	base := filepath.Join(p.Dir(), ".cinchdb/databases/main/branches", branch, "tenants", tenant+".db")
	var out [][]byte
	for _, f := range []string{base, base + "-wal"} {
		if data, err := os.ReadFile(f); err == nil {
			out = append(out, data)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no files for tenant %s", tenant)
	}
	return out
}

func assertNoPlaintext(t *testing.T, p *local.Project, branch, tenant string) {
	t.Helper()
	for _, data := range tenantFiles(t, p, branch, tenant) {
		if bytes.Contains(data, []byte(secret)) || bytes.Contains(data, []byte("CREATE TABLE")) {
			t.Fatalf("tenant %s/%s: plaintext found in an encrypted file", branch, tenant)
		}
	}
}

func TestEncryption_Lifecycle(t *testing.T) {
	ctx := context.Background()
	p, db := newBranchProject(t)
	_, err := db.Tenants().Create(ctx, "wayne_ent", cinch.TenantCreateOptions{Encrypt: true, Key: "k1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Tenants().Create(ctx, "x", cinch.TenantCreateOptions{Encrypt: true}); !errors.Is(err, cinch.ErrEncryptionKey) {
		t.Errorf("encrypt without key: %v", err)
	}
	wayne := db.WithKey("k1").WithTenant("wayne_ent")
	if _, err := wayne.Insert(ctx, "users", cinch.Record{"name": secret}); err != nil {
		t.Fatal(err)
	}
	assertNoPlaintext(t, p, "main", "wayne_ent")
	// The same check finds the plaintext in a plain tenant (so it can fail).
	if _, err := db.WithTenant("acme").Insert(ctx, "users", cinch.Record{"name": secret}); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, data := range tenantFiles(t, p, "main", "acme") {
		found = found || bytes.Contains(data, []byte(secret))
	}
	if !found {
		t.Fatal("plaintext not found in a plain tenant: the check is blind")
	}
	// Missing and wrong keys are clear errors, whether or not the tenant is open.
	if _, err := db.WithTenant("wayne_ent").Query(ctx, "SELECT * FROM users"); !errors.Is(err, cinch.ErrEncryptionKey) {
		t.Errorf("no key: %v", err)
	}
	if _, err := db.WithKey("nope").WithTenant("wayne_ent").Query(ctx, "SELECT * FROM users"); !errors.Is(err, cinch.ErrEncryptionKey) {
		t.Errorf("wrong key (open handle): %v", err)
	}
	p2, err := local.Open(ctx, local.Config{Dir: p.Dir()})
	if err != nil {
		t.Fatal(err)
	}
	defer p2.Close(ctx)
	db2, _ := p2.Connect(cinch.Target{})
	if _, err := db2.WithKey("nope").WithTenant("wayne_ent").Query(ctx, "SELECT * FROM users"); !errors.Is(err, cinch.ErrEncryptionKey) {
		t.Errorf("wrong key (fresh process): %v", err)
	}
	// A schema change does not need the key. The tenant is open in this
	// process (with its key), so the change migrates it before returning,
	// and its version (in the registry: the header is encrypted) says so;
	// a process that opens it later with the key finds it current.
	mustChange(t)(db.Columns().Add(ctx, "users", mustCol(t, "phone:TEXT")))
	info, _ := db.Tenants().Info(ctx, "wayne_ent")
	if !info.Encrypted || info.SchemaVersion != 2 || info.Behind {
		t.Errorf("info after the change = %+v, want encrypted at version 2 (open here: migrated)", info)
	}
	res, err := db2.WithKey("k1").WithTenant("wayne_ent").Query(ctx, "SELECT name, phone FROM users")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || res.Value(0, "name") != secret {
		t.Fatalf("rows = %v", res.Rows)
	}
	if info, _ := db2.Tenants().Info(ctx, "wayne_ent"); info.SchemaVersion != 2 {
		t.Errorf("version after catch-up = %d, want 2", info.SchemaVersion)
	}
	// Copy and branch create keep it encrypted.
	if _, err := db.WithKey("k1").Tenants().Copy(ctx, "wayne_ent", "wayne_copy", false); err != nil {
		t.Fatal(err)
	}
	assertNoPlaintext(t, p, "main", "wayne_copy")
	if _, err := db.Tenants().Copy(ctx, "wayne_ent", "nokey_copy", false); !errors.Is(err, cinch.ErrEncryptionKey) {
		t.Errorf("copy without key: %v", err)
	}
	if _, err := db.WithKey("k1").Branches().Create(ctx, "feat", "main"); err != nil {
		t.Fatal(err)
	}
	assertNoPlaintext(t, p, "feat", "wayne_ent")
	if res, err := db.WithKey("k1").SwitchBranch("feat").SwitchTenant("wayne_ent").Query(ctx, "SELECT name FROM users"); err != nil || len(res.Rows) != 1 {
		t.Errorf("branch copy: %v %v", res, err)
	}
	// Rotation: the old key stops working, the new one works, data intact.
	if err := db.WithKey("k1").RotateKey(ctx, "wayne_ent", "k2"); err != nil {
		t.Fatal(err)
	}
	assertNoPlaintext(t, p, "main", "wayne_ent")
	if _, err := db.WithKey("k1").WithTenant("wayne_ent").Query(ctx, "SELECT 1"); !errors.Is(err, cinch.ErrEncryptionKey) {
		t.Errorf("old key after rotation: %v", err)
	}
	if res, err := db.WithKey("k2").WithTenant("wayne_ent").Query(ctx, "SELECT name FROM users"); err != nil || res.Value(0, "name") != secret {
		t.Errorf("new key after rotation: %v %v", res, err)
	}
	if err := db.WithKey("wrong").RotateKey(ctx, "wayne_ent", "k3"); !errors.Is(err, cinch.ErrEncryptionKey) {
		t.Errorf("rotate with wrong key: %v", err)
	}
	// Archive and restore keep it encrypted.
	if err := db.WithKey("k2").Fleet().Archive(ctx, "wayne_ent"); err != nil {
		t.Fatal(err)
	}
	arc, err := os.ReadFile(filepath.Join(p.Dir(), ".cinchdb/databases/main/branches/main/archive/wayne_ent.db.zst"))
	if err != nil || bytes.Contains(arc, []byte(secret)) {
		t.Fatalf("archive: %v (plaintext %v)", err, bytes.Contains(arc, []byte(secret)))
	}
	if err := db.WithKey("k2").Fleet().Restore(ctx, "wayne_ent"); err != nil {
		t.Fatal(err)
	}
	assertNoPlaintext(t, p, "main", "wayne_ent")
	if res, err := db.WithKey("k2").WithTenant("wayne_ent").Query(ctx, "SELECT name FROM users"); err != nil || res.Value(0, "name") != secret {
		t.Errorf("after restore: %v %v", res, err)
	}
}
