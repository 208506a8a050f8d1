package main

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// Issue 14's rollout cases: a column add that returns at its commit point,
// the background convergence it leaves, the same change with --wait, and
// batch tenant creation.

// rolloutWorkers is the engine's rollout concurrency (local/branch.go,
// branch.parallel), for the parallel baseline.
func rolloutWorkers() int { return min(4*runtime.GOMAXPROCS(0), 16) }

// addColumnFleet builds n materialized tenants (main + n-1) with raw copies
// beside them, and reopens the project so no tenant is open.
func addColumnFleet(ctx context.Context, e *env, label string, n int) (*project, []string, []string, int, error) {
	pr, err := newProject(ctx, e.dir(fmt.Sprintf("%s-%d", label, n)), local.Config{})
	if err != nil {
		return nil, nil, nil, 0, err
	}
	names, err := pr.fleet(ctx, n, 0, 0)
	if err != nil {
		pr.close()
		return nil, nil, nil, 0, err
	}
	// Every tenant at the branch's version first (newProject's table
	// create did not wait for main), then nothing open.
	if _, err := pr.db.MigrateTenants(ctx, cinch.FleetOptions{}); err != nil {
		pr.close()
		return nil, nil, nil, 0, err
	}
	pr.p.Close(ctx)
	if pr.p, err = local.Open(ctx, local.Config{Dir: pr.dir}); err != nil {
		return nil, nil, nil, 0, err
	}
	if pr.db, err = pr.p.Connect(cinch.Target{}); err != nil {
		pr.close()
		return nil, nil, nil, 0, err
	}
	rawDir := e.dir(fmt.Sprintf("%s-%d-raw", label, n))
	paths := make([]string, len(names))
	for i := range paths {
		paths[i] = filepath.Join(rawDir, tname(i)+".db")
		if err := copyFile(filepath.Join(pr.dir, "seed-copy.db"), paths[i]); err != nil {
			pr.close()
			return nil, nil, nil, 0, err
		}
	}
	ch, err := pr.db.Changes(ctx)
	if err != nil {
		pr.close()
		return nil, nil, nil, 0, err
	}
	return pr, names, paths, len(ch), nil
}

