package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), t.TempDir(), &out); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	want := []struct {
		tenant, state string
		hasFile       bool
		tables, rows  int
	}{
		{"acme_corp", "materialized", true, 2, 6},
		{"main", "materialized", true, 2, 0},
		{"stark_ind", "lazy", false, 0, 0}, // no file: nothing to count
		{"wayne_ent", "materialized", true, 2, 20},
	}
	if len(lines) != len(want)+1 || strings.Fields(lines[0])[2] != "SIZE_MB" || strings.Fields(lines[0])[5] != "LAST_WRITE" {
		t.Fatalf("output:\n%s", out.String())
	}
	for i, w := range want {
		f := strings.Fields(lines[i+1])
		if len(f) != 6 {
			t.Errorf("line %q: want 6 fields", lines[i+1])
			continue
		}
		size, err := strconv.ParseFloat(f[2], 64)
		_, terr := time.Parse(time.RFC3339, f[5])
		if err != nil || f[0] != w.tenant || f[1] != w.state || (size > 0) != w.hasFile ||
			f[3] != strconv.Itoa(w.tables) || f[4] != strconv.Itoa(w.rows) || (terr == nil) != w.hasFile || (f[5] == "-") == w.hasFile {
			t.Errorf("line %q, want %+v", lines[i+1], w)
		}
	}
}

// handMetrics is how this example measured tenants before Stats existed
// (the seed's loop, by hand): the size from the files on disk, the
// branch's tables, and COUNT(*) on each through the tenant's handle.
type handMetrics struct {
	sizeBytes int64
	tables    int
	rows      int64
}

func measureByHand(t *testing.T, ctx context.Context, dir string, db cinch.DB) map[string]handMetrics {
	t.Helper()
	tables, err := db.Tables().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tenants, err := db.Tenants().List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]handMetrics{}
	for _, tenant := range tenants {
		var m handMetrics
		path := tenantFile(dir, tenant.Name)
		for _, p := range []string{path, path + "-wal"} {
			if fi, err := os.Stat(p); err == nil {
				m.sizeBytes += fi.Size()
			}
		}
		m.tables = len(tables)
		for _, tb := range tables {
			res, err := db.SwitchTenant(tenant.Name).Query(ctx, fmt.Sprintf("SELECT COUNT(*) AS count FROM %q", tb.Name))
			if err != nil {
				t.Fatal(err)
			}
			m.rows += res.Value(0, "count").(int64)
		}
		out[tenant.Name] = m
	}
	return out
}

func tenantFile(dir, tenant string) string {
	return filepath.Join(dir, ".cinchdb", "databases", "myapp", "branches", "main", "tenants", tenant+".db")
}

func openProject(t *testing.T) (string, *local.DB) {
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

func byName(t *testing.T, ms []TenantMetrics, name string) TenantMetrics {
	t.Helper()
	for _, m := range ms {
		if m.Tenant == name {
			return m
		}
	}
	t.Fatalf("no metrics for %s", name)
	return TenantMetrics{}
}

// TestStatsMatchHandCount compares Stats with the numbers the application
// used to compute itself.
func TestStatsMatchHandCount(t *testing.T) {
	ctx := context.Background()
	dir, db := openProject(t)
	check := func(when string) {
		t.Helper()
		stats, err := db.Fleet().Stats(ctx, cinch.FleetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		hand := measureByHand(t, ctx, dir, db)
		if len(stats) != len(hand) {
			t.Errorf("%s: Stats has %d tenants, hand count %d", when, len(stats), len(hand))
		}
		for _, st := range stats {
			h, ok := hand[st.Name]
			if !ok {
				t.Errorf("%s: Stats reports unknown tenant %s", when, st.Name)
				continue
			}
			if st.State == cinch.TenantLazy {
				// The branch has tables, but a lazy tenant has no file
				// to count them in: Stats reports zeros.
				if st.SizeBytes != 0 || h.sizeBytes != 0 || st.Tables != 0 || st.Rows != 0 || h.rows != 0 || !st.LastWrite.IsZero() {
					t.Errorf("%s: lazy %s: stats %+v, hand %+v", when, st.Name, st, h)
				}
				continue
			}
			if st.SizeBytes != h.sizeBytes || st.Tables != h.tables || st.Rows != h.rows {
				t.Errorf("%s: %s: stats size=%d tables=%d rows=%d, hand %+v", when, st.Name, st.SizeBytes, st.Tables, st.Rows, h)
			}
			if st.Pending {
				t.Errorf("%s: %s: pending schema", when, st.Name)
			}
		}
	}
	check("after setup")

	// Writing to the lazy tenant gives it a file, a size and rows; a new
	// table counts for every tenant.
	if _, err := db.SwitchTenant("stark_ind").Insert(ctx, "users", cinch.Record{"name": "Tony"}); err != nil {
		t.Fatal(err)
	}
	note, _ := cinch.ParseColumnSpec("body:TEXT")
	if _, err := db.Tables().Create(ctx, "notes", []cinch.Column{note}); err != nil {
		t.Fatal(err)
	}
	check("after writes")

	after, err := GetTenantMetrics(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if a := byName(t, after, "stark_ind"); a.State != cinch.TenantMaterialized || a.SizeMB <= 0 || a.TotalRows != 1 || a.TableCount != 3 {
		t.Errorf("stark_ind after: %+v", a)
	}
	if w := byName(t, after, "wayne_ent"); w.TotalRows != 20 || w.TableCount != 3 {
		t.Errorf("wayne_ent after: %+v", w)
	}

	// Unknown tenants are an error, not an empty line.
	if _, err := db.Fleet().Stats(ctx, cinch.FleetOptions{Tenants: []string{"nobody"}}); !errors.Is(err, cinch.ErrTenantNotFound) {
		t.Errorf("Stats(nobody): got %v, want ErrTenantNotFound", err)
	}
}

// TestLastWrite pins the files' modification times, so the check does not
// depend on the clock: LastWrite is the later of the db and WAL mtimes.
func TestLastWrite(t *testing.T) {
	ctx := context.Background()
	dir, db := openProject(t)
	old := time.Date(2020, 5, 6, 7, 8, 9, 0, time.UTC)
	older := old.Add(-time.Hour)
	path := tenantFile(dir, "acme_corp")
	if err := os.Chtimes(path, older, older); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path+"-wal", old, old); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	} else if err != nil { // no WAL: the db file alone counts
		old = older
	}
	ms, err := GetTenantMetrics(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if got := byName(t, ms, "acme_corp").LastWrite; !got.Equal(old) {
		t.Errorf("acme_corp last write = %v, want %v", got, old)
	}
	if got := byName(t, ms, "stark_ind").LastWrite; !got.IsZero() {
		t.Errorf("lazy stark_ind last write = %v, want zero", got)
	}
	// A write moves it forward.
	if _, err := db.SwitchTenant("acme_corp").Insert(ctx, "users", cinch.Record{"name": "new"}); err != nil {
		t.Fatal(err)
	}
	ms, err = GetTenantMetrics(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if got := byName(t, ms, "acme_corp").LastWrite; !got.After(old) {
		t.Errorf("acme_corp last write after insert = %v, want after %v", got, old)
	}
}
