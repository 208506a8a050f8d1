package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// cases is issue 7's table, in order.
func cases(sc scale) []benchCase {
	out := []benchCase{
		{"point-read", casePointRead},
		{"insert", caseInsert},
		{fmt.Sprintf("bulk-insert/rows=%d", sc.bulkRows), caseBulkInsert},
		{"tenant-create/eager", caseCreateEager},
		{"tenant-create/eager-batch=100", caseCreateBatch},
		{"tenant-create/lazy", caseCreateLazy},
		{"tenant-first-write/lazy", caseFirstWrite},
	}
	for _, n := range sc.addColumn {
		out = append(out,
			benchCase{fmt.Sprintf("add-column/tenants=%d", n), func(ctx context.Context, e *env) (Result, error) { return caseAddColumnCommit(ctx, e, n) }},
			benchCase{fmt.Sprintf("add-column-converge/tenants=%d", n), func(ctx context.Context, e *env) (Result, error) { return caseAddColumnConverge(ctx, e, n) }},
			benchCase{fmt.Sprintf("add-column-wait/tenants=%d", n), func(ctx context.Context, e *env) (Result, error) { return caseAddColumnWait(ctx, e, n) }},
		)
	}
	out = append(out,
		benchCase{fmt.Sprintf("fanout-count/tenants=%d", sc.fanOut), caseFanOut},
		benchCase{fmt.Sprintf("fanout-cpu/tenants=%d", sc.fanOutCPU), caseFanOutCPU},
		benchCase{fmt.Sprintf("branch-create/tenants=%d", sc.branch), caseBranch},
		benchCase{fmt.Sprintf("http-query/conns=64,tenants=%d", sc.httpTenants), caseHTTP},
		benchCase{fmt.Sprintf("memory/registered=%d,touched=%d", sc.memRegistered, sc.memTouched), caseMemory},
		benchCase{fmt.Sprintf("memory-pool/touched=%d", sc.poolTouched), casePoolMemory},
		benchCase{fmt.Sprintf("vacuum/tenants=%d", sc.vacuum), caseVacuum},
		benchCase{"cli/query", caseCLIQuery},
		benchCase{"cli/tenant-create", caseCLICreate},
	)
	return out
}

// casePointRead: SELECT * by id of a random row.
//
// cinch: db.Query → *cinch.Result with one map. Baseline: one reused
// prepared statement on the same file; bind, step, read the columns into a
// fresh map (names read once), reset.
func casePointRead(ctx context.Context, e *env) (Result, error) {
	pr, err := newProject(ctx, e.dir("point-read"), local.Config{})
	if err != nil {
		return Result{}, err
	}
	defer pr.close()
	if _, err := pr.db.Tenants().Create(ctx, "reads", cinch.TenantCreateOptions{}); err != nil {
		return Result{}, err
	}
	db := pr.db.WithTenant("reads")
	out, err := db.InsertMany(ctx, table, records(e.sc.readRows))
	if err != nil {
		return Result{}, err
	}
	ids := make([]string, len(out))
	for i, r := range out {
		ids[i] = r["id"].(string)
	}
	const q = "SELECT * FROM users WHERE id = ?"
	if _, err := db.Query(ctx, q, ids[0]); err != nil { // warm: open the reader
		return Result{}, err
	}
	c, err := openRaw(pr.path("reads"))
	if err != nil {
		return Result{}, err
	}
	defer c.Close()
	s, _, err := c.Prepare(q)
	if err != nil {
		return Result{}, err
	}
	defer s.Close()
	cols := make([]string, s.ColumnCount())
	for i := range cols {
		cols[i] = s.ColumnName(i)
	}
	n := e.sc.readOps
	cn, bn, err := pair(e.sc.reps, n, func(rep int) error {
		rng := rand.New(rand.NewPCG(uint64(rep), 2))
		for range n {
			res, err := db.Query(ctx, q, ids[rng.IntN(len(ids))])
			if err != nil || len(res.Rows) != 1 {
				return fmt.Errorf("cinch read: %v %v", err, res)
			}
		}
		return nil
	}, func(rep int) error {
		rng := rand.New(rand.NewPCG(uint64(rep), 2))
		for range n {
			s.BindText(1, ids[rng.IntN(len(ids))])
			var row map[string]any
			for s.Step() {
				row = make(map[string]any, len(cols))
				for i, name := range cols {
					row[name] = rawValue(s, i)
				}
			}
			if err := s.Err(); err != nil || row == nil {
				return fmt.Errorf("raw read: %v", err)
			}
			s.Reset()
		}
		return nil
	})
	r := ratioResult("read", e.sc.reps, cn, bn, 1.2)
	r.Note = fmt.Sprintf("%d reads per repetition over %d rows", n, e.sc.readRows)
	return r, err
}

