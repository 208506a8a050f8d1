package apikey_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cinchdb/cinch/apikey"
	"github.com/cinchdb/cinch/local"
)

// The project's key store is .cinchdb/keys.db on the project's clock, so
// projects made before the store moved to package apikey keep their keys.
func TestForProject(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := local.Init(ctx, dir, ""); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	p, err := local.Open(ctx, local.Config{Dir: dir, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	keys := apikey.ForProject(p)
	defer keys.Close()
	id, secret, err := keys.Create(ctx, apikey.Spec{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, local.ProjectDirName, "keys.db")); err != nil {
		t.Fatalf("keys.db not in .cinchdb: %v", err)
	}
	// A store opened on the folder directly reads the same keys.
	s := apikey.New(apikey.Config{Dir: filepath.Join(dir, local.ProjectDirName)})
	defer s.Close()
	k, err := s.Verify(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	if k.ID != id || !k.ReadOnly || !k.CreatedAt.Equal(at) {
		t.Errorf("key = %+v, want id %s, read-only, created at %v (the project's clock)", k, id, at)
	}
	list, err := keys.List(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("List = %v, %v", list, err)
	}
	if err := keys.Revoke(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Verify(ctx, secret); err == nil {
		t.Error("revoked key still verifies")
	}
}
