package local_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cinchdb/cinch"
)

// Issue 10, item 5.4: one branch's broken changes.json (or metadata.json)
// fails that branch only, with an error that names the file and says what
// to do, and not as an internal error (which the server hides); branch
// list still lists every branch, the broken one with its error.
func TestBranches_OneBrokenBranch(t *testing.T) {
	ctx := context.Background()
	p, db := newBranchProject(t)
	for _, n := range []string{"feature", "other"} {
		if _, err := db.Branches().Create(ctx, n, "main"); err != nil {
			t.Fatal(err)
		}
	}
	mustChange(t)(db.SwitchBranch("other").Tables().Create(ctx, "extra", []cinch.Column{mustCol(t, "x:TEXT")}))
	branchesDir := filepath.Join(p.Dir(), ".cinchdb", "databases", "main", "branches")

	for _, broken := range []string{"changes.json", "metadata.json"} {
		t.Run(broken, func(t *testing.T) {
			path := filepath.Join(branchesDir, "feature", broken)
			good, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(`[{"id": "oops", `), 0o644); err != nil {
				t.Fatal(err)
			}
			defer os.WriteFile(path, good, 0o644)
			rel := filepath.Join(".cinchdb", "databases", "main", "branches", "feature", broken)

			wantBroken := func(what string, err error) {
				t.Helper()
				if err == nil {
					t.Fatalf("%s on the broken branch: no error", what)
				}
				if code := cinch.Code(err); code == "internal" {
					t.Errorf("%s: code internal (the server hides its message): %v", what, err)
				}
				if !strings.Contains(err.Error(), rel) {
					t.Errorf("%s: %q does not name %s", what, err, rel)
				}
				var ce *cinch.Error
				if !errors.As(err, &ce) || !strings.Contains(ce.Hint, "restore") {
					t.Errorf("%s: %q has no hint saying what to do", what, err)
				}
			}

			list, err := db.Branches().List(ctx)
			if err != nil {
				t.Fatalf("branch list with one broken branch: %v", err)
			}
			byName := map[string]cinch.BranchInfo{}
			for _, b := range list {
				byName[b.Name] = b
			}
			if len(list) != 3 {
				t.Fatalf("branch list = %+v, want main, feature and other", list)
			}
			if b := byName["feature"]; b.Error == "" || !strings.Contains(b.Error, rel) {
				t.Errorf("broken branch listed as %+v, want its error naming %s", b, rel)
			}
			if b := byName["other"]; b.Error != "" || b.Changes < 2 || b.Tenants != 3 || b.Parent != "main" {
				t.Errorf("other branch listed as %+v", b)
			}
			if b := byName["main"]; b.Error != "" || b.Changes != 1 || b.Tenants != 3 {
				t.Errorf("main branch listed as %+v", b)
			}

			_, err = db.Branches().Info(ctx, "feature")
			wantBroken("branch info", err)
			_, err = db.SwitchBranch("feature").SwitchTenant("acme").Query(ctx, "SELECT 1")
			if broken == "changes.json" {
				wantBroken("query", err)
			}
			// The other branches work as before.
			for _, n := range []string{"main", "other"} {
				if _, err := db.Branches().Info(ctx, n); err != nil {
					t.Errorf("branch info %s: %v", n, err)
				}
				if _, err := db.SwitchBranch(n).SwitchTenant("acme").Query(ctx, "SELECT count(*) FROM users"); err != nil {
					t.Errorf("query on %s: %v", n, err)
				}
			}
			if _, err := db.SwitchBranch("other").Tables().Create(ctx, "more_"+strings.TrimSuffix(broken, ".json"), []cinch.Column{mustCol(t, "y:TEXT")}); err != nil {
				t.Errorf("schema change on other: %v", err)
			}
		})
	}
}
