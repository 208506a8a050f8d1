// Command security is the Go version of "Security Model" in the
// multi-tenancy concept document: isolation under injected SQL, access
// control at the application level, and per-tenant encryption at rest
// (TenantCreateOptions{Encrypt, Key}, (*local.DB).WithKey, RotateKey).
//
// CLI equivalents: cinch tenant create NAME --encrypt --key KEY,
// cinch tenant rotate-key NAME --key OLD --new-key NEW.
//
//	go run ./examples/security [DIR]
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

func main() {
	dir, cleanup, err := projectDir()
	if err == nil {
		err = run(context.Background(), dir, os.Stdout)
		cleanup()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// projectDir returns os.Args[1] or a fresh temporary folder (removed by cleanup).
func projectDir() (string, func(), error) {
	if len(os.Args) > 1 {
		return os.Args[1], func() {}, nil
	}
	dir, err := os.MkdirTemp("", "cinch-example-*")
	return dir, func() { os.RemoveAll(dir) }, err
}

// hostileSQL is what an attacker might get into a tenant's query. Every
// statement is refused by SQLite's authorizer (SPEC §5), so none of it can
// reach another tenant's file or change the schema.
func hostileSQL(otherTenantPath string) []string {
	return []string{
		"ATTACH DATABASE '" + otherTenantPath + "' AS other",
		"DROP TABLE users",
		"CREATE TABLE stolen (data TEXT)",
		"ALTER TABLE users ADD COLUMN backdoor TEXT",
		"VACUUM INTO '" + otherTenantPath + ".copy'",
		"PRAGMA writable_schema = ON",
		"PRAGMA journal_mode = OFF",
		"SELECT name FROM users; DROP TABLE users",
	}
}

// loadExtensionSQL would load native code into the process. SPEC §5 lists
// load_extension among the refusals; this build of SQLite has no such
// function at all, so it fails either way (see the test for the code).
const loadExtensionSQL = "SELECT load_extension('/tmp/evil.so')"

// ErrAccessDenied is what GetTenantConnection returns for a user asking for
// someone else's tenant. It wraps cinch.ErrForbidden, so callers (and an
// HTTP layer mapping cinch codes to statuses) can test with errors.Is.
var ErrAccessDenied error = &cinch.Error{Err: cinch.ErrForbidden, Message: "access denied"}

// UserTenants is the application's own user → tenant mapping
// (get_user_tenant in the seed).
var UserTenants = map[string]string{
	"alice@a.example": "customer_a",
	"bob@b.example":   "customer_b",
}

// GetTenantConnection returns a handle on requestedTenant only if userID
// belongs to it.
func GetTenantConnection(db cinch.DB, userID, requestedTenant string) (cinch.DB, error) {
	userTenant, ok := UserTenants[userID]
	if !ok || userTenant != requestedTenant {
		return nil, fmt.Errorf("%w: user %q may not use tenant %q", ErrAccessDenied, userID, requestedTenant)
	}
	return db.SwitchTenant(requestedTenant), nil
}

func run(ctx context.Context, dir string, out io.Writer) error {
	if err := local.Init(ctx, dir, "myapp"); err != nil {
		return err
	}
	p, err := local.Open(ctx, local.Config{Dir: dir})
	if err != nil {
		return err
	}
	defer p.Close(ctx)
	db, err := p.Connect(cinch.Target{Database: "myapp"})
	if err != nil {
		return err
	}
	if err := setup(ctx, db); err != nil {
		return err
	}

	// 1. Complete isolation: even with injected SQL, only the current
	// tenant is reachable.
	fmt.Fprintln(out, "1. injected SQL on customer_a:")
	tenantDB := db.SwitchTenant("customer_a")
	otherPath := filepath.Join(dir, ".cinchdb", "databases", "myapp", "branches", "main", "tenants", "customer_b.db")
	for _, userProvidedSQL := range hostileSQL(otherPath) {
		_, err := tenantDB.Query(ctx, userProvidedSQL)
		if !errors.Is(err, cinch.ErrQueryRejected) {
			return fmt.Errorf("%s: got %v, want it rejected", userProvidedSQL, err)
		}
		fmt.Fprintf(out, "   rejected: %s\n", firstWords(userProvidedSQL))
	}
	if _, err := tenantDB.Query(ctx, loadExtensionSQL); err == nil {
		return fmt.Errorf("%s: succeeded", loadExtensionSQL)
	}
	fmt.Fprintf(out, "   failed:   %s\n", loadExtensionSQL)
	// What an injected read can still do is read the current tenant.
	res, err := tenantDB.Query(ctx, "SELECT name FROM users WHERE name = '' OR 1=1")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   OR 1=1 sees %d row(s), all customer_a's: %v\n", len(res.Rows), res.Rows)

	// 2. Access control at the application level.
	fmt.Fprintln(out, "2. access control:")
	for _, req := range []struct{ user, tenant string }{
		{"alice@a.example", "customer_a"},
		{"alice@a.example", "customer_b"},
		{"mallory@evil.example", "customer_a"},
	} {
		conn, err := GetTenantConnection(db, req.user, req.tenant)
		if err != nil {
			fmt.Fprintf(out, "   %s -> %s: %v (forbidden: %t)\n", req.user, req.tenant, err, errors.Is(err, cinch.ErrForbidden))
			continue
		}
		res, err := conn.Query(ctx, "SELECT COUNT(*) AS count FROM users")
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "   %s -> %s: allowed, %d user(s)\n", req.user, req.tenant, res.Value(0, "count"))
	}

	// 3. Encryption at rest, per tenant. The seed sets the key with a
	// query (PRAGMA key); with cinch the key is given when the tenant is
	// created and on every handle that uses it, and cinch never stores it.
	fmt.Fprintln(out, "3. encryption:")
	if err := EncryptionDemo(ctx, db, out); err != nil {
		return err
	}
	return nil
}

// Keys of the encrypted tenant. In an application they come from a
// secret store, one per tenant; cinch derives the file key from them
// (Argon2id, per-tenant salt) and keeps neither on disk.
const (
	VaultKey    = "correct horse battery staple"
	RotatedKey  = "tr0ub4dor&3, rotated"
	SecretNote  = "CINCH-PLAINTEXT-MARKER launch codes 0000"
	VaultTenant = "customer_vault"
)

// EncryptionDemo creates an encrypted tenant, writes SecretNote to it,
// shows the ways in that are refused, and rotates its key.
func EncryptionDemo(ctx context.Context, db *local.DB, out io.Writer) error {
	info, err := db.Tenants().Create(ctx, VaultTenant, cinch.TenantCreateOptions{Encrypt: true, Key: VaultKey})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   created %s: encrypted=%t\n", info.Name, info.Encrypted)
	vault := db.WithTenant(VaultTenant).WithKey(VaultKey)
	if _, err := vault.Insert(ctx, "users", cinch.Record{"name": SecretNote}); err != nil {
		return err
	}
	res, err := vault.Query(ctx, "SELECT name FROM users")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   with its key: %d row(s) read back\n", len(res.Rows))

	// The seed's PRAGMA key is refused: a query must not be able to
	// change (or probe) the key of the file it runs on.
	_, err = vault.Query(ctx, "PRAGMA key = 'tenant-specific-key'")
	fmt.Fprintf(out, "   PRAGMA key through a query: %s\n", cinch.Code(err))
	// Without the key, or with a wrong one: ErrEncryptionKey, never garbage.
	_, err = db.WithTenant(VaultTenant).Query(ctx, "SELECT name FROM users")
	fmt.Fprintf(out, "   no key: %s (%t)\n", cinch.Code(err), errors.Is(err, cinch.ErrEncryptionKey))
	_, err = db.WithTenant(VaultTenant).WithKey("guess").Query(ctx, "SELECT name FROM users")
	fmt.Fprintf(out, "   wrong key: %s (%t)\n", cinch.Code(err), errors.Is(err, cinch.ErrEncryptionKey))

	// Key rotation (cinch tenant rotate-key): the handle must hold the
	// current key; afterwards only the new key opens the tenant.
	if err := vault.RotateKey(ctx, VaultTenant, RotatedKey); err != nil {
		return err
	}
	_, err = vault.Query(ctx, "SELECT name FROM users")
	fmt.Fprintf(out, "   after rotation, old key: %s\n", cinch.Code(err))
	res, err = db.WithTenant(VaultTenant).WithKey(RotatedKey).Query(ctx, "SELECT name FROM users")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "   after rotation, new key: %d row(s), same data: %t\n", len(res.Rows), len(res.Rows) == 1 && res.Value(0, "name") == SecretNote)
	return nil
}

// firstWords shortens a statement for printing.
func firstWords(sql string) string {
	if len(sql) > 40 {
		return sql[:40] + "..."
	}
	return sql
}

// setup creates a users table, tenants customer_a and customer_b, and one
// user in each.
func setup(ctx context.Context, db cinch.DB) error {
	name, _ := cinch.ParseColumnSpec("name:TEXT")
	if _, err := db.Tables().Create(ctx, "users", []cinch.Column{name}); err != nil {
		return err
	}
	for tenant, user := range map[string]string{"customer_a": "alice", "customer_b": "bob"} {
		if _, err := db.Tenants().Create(ctx, tenant, cinch.TenantCreateOptions{}); err != nil {
			return err
		}
		if _, err := db.SwitchTenant(tenant).Insert(ctx, "users", cinch.Record{"name": user}); err != nil {
			return err
		}
	}
	return nil
}