// caseInsert: one row with id and timestamps, autocommit.
//
// cinch: db.Insert (generates id and timestamps, returns the stored row).
// Baseline: the same values generated in Go bound to a reused prepared
// INSERT (no RETURNING), on a sibling tenant file made by cinch.
func caseInsert(ctx context.Context, e *env) (Result, error) {
	pr, err := newProject(ctx, e.dir("insert"), local.Config{})
	if err != nil {
		return Result{}, err
	}
	defer pr.close()
	for _, t := range []string{"ins_cinch", "ins_raw"} {
		if _, err := pr.db.Tenants().Create(ctx, t, cinch.TenantCreateOptions{}); err != nil {
			return Result{}, err
		}
	}
	db := pr.db.WithTenant("ins_cinch")
	c, err := openRaw(pr.path("ins_raw"))
	if err != nil {
		return Result{}, err
	}
	defer c.Close()
	s, _, err := c.Prepare(rawInsertSQL)
	if err != nil {
		return Result{}, err
	}
	defer s.Close()
	n := e.sc.insertOps
	ci, bi := 0, 0
	cn, bn, err := pair(e.sc.reps, n, func(int) error {
		for range n {
			p := people[ci%len(people)]
			ci++
			if _, err := db.Insert(ctx, table, cinch.Record{"name": p[0], "email": p[1]}); err != nil {
				return err
			}
		}
		return nil
	}, func(int) error {
		for range n {
			if err := rawInsert(s, bi); err != nil {
				return err
			}
			bi++
		}
		return nil
	})
	r := ratioResult("insert", e.sc.reps, cn, bn, 1.3)
	r.Note = fmt.Sprintf("%d inserts per repetition", n)
	return r, err
}

// caseBulkInsert: sc.bulkRows rows in one transaction per op.
//
// cinch: db.InsertMany of prebuilt records. Baseline: BEGIN IMMEDIATE, the
// reused prepared INSERT bound per row, COMMIT.
func caseBulkInsert(ctx context.Context, e *env) (Result, error) {
	pr, err := newProject(ctx, e.dir("bulk"), local.Config{})
	if err != nil {
		return Result{}, err
	}
	defer pr.close()
	for _, t := range []string{"bulk_cinch", "bulk_raw"} {
		if _, err := pr.db.Tenants().Create(ctx, t, cinch.TenantCreateOptions{}); err != nil {
			return Result{}, err
		}
	}
	db := pr.db.WithTenant("bulk_cinch")
	c, err := openRaw(pr.path("bulk_raw"))
	if err != nil {
		return Result{}, err
	}
	defer c.Close()
	s, _, err := c.Prepare(rawInsertSQL)
	if err != nil {
		return Result{}, err
	}
	defer s.Close()
	recs := records(e.sc.bulkRows)
	reps := e.sc.bigReps
	cn, bn, err := pair(reps, 1, func(int) error {
		out, err := db.InsertMany(ctx, table, recs)
		if err == nil && len(out) != len(recs) {
			err = fmt.Errorf("inserted %d of %d", len(out), len(recs))
		}
		return err
	}, func(int) error {
		if err := c.Exec("BEGIN IMMEDIATE"); err != nil {
			return err
		}
		for i := range recs {
			if err := rawInsert(s, i); err != nil {
				c.Exec("ROLLBACK")
				return err
			}
		}
		return c.Exec("COMMIT")
	})
	r := ratioResult(fmt.Sprintf("%d rows", e.sc.bulkRows), reps, cn, bn, 1.3)
	if cn > 0 {
		r.Value, r.Unit = float64(e.sc.bulkRows)/(cn/1e9), "rows/s (cinch)"
	}
	return r, err
}

