package local_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
	"github.com/google/go-cmp/cmp"
)

// projectTree is every file and folder under dir/.cinchdb with its
// contents' hash and modification time.
func projectTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	root := filepath.Join(dir, ".cinchdb")
	out := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			out[rel+"/"] = ""
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		out[rel] = fmt.Sprintf("%s %d", hex.EncodeToString(sum[:]), fi.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCatalog(t *testing.T) {
	ctx := context.Background()
	f := newProject(t, local.Config{})
	db := f.db
	engMustChange(t)(db.Tables().Create(ctx, "users", engCols(t, "name:TEXT", "email:TEXT")))
	engMustChange(t)(db.Tables().Create(ctx, "orders", engCols(t, "total:REAL")))
	engMustChange(t)(db.Views().Create(ctx, "names", "SELECT name FROM users"))
	engMustChange(t)(db.Indexes().Create(ctx, cinch.IndexInfo{Name: "users_email", Table: "users", Columns: []string{"email"}}))
	engMustCreateTenant(t, db, "acme", false)
	engMustCreateTenant(t, db, "stark", true)
	engMustCreateTenant(t, db, "wayne", false)
	if err := db.Fleet().Archive(ctx, "wayne"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Groups().Create(ctx, cinch.Group{Name: "trial"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Branches().Create(ctx, "feature.x", "main"); err != nil {
		t.Fatal(err)
	}
	if err := f.p.CreateDatabase(ctx, "other"); err != nil {
		t.Fatal(err)
	}
	if err := f.p.Close(ctx); err != nil {
		t.Fatal(err)
	}

	check := func(t *testing.T, c local.Catalog) {
		t.Helper()
		got := map[string][]string{}
		var err error
		put := func(key string) func([]string, error) {
			return func(names []string, e error) {
				got[key] = names
				err = errors.Join(err, e)
			}
		}
		put("databases")(c.Databases())
		put("branches")(c.Branches("main"))
		put("tenants")(c.Tenants(ctx, "main", "main"))
		put("tenants of the branch")(c.Tenants(ctx, "main", "feature.x"))
		put("tenants of other")(c.Tenants(ctx, "other", "main"))
		put("groups")(c.Groups(ctx, "main", "main"))
		put("groups of other")(c.Groups(ctx, "other", "main"))
		model, e := c.Schema("main", "main")
		err = errors.Join(err, e)
		if model != nil {
			got["tables"] = model.TableNames()
			got["views"] = model.ViewNames()
			got["indexes"] = model.IndexNames()
			for _, col := range model.Tables["users"].Columns {
				got["columns"] = append(got["columns"], col.Name)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]string{
			"databases":             {"main", "other"},
			"branches":              {"feature.x", "main"},
			"tenants":               {"acme", "main", "stark", "wayne"},
			"tenants of the branch": {"acme", "main", "stark", "wayne"},
			"tenants of other":      {"main"},
			"groups":                {"trial"},
			"groups of other":       {},
			"tables":                {"orders", "users"},
			"views":                 {"names"},
			"indexes":               {"users_email"},
			"columns":               {"name", "email"},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("names (-want +got):\n%s", diff)
		}
	}

	t.Run("nothing is written", func(t *testing.T) {
		before := projectTree(t, f.dir)
		p := engOpenProject(t, f.dir, local.Config{})
		check(t, p.Catalog())
		if err := p.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(before, projectTree(t, f.dir)); diff != "" {
			t.Errorf("the catalog changed the project (-before +after):\n%s", diff)
		}
	})

	t.Run("while another process has the registry open", func(t *testing.T) {
		other := engOpenProject(t, f.dir, local.Config{})
		odb, err := other.Connect(cinch.Target{})
		if err != nil {
			t.Fatal(err)
		}
		// A tenant created by the other process is seen while it is open
		// (in the registry's WAL, not yet in its main file).
		engMustCreateTenant(t, odb, "zeta", true)
		p := engOpenProject(t, f.dir, local.Config{})
		names, err := p.Catalog().Tenants(ctx, "main", "main")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(names, "zeta") {
			t.Errorf("tenants %q lack zeta, created by the other process", names)
		}
	})

	t.Run("errors", func(t *testing.T) {
		c := engOpenProject(t, f.dir, local.Config{}).Catalog()
		for _, tc := range []struct {
			name string
			err  error
			want error
		}{
			{"branches of a missing database", errOf(c.Branches("nope")), cinch.ErrDatabaseNotFound},
			{"tenants of a missing database", errOf(c.Tenants(ctx, "nope", "main")), cinch.ErrDatabaseNotFound},
			{"tenants of a missing branch", errOf(c.Tenants(ctx, "main", "nope")), cinch.ErrBranchNotFound},
			{"schema of a missing branch", errOf(c.Schema("main", "nope")), cinch.ErrBranchNotFound},
			{"a bad name", errOf(c.Tenants(ctx, "main", "../x")), cinch.ErrInvalidName},
		} {
			if !errors.Is(tc.err, tc.want) {
				t.Errorf("%s: got %v, want %v", tc.name, tc.err, tc.want)
			}
		}
	})
}

func errOf[T any](_ T, err error) error { return err }
