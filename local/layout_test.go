package local

import (
	"context"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cinchdb/cinch"
)

// TestLayout checks every path function of layout.go against the paths of
// SPEC §2 and docs/design.md "On disk", written out by hand.
func TestLayout(t *testing.T) {
	root := stateDir("/p")
	db := databaseDir(root, "main")
	br := branchDir(db, "dev")
	tenant := tenantFile(br, "acme")
	for _, c := range []struct{ name, got, want string }{
		{"stateDir", root, "/p/.cinchdb"},
		{"configFile", configFile(root), "/p/.cinchdb/config.toml"},
		{"generationFile", generationFile(root), "/p/.cinchdb/generation"},
		{"projectLockFile", projectLockFile(root), "/p/.cinchdb/.lock"},
		{"databasesDir", databasesDir(root), "/p/.cinchdb/databases"},
		{"databaseDir", db, "/p/.cinchdb/databases/main"},
		{"branchesDir", branchesDir(db), "/p/.cinchdb/databases/main/branches"},
		{"branchDir", br, "/p/.cinchdb/databases/main/branches/dev"},
		{"metadataFile", metadataFile(br), "/p/.cinchdb/databases/main/branches/dev/metadata.json"},
		{"changesFile", changesFile(br), "/p/.cinchdb/databases/main/branches/dev/changes.json"},
		{"registryFile", registryFile(br), "/p/.cinchdb/databases/main/branches/dev/registry.db"},
		{"journalFile", journalFile(br), "/p/.cinchdb/databases/main/branches/dev/journal.json"},
		{"branchLockFile", branchLockFile(br), "/p/.cinchdb/databases/main/branches/dev/.lock"},
		{"tenantsDir", tenantsDir(br), "/p/.cinchdb/databases/main/branches/dev/tenants"},
		{"tenantFile", tenant, "/p/.cinchdb/databases/main/branches/dev/tenants/acme.db"},
		{"archiveDir", archiveDir(br), "/p/.cinchdb/databases/main/branches/dev/archive"},
		{"archiveFile", archiveFile(br, "acme"), "/p/.cinchdb/databases/main/branches/dev/archive/acme.db.zst"},
		{"sparesDir", sparesDir(br), "/p/.cinchdb/databases/main/branches/dev/spares"},
		{"walFile", walFile(tenant), "/p/.cinchdb/databases/main/branches/dev/tenants/acme.db-wal"},
		{"shmFile", shmFile(tenant), "/p/.cinchdb/databases/main/branches/dev/tenants/acme.db-shm"},
		{"tempFile", tempFile(tenant), "/p/.cinchdb/databases/main/branches/dev/tenants/acme.db.tmp"},
		{"rotateFile", rotateFile(tenant), "/p/.cinchdb/databases/main/branches/dev/tenants/acme.db.rotate"},
		{"stagingLockFile", stagingLockFile(databasesDir(root)), "/p/.cinchdb/databases/.staging.lock"},
		{"trashDir", trashDir(br, "00ff"), "/p/.cinchdb/databases/main/branches/.dev.deleting.00ff"},
	} {
		if want := filepath.FromSlash(c.want); c.got != want {
			t.Errorf("%s = %s, want %s", c.name, c.got, want)
		}
	}
	if got := tenantFileName("acme"); got != "acme.db" {
		t.Errorf("tenantFileName = %s", got)
	}

	// The temporary names are the ones the sweep recognizes.
	for _, c := range []struct {
		name string
		is   func(string) bool
		want bool
	}{
		{filepath.Base(tempFile(tenant)), isTempName, true},
		{filepath.Base(rotateFile(tenant)), isTempName, true},
		{filepath.Base(tempFile(tenant)) + "-journal", isTempName, true},
		{filepath.Base(tenant), isTempName, false},
		{filepath.Base(walFile(tenant)), isTempName, false},
		{strings.Replace(atomicTempPattern(changesFile(br)), "*", "123", 1), isAtomicTemp, true},
		{filepath.Base(changesFile(br)), isAtomicTemp, false},
		{stagingPattern("dev") + "123", isStaging, true},
		{filepath.Base(trashDir(br, "00ff")), isStaging, true},
		{"dev", isStaging, false},
	} {
		if got := c.is(c.name); got != c.want {
			t.Errorf("%q: got %v, want %v", c.name, got, c.want)
		}
	}
}

