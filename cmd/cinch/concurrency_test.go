package main

// Concurrency torture: 32 writers — 16 goroutines each driving separate
// `cinch data insert` processes and 16 goroutines writing through the
// library (each with its own local.Open of the same project, like several
// servers) — on one shared tenant and on eight others, while another
// process adds columns, creates indexes and merges a branch into main.
// No writer may see "database is locked" / busy, every acknowledged write
// must be readable afterwards (counted by a unique marker), and every
// tenant must end on the branch's schema version with integrity ok.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

func TestConcurrencyTorture(t *testing.T) {
	const (
		procWriters = 16
		libWriters  = 16
	)
	procInserts, libInserts := 5, 25 // per writer
	if s := os.Getenv("CINCH_TORTURE_TRIALS"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 3 {
			procInserts, libInserts = 5*n/3, 25*n/3
		}
	}
	start := time.Now()
	dir := t.TempDir()
	c := runner{t: t, dir: dir}
	c.ok("init")
	c.ok("table", "create", "items", "marker:TEXT", "writer:TEXT")
	tenantsOf := []string{"hot"}
	c.ok("tenant", "create", "hot")
	for i := 0; i < 8; i++ {
		name := fmt.Sprintf("d%d", i)
		c.ok("tenant", "create", name)
		tenantsOf = append(tenantsOf, name)
	}
	c.ok("branch", "create", "feat", "--from", "main")
	c.ok("column", "add", "items", "feat_col:TEXT", "--branch", "feat")
	c.ok("index", "create", "items", "writer", "--name", "feat_ix", "--branch", "feat")

	// Even writers share "hot"; odd ones spread over d0..d7.
	tenantFor := func(w int) string {
		if w%2 == 0 {
			return "hot"
		}
		return tenantsOf[1+(w/2)%8]
	}
	busy := func(s string) bool {
		s = strings.ToLower(s)
		return strings.Contains(s, "locked") || strings.Contains(s, "busy")
	}

	var (
		mu     sync.Mutex
		acked  = map[string]map[string]bool{} // tenant -> markers
		errs   []string
		ack    = func(tenant, m string) { mu.Lock(); acked[tenant][m] = true; mu.Unlock() }
		report = func(format string, args ...any) {
			mu.Lock()
			errs = append(errs, fmt.Sprintf(format, args...))
			mu.Unlock()
		}
		wg   sync.WaitGroup
		gate = make(chan struct{})
	)
	for _, n := range tenantsOf {
		acked[n] = map[string]bool{}
	}

	// Process writers.
	for w := 0; w < procWriters; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			<-gate
			tenant := tenantFor(w)
			for i := 0; i < procInserts; i++ {
				m := fmt.Sprintf("proc-%d-%d", w, i)
				cmd := cinchCmd(dir, nil, "data", "insert", "items", "--tenant", tenant,
					"--data", fmt.Sprintf(`{"marker":%q,"writer":"p%d"}`, m, w))
				var out, stderr strings.Builder
				cmd.Stdout, cmd.Stderr = &out, &stderr
				if err := cmd.Run(); err != nil {
					if busy(stderr.String()) {
						report("BUSY reached process writer %d: %s", w, stderr.String())
					} else {
						report("process writer %d insert %d: %v: %s", w, i, err, stderr.String())
					}
					continue
				}
				ack(tenant, m)
			}
		}(w)
	}

	// Library writers: each its own project handle, like separate servers.
	ctx := context.Background()
	for w := procWriters; w < procWriters+libWriters; w++ {
		p, err := local.Open(ctx, local.Config{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close(ctx)
		db, err := p.Connect(cinch.Target{Tenant: tenantFor(w)})
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func(w int, db *local.DB) {
			defer wg.Done()
			<-gate
			tenant := tenantFor(w)
			for i := 0; i < libInserts; i++ {
				m := fmt.Sprintf("lib-%d-%d", w, i)
				var err error
				if i%2 == 0 {
					_, err = db.Insert(ctx, "items", cinch.Record{"marker": m, "writer": fmt.Sprintf("l%d", w)})
				} else {
					// Raw SQL through the guarded query path.
					_, err = db.Query(ctx, "INSERT INTO items (marker, writer) VALUES (?, ?)", m, fmt.Sprintf("l%d", w))
				}
				if err != nil {
					if errors.Is(err, cinch.ErrBusy) || busy(err.Error()) {
						report("BUSY reached library writer %d: %v", w, err)
					} else {
						report("library writer %d insert %d: %v", w, i, err)
					}
					continue
				}
				ack(tenant, m)
			}
		}(w, db)
	}

	// Schema changes and a merge from another process, meanwhile.
	var schemaOut []string
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-gate
		for _, args := range [][]string{
			{"column", "add", "items", "s1:TEXT"},
			{"index", "create", "items", "marker", "--name", "ix_marker"},
			{"branch", "merge", "feat", "main"},
			{"column", "add", "items", "s2:INTEGER:default=7"},
			{"index", "create", "items", "marker", "writer", "--unique", "--name", "ux_marker_writer"},
		} {
			cmd := cinchCmd(dir, nil, args...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				report("schema process cinch %s: %v: %s", strings.Join(args, " "), err, out)
			}
			mu.Lock()
			schemaOut = append(schemaOut, strings.TrimSpace(string(out)))
			mu.Unlock()
		}
	}()

	close(gate)
	wg.Wait()
	for _, e := range errs {
		t.Error(e)
	}

	// Every tenant on the branch's version, integrity ok.
	var checks []tenantCheck
	c.json(&checks, "tenant", "check", "--all")
	want := changeCount(c, "main")
	if want != 1+2+2+2 { // table, 2 merged, 4 own (2 before/after merge)
		t.Logf("main has %d changes", want)
	}
	for _, ch := range checks {
		if !ch.OK || ch.SchemaVersion != want || len(ch.Integrity) != 1 || ch.Integrity[0] != "ok" {
			t.Errorf("tenant %s: %+v (branch has %d changes)", ch.Tenant, ch, want)
		}
	}
	// Every acknowledged write is there, exactly once.
	got := allMarkers(c)
	writes := 0
	for tenant, ms := range acked {
		for m := range ms {
			writes++
			if !got[tenant][m] {
				t.Errorf("tenant %s lost acknowledged write %q", tenant, m)
			}
		}
	}
	var counts []map[string]any
	c.json(&counts, "query", "SELECT count(*) AS n, count(DISTINCT marker) AS d FROM items", "--tenant", "hot")
	if len(counts) != 1 || fmt.Sprint(counts[0]["n"]) != fmt.Sprint(len(acked["hot"])) || fmt.Sprint(counts[0]["d"]) != fmt.Sprint(len(acked["hot"])) {
		t.Errorf("hot holds %v rows, %d acknowledged", counts, len(acked["hot"]))
	}
	// The merged and added columns are visible on every tenant.
	for _, tn := range tenantsOf {
		c.ok("query", "SELECT s1, s2, feat_col FROM items LIMIT 1", "--tenant", tn)
	}
	t.Logf("CONCURRENCY SUMMARY: %d writers (%d processes x %d inserts, %d library x %d inserts), %d acknowledged writes checked on %d tenants, %d schema commands + 1 merge, branch at %d changes, %v",
		procWriters+libWriters, procWriters, procInserts, libWriters, libInserts, writes, len(tenantsOf), 4, want, time.Since(start).Round(time.Millisecond))
}