// rawAlter is the baseline's work on one file: open with the pragmas,
// BEGIN IMMEDIATE; ALTER TABLE ADD COLUMN; PRAGMA user_version; COMMIT;
// close (which checkpoints).
func rawAlter(path string, col, version int) error {
	c, err := openRaw(path)
	if err != nil {
		return err
	}
	err = c.Exec(fmt.Sprintf(`BEGIN IMMEDIATE; ALTER TABLE "users" ADD COLUMN "c%d" TEXT; PRAGMA user_version=%d; COMMIT`, col, version))
	c.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func addColumnReps(e *env, n int) int {
	switch {
	case n >= 10_000:
		return 1
	case n >= 1000:
		return e.sc.bigReps
	}
	return e.sc.reps
}

// checkVersions reads user_version of the last tenant on each side.
func checkVersions(pr *project, names, paths []string, want int) error {
	for _, p := range []string{pr.path(names[len(names)-1]), paths[len(paths)-1]} {
		c, err := openRaw(p)
		if err != nil {
			return err
		}
		v, err := rawScalar(c, "PRAGMA user_version")
		c.Close()
		if err != nil || int(v) != want {
			return fmt.Errorf("%s: user_version %d, want %d (%v)", p, v, want, err)
		}
	}
	return nil
}

// caseAddColumnCommit: add a nullable column over n materialized tenants,
// none open: the call returns at its commit point. Target: an absolute
// time (≤ 50 ms up to 1,000 tenants, ≤ 200 ms beyond). Baseline
// (comparison only): the sequential raw ALTER loop. Between repetitions
// the tenants are converged (not timed).
func caseAddColumnCommit(ctx context.Context, e *env, n int) (Result, error) {
	pr, names, paths, base, err := addColumnFleet(ctx, e, "add-column", n)
	if err != nil {
		return Result{}, err
	}
	defer pr.close()
	reps := addColumnReps(e, n)
	cn, bn, err := pair(reps, 1, func(rep int) error {
		col := cinch.Column{Name: "c" + strconv.Itoa(rep+1), Type: cinch.TypeText, Nullable: true}
		if _, err := pr.db.Columns().Add(ctx, table, col); err != nil {
			return err
		}
		return nil
	}, func(rep int) error {
		for _, p := range paths {
			if err := rawAlter(p, rep+1, base+rep+1); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	res, err := pr.p.Converge(ctx, local.ConvergeOptions{})
	if err != nil || res.Migrated != n {
		return Result{}, fmt.Errorf("converge after the changes: %+v, %v (want %d migrated)", res, err, n)
	}
	if err := checkVersions(pr, names, paths, base+reps); err != nil {
		return Result{}, err
	}
	limit := 50e6
	if n > 1000 {
		limit = 200e6
	}
	r := Result{CinchNS: cn, BaselineNS: bn, Op: "change", Reps: reps, Value: cn / 1e6, Unit: "ms (cinch)",
		Target: fmt.Sprintf("returns in ≤ %.0f ms", limit/1e6), Meets: cn <= limit}
	if bn > 0 {
		r.Ratio = cn / bn
	}
	r.Note = "returns at the commit point (no tenant open); baseline (comparison only): sequential raw ALTER loop over the same number of files"
	return r, nil
}

// caseAddColumnConverge: the background convergence a non-waiting add
// leaves: Project.Converge over n behind tenants (the server's converger
// does the same passes). Baseline: the sequential raw ALTER loop.
func caseAddColumnConverge(ctx context.Context, e *env, n int) (Result, error) {
	pr, names, paths, base, err := addColumnFleet(ctx, e, "add-column-converge", n)
	if err != nil {
		return Result{}, err
	}
	defer pr.close()
	reps := addColumnReps(e, n)
	var migrated int
	cn, bn, err := pair(reps, 1, func(rep int) error {
		col := cinch.Column{Name: "c" + strconv.Itoa(rep+1), Type: cinch.TypeText, Nullable: true}
		if _, err := pr.db.Columns().Add(ctx, table, col); err != nil {
			return err
		}
		res, err := pr.p.Converge(ctx, local.ConvergeOptions{})
		migrated = res.Migrated
		return err
	}, func(rep int) error {
		for _, p := range paths {
			if err := rawAlter(p, rep+1, base+rep+1); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	if migrated != n {
		return Result{}, fmt.Errorf("converge migrated %d tenants, want %d", migrated, n)
	}
	if err := checkVersions(pr, names, paths, base+reps); err != nil {
		return Result{}, err
	}
	r := ratioResult("change", reps, cn, bn, 1.0)
	r.Value, r.Unit = float64(n)/(cn/1e9), "tenants/s (cinch)"
	r.Note = fmt.Sprintf("timed: the add (returns at commit) + Project.Converge (%d workers, chunks under the branch lock, one fsync per tenant: the change stays in the WAL); baseline: sequential raw loop, each close checkpoints", rolloutWorkers())
	return r, nil
}

// caseAddColumnWait: the same add with cinch.WaitForRollout (the CLI's
// --wait): returns once every tenant has it. Baseline: the raw ALTER loop
// run in parallel with the engine's worker count.
func caseAddColumnWait(ctx context.Context, e *env, n int) (Result, error) {
	pr, names, paths, base, err := addColumnFleet(ctx, e, "add-column-wait", n)
	if err != nil {
		return Result{}, err
	}
	defer pr.close()
	reps := addColumnReps(e, n)
	workers := rolloutWorkers()
	wctx := cinch.WaitForRollout(ctx, nil)
	var ccpu, bcpu []time.Duration // process CPU per tenant of each side's repetitions
	cn, bn, err := pair(reps, 1, func(rep int) error {
		col := cinch.Column{Name: "c" + strconv.Itoa(rep+1), Type: cinch.TypeText, Nullable: true}
		cpu0 := cpuTime()
		_, err := pr.db.Columns().Add(wctx, table, col)
		ccpu = append(ccpu, (cpuTime()-cpu0)/time.Duration(n))
		return err
	}, func(rep int) error {
		cpu0 := cpuTime()
		err := parallel(paths, workers, func(p string) error { return rawAlter(p, rep+1, base+rep+1) })
		bcpu = append(bcpu, (cpuTime()-cpu0)/time.Duration(n))
		return err
	})
	if err != nil {
		return Result{}, err
	}
	if err := checkVersions(pr, names, paths, base+reps); err != nil {
		return Result{}, err
	}
	r := ratioResult("change", reps, cn, bn, 1.0)
	r.Value, r.Unit = float64(n)/(cn/1e9), "tenants/s (cinch)"
	r.Note = fmt.Sprintf("--wait; baseline: parallel raw loop with the same %d workers; CPU per tenant (median): cinch %s, baseline %s",
		workers, fmtNS(median(ccpu)), fmtNS(median(bcpu)))
	return r, nil
}

// caseCreateBatch: eager tenant creation with CreateMany in batches of
// 100. No baseline: the target is a rate.
func caseCreateBatch(ctx context.Context, e *env) (Result, error) {
	pr, err := newProject(ctx, e.dir("create-batch"), local.Config{})
	if err != nil {
		return Result{}, err
	}
	defer pr.close()
	const batch = 100
	batches := max(e.sc.eagerCreates/batch, 1) * 5
	n := batches * batch
	ci := 0
	cn, _, err := pair(e.sc.reps, n, func(int) error {
		for range batches {
			names := make([]string, batch)
			for i := range names {
				ci++
				names[i] = tname(ci)
			}
			if _, err := pr.db.Tenants().CreateMany(ctx, names, cinch.TenantCreateOptions{}); err != nil {
				return err
			}
		}
		return nil
	}, nil)
	r := Result{CinchNS: cn, Op: "tenant", Reps: e.sc.reps, Target: "≥ 2,000/s", Unit: "tenants/s"}
	if cn > 0 {
		r.Value = 1e9 / cn
		r.Meets = r.Value >= 2000
	}
	r.Note = fmt.Sprintf("%d creates per repetition in batches of %d (CreateMany); no baseline (absolute target)", n, batch)
	return r, err
}