// caseCreateEager: tenant create with its file. Baseline (comparison only,
// the target is a rate): open a new file with the pragmas, run the same
// DDL and user_version in one transaction, close; no registry, no fsync.
func caseCreateEager(ctx context.Context, e *env) (Result, error) {
	pr, err := newProject(ctx, e.dir("create-eager"), local.Config{})
	if err != nil {
		return Result{}, err
	}
	defer pr.close()
	ch, err := pr.db.Changes(ctx)
	if err != nil {
		return Result{}, err
	}
	ddl, err := schemaSQL(pr.path(cinch.DefaultTenant))
	if err != nil {
		return Result{}, err
	}
	script := fmt.Sprintf("BEGIN IMMEDIATE; %s; PRAGMA user_version=%d; COMMIT", ddl, len(ch))
	rawDir := e.dir("create-eager-raw")
	ts := pr.db.Tenants()
	n := e.sc.eagerCreates
	ci, bi := 0, 0
	cn, bn, err := pair(e.sc.reps, n, func(int) error {
		for range n {
			ci++
			if _, err := ts.Create(ctx, tname(ci), cinch.TenantCreateOptions{}); err != nil {
				return err
			}
		}
		return nil
	}, func(int) error {
		for range n {
			bi++
			c, err := openRaw(filepath.Join(rawDir, tname(bi)+".db"))
			if err != nil {
				return err
			}
			err = c.Exec(script)
			c.Close()
			if err != nil {
				return err
			}
		}
		return nil
	})
	r := Result{CinchNS: cn, BaselineNS: bn, Op: "tenant", Reps: e.sc.reps, Target: "≥ 1,000/s", Unit: "tenants/s"}
	if bn > 0 {
		r.Ratio = cn / bn
	}
	if cn > 0 {
		r.Value = 1e9 / cn
		r.Meets = r.Value >= 1000
	}
	r.Note = fmt.Sprintf("%d creates per repetition; baseline (comparison only) creates the same file with the driver, no registry, no fsync", n)
	return r, err
}

// caseCreateLazy: tenant create --lazy (registry row only). No baseline:
// the target is a rate.
func caseCreateLazy(ctx context.Context, e *env) (Result, error) {
	pr, err := newProject(ctx, e.dir("create-lazy"), local.Config{})
	if err != nil {
		return Result{}, err
	}
	defer pr.close()
	ts := pr.db.Tenants()
	n := e.sc.lazyCreates
	ci := 0
	cn, _, err := pair(e.sc.reps, n, func(int) error {
		for range n {
			ci++
			if _, err := ts.Create(ctx, tname(ci), cinch.TenantCreateOptions{Lazy: true}); err != nil {
				return err
			}
		}
		return nil
	}, nil)
	r := Result{CinchNS: cn, Op: "tenant", Reps: e.sc.reps, Target: "≥ 40,000/s", Unit: "tenants/s"}
	if cn > 0 {
		r.Value = 1e9 / cn
		r.Meets = r.Value >= 40000
	}
	r.Note = fmt.Sprintf("%d creates per repetition; no baseline (absolute target)", n)
	return r, err
}

