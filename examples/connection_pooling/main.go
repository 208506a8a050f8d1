// Command connection_pooling is the Go version of "Performance
// Characteristics: Optimization Strategies" in the multi-tenancy concept
// document.
//
// The seed builds a TenantPool of connections per tenant by hand. In cinch
// that pool is built in: a local.Project keeps a bounded, least-recently-used
// set of open tenant handles (one writer connection and up to
// Config.ReadersPerTenant reader connections each). Config.MaxOpenTenants is
// the bound (local.DefaultMaxOpenTenants when 0): when a query needs a tenant
// that is not open, the least recently used idle tenant is closed, so file
// handles and memory stay bounded however many tenants are registered
// ("Considerations: File Handle Limits, Memory Usage"). A cinch.DB from
// SwitchTenant is only a name, so the application keeps no pool of its own
// and returns nothing: it just switches and queries, from as many goroutines
// as it likes ("Parallel Access").
//
//	go run ./examples/connection_pooling [DIR]
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"

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

func run(ctx context.Context, dir string, out io.Writer) error {
	return runPooled(ctx, dir, out, 4, 24)
}

// runPooled creates nTenants tenants and serves queries across all of them
// from concurrent workers with at most maxOpen tenants open at once.
func runPooled(ctx context.Context, dir string, out io.Writer, maxOpen, nTenants int) error {
	if err := local.Init(ctx, dir, "myapp"); err != nil {
		return err
	}
	p, err := local.Open(ctx, local.Config{Dir: dir, MaxOpenTenants: maxOpen})
	if err != nil {
		return err
	}
	defer p.Close(ctx)
	db, err := p.Connect(cinch.Target{Database: "myapp"})
	if err != nil {
		return err
	}
	note, _ := cinch.ParseColumnSpec("note:TEXT")
	if _, err := db.Tables().Create(ctx, "notes", []cinch.Column{note}); err != nil {
		return err
	}
	tenants := make([]string, nTenants)
	for i := range tenants {
		tenants[i] = fmt.Sprintf("customer_%03d", i)
		if _, err := db.Tenants().Create(ctx, tenants[i], cinch.TenantCreateOptions{}); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "%d tenants, at most %d open at a time\n", nTenants, maxOpen)

	// Eight workers each write to and read from every tenant, each starting
	// at a different tenant, so tenants are opened, evicted and reopened all
	// the time while other workers use them.
	const workers = 8
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range tenants {
				tenantDB := db.SwitchTenant(tenants[(i+w*len(tenants)/workers)%len(tenants)])
				if _, err := tenantDB.Insert(ctx, "notes", cinch.Record{"note": fmt.Sprintf("worker %d", w)}); err != nil {
					errs <- err
					return
				}
				if _, err := tenantDB.Query(ctx, "SELECT COUNT(*) AS count FROM notes"); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return err
	}

	// Every tenant kept exactly its own rows.
	counts, err := noteCounts(ctx, db, tenants)
	if err != nil {
		return err
	}
	wrong := 0
	for _, n := range counts {
		if n != workers {
			wrong++
		}
	}
	fmt.Fprintf(out, "%d tenants hold %d notes each, %d tenants differ\n", len(counts)-wrong, workers, wrong)
	return nil
}

// noteCounts returns the number of notes of each tenant.
func noteCounts(ctx context.Context, db cinch.DB, tenants []string) (map[string]int64, error) {
	counts := make(map[string]int64, len(tenants))
	for _, t := range tenants {
		res, err := db.SwitchTenant(t).Query(ctx, "SELECT COUNT(*) AS count FROM notes")
		if err != nil {
			return nil, err
		}
		counts[t] = res.Value(0, "count").(int64)
	}
	return counts, nil
}