// TestLayoutOnDisk checks that a project the engine wrote holds the paths
// of SPEC §2 and nothing the layout does not name.
func TestLayoutOnDisk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := Init(ctx, dir, ""); err != nil {
		t.Fatal(err)
	}
	p, err := Open(ctx, Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	d, err := p.Connect(cinch.Target{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Tables().Create(ctx, "notes", []cinch.Column{{Name: "body", Type: cinch.TypeText, Nullable: true}}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"acme", "old"} {
		if _, err := d.Tenants().Create(ctx, name, cinch.TenantCreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Tenants().Create(ctx, "later", cinch.TenantCreateOptions{Lazy: true}); err != nil {
		t.Fatal(err)
	}
	// A lazy tenant's first write: spares are made (and removed by Close).
	if _, err := d.Tenants().Create(ctx, "first", cinch.TenantCreateOptions{Lazy: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.WithTenant("first").Insert(ctx, "notes", cinch.Record{"body": "x"}); err != nil {
		t.Fatal(err)
	}
	if err := d.Fleet().Archive(ctx, "old"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Branches().Create(ctx, "dev", ""); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}

	for _, want := range []string{
		".cinchdb/config.toml",
		".cinchdb/generation",
		".cinchdb/.lock",
		".cinchdb/databases/main/branches/main/metadata.json",
		".cinchdb/databases/main/branches/main/changes.json",
		".cinchdb/databases/main/branches/main/registry.db",
		".cinchdb/databases/main/branches/main/.lock",
		".cinchdb/databases/main/branches/main/tenants/main.db",
		".cinchdb/databases/main/branches/main/tenants/acme.db",
		".cinchdb/databases/main/branches/main/tenants/first.db",
		".cinchdb/databases/main/branches/main/spares",
		".cinchdb/databases/main/branches/main/archive/old.db.zst",
		".cinchdb/databases/main/branches/dev/metadata.json",
		".cinchdb/databases/main/branches/dev/changes.json",
		".cinchdb/databases/main/branches/dev/registry.db",
		".cinchdb/databases/main/branches/dev/tenants/acme.db",
	} {
		if !exists(filepath.Join(dir, filepath.FromSlash(want))) {
			t.Errorf("%s is missing", want)
		}
	}
	for _, gone := range []string{
		".cinchdb/databases/main/branches/main/journal.json",   // no operation in flight
		".cinchdb/databases/main/branches/main/tenants/old.db", // archived
		".cinchdb/databases/main/branches/main/tenants/later.db",
	} {
		if exists(filepath.Join(dir, filepath.FromSlash(gone))) {
			t.Errorf("%s should not exist", gone)
		}
	}

	// Every file is one the layout names (SQLite's -wal and -shm beside
	// its databases, the staging locks beside databases and branches).
	named := []string{
		".cinchdb/config.toml",
		".cinchdb/generation",
		".cinchdb/.lock",
		".cinchdb/databases/.staging.lock",
		".cinchdb/databases/*/branches/.staging.lock",
		".cinchdb/databases/*/branches/*/metadata.json",
		".cinchdb/databases/*/branches/*/changes.json",
		".cinchdb/databases/*/branches/*/registry.db*",
		".cinchdb/databases/*/branches/*/.lock",
		".cinchdb/databases/*/branches/*/tenants/*.db",
		".cinchdb/databases/*/branches/*/tenants/*.db-wal",
		".cinchdb/databases/*/branches/*/tenants/*.db-shm",
		".cinchdb/databases/*/branches/*/archive/*.db.zst",
	}
	err = filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		for _, pat := range named {
			if ok, _ := filepath.Match(filepath.FromSlash(pat), rel); ok {
				return nil
			}
		}
		t.Errorf("%s is not a path of the layout", rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