// caseFanOut: SELECT count(*) FROM users on every tenant.
//
// cinch: db.Fleet().Query (registry list, bounded parallel workers, each tenant
// opened, version checked, queried, closed). Baseline: a sequential loop
// over the same files: open with the pragmas, prepare, step, close. The
// note gives a parallel raw loop with cinch's concurrency for comparison.
func caseFanOut(ctx context.Context, e *env) (Result, error) {
	n := e.sc.fanOut
	pr, err := newProject(ctx, e.dir("fanout"), local.Config{})
	if err != nil {
		return Result{}, err
	}
	defer pr.close()
	names, err := pr.fleet(ctx, n, 10, 0)
	if err != nil {
		return Result{}, err
	}
	paths := make([]string, len(names))
	for i, name := range names {
		paths[i] = pr.path(name)
	}
	const q = "SELECT count(*) AS n FROM users"
	one := func(p string) error {
		c, err := openRaw(p)
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = rawScalar(c, q)
		return err
	}
	var par []time.Duration
	workers := 2 * runtime.GOMAXPROCS(0) // cinch's default fan-out concurrency
	reps := e.sc.bigReps
	if n >= 10_000 {
		reps = 1
	}
	cn, bn, err := pair(reps, 1, func(int) error {
		res, err := pr.db.Fleet().Query(ctx, cinch.FanOutOptions{}, q)
		if err != nil {
			return err
		}
		if len(res) != n {
			return fmt.Errorf("%d tenant results, want %d", len(res), n)
		}
		for _, r := range res {
			if r.Err != nil {
				return fmt.Errorf("tenant %s: %w", r.Tenant, r.Err)
			}
		}
		return nil
	}, func(int) error {
		for _, p := range paths {
			if err := one(p); err != nil {
				return err
			}
		}
		start := time.Now()
		if err := parallel(paths, workers, one); err != nil {
			return err
		}
		par = append(par, time.Since(start))
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	// pair timed the sequential loop and the parallel one together: split.
	bn -= median(par)
	r := ratioResult(fmt.Sprintf("%d tenants", n), reps, cn, bn, 1.5)
	r.Note = fmt.Sprintf("baseline: sequential loop; a parallel raw loop with cinch's concurrency (%d) took %s (cinch/parallel %.2fx)",
		workers, fmtNS(median(par)), cn/median(par))
	return r, nil
}

// parallel runs fn on every path with workers goroutines.
func parallel(paths []string, workers int, fn func(string) error) error {
	var (
		wg    sync.WaitGroup
		next  = make(chan string)
		mu    sync.Mutex
		first error
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range next {
				if err := fn(p); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, p := range paths {
		next <- p
	}
	close(next)
	wg.Wait()
	return first
}

// caseBranch: branch create from main with n materialized tenants.
//
// cinch: db.Branches().Create (registry backup, each tenant copied through
// the backup API by the engine's workers, fsync + rename + fsync dir per
// tenant, folder renamed into place). Baseline: a sequential loop copying
// each tenant file with the driver's backup API (Conn.Backup to a new
// file). The copies are removed between repetitions, outside the timing.
func caseBranch(ctx context.Context, e *env) (Result, error) {
	n := e.sc.branch
	pr, err := newProject(ctx, e.dir("branch"), local.Config{})
	if err != nil {
		return Result{}, err
	}
	defer pr.close()
	names, err := pr.fleet(ctx, n, 10, 0)
	if err != nil {
		return Result{}, err
	}
	rawDir := e.dir("branch-raw")
	bs := pr.db.Branches()
	var cs, rs []time.Duration
	for rep := range e.sc.bigReps {
		name := "b" + strconv.Itoa(rep)
		start := time.Now()
		if _, err := bs.Create(ctx, name, cinch.DefaultBranch); err != nil {
			return Result{}, err
		}
		cs = append(cs, time.Since(start))
		if err := bs.Delete(ctx, name); err != nil {
			return Result{}, err
		}
		dst := filepath.Join(rawDir, name)
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return Result{}, err
		}
		start = time.Now()
		for _, t := range names {
			c, err := openRaw(pr.path(t))
			if err != nil {
				return Result{}, err
			}
			err = c.Backup("main", filepath.Join(dst, t+".db"))
			c.Close()
			if err != nil {
				return Result{}, err
			}
		}
		rs = append(rs, time.Since(start))
		os.RemoveAll(dst)
	}
	r := ratioResult(fmt.Sprintf("%d tenants", n), e.sc.bigReps, median(cs), median(rs), 2)
	r.Note = "baseline: sequential Conn.Backup of each file; cinch copies with its workers and fsyncs each file and folder"
	return r, nil
}

// caseVacuum: VACUUM on every tenant (files with free pages).
//
// cinch: db.Vacuum (VACUUM, then wal_checkpoint(TRUNCATE), on each tenant's
// writer, GOMAXPROCS workers). Baseline: a sequential loop over the same
// files: open with the pragmas, VACUUM, wal_checkpoint(TRUNCATE), close.
func caseVacuum(ctx context.Context, e *env) (Result, error) {
	n := e.sc.vacuum
	pr, err := newProject(ctx, e.dir("vacuum"), local.Config{})
	if err != nil {
		return Result{}, err
	}
	defer pr.close()
	// The seed gets 200 rows, then half are deleted: free pages to reclaim.
	names, err := pr.fleet(ctx, n, 200, 100)
	if err != nil {
		return Result{}, err
	}
	paths := make([]string, len(names))
	for i, name := range names {
		paths[i] = pr.path(name)
	}
	cn, bn, err := pair(e.sc.bigReps, 1, func(int) error {
		res, err := pr.db.Fleet().Vacuum(ctx, cinch.FleetOptions{})
		if err != nil {
			return err
		}
		for _, r := range res {
			if r.Error != "" {
				return fmt.Errorf("tenant %s: %s", r.Tenant, r.Error)
			}
		}
		return nil
	}, func(int) error {
		for _, p := range paths {
			c, err := openRaw(p)
			if err != nil {
				return err
			}
			err = c.Exec("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);")
			c.Close()
			if err != nil {
				return err
			}
		}
		return nil
	})
	r := ratioResult(fmt.Sprintf("%d tenants", n), e.sc.bigReps, cn, bn, 0)
	r.Target, r.Meets = "report (ratio vs raw loop)", err == nil
	r.Note = fmt.Sprintf("cinch runs GOMAXPROCS=%d workers; baseline is a sequential loop", runtime.GOMAXPROCS(0))
	return r, err
}

// caseHTTP: 64 concurrent clients spread over the tenants read one row by
// id, through cinch's server and through a bare net/http handler on the
// same files, from one client side (see httpCase). Target (issue 14):
// cinch's rate ≥ 0.70x the bare handler's.
func caseHTTP(ctx context.Context, e *env) (Result, error) {
	return httpCase(ctx, e)
}

// runClients runs ops queries with 64 goroutines spread over handles.
func runClients(ops int, query func(t int) error, tenants int) error {
	const clients = 64
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(ops) {
					return
				}
				t := int(i*7919+int64(w)) % tenants
				if err := query(t); err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if f := failed.Load(); f != nil {
		return f.(error)
	}
	return nil
}
