package main

import (
	"context"
	"fmt"
	"slices"
	"syscall"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// fanOutCPUTarget is issue 14's bound on the CPU a fan-out count(*) costs
// per materialized tenant.
const fanOutCPUTarget = 0.3 // ms

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// caseFanOutCPU: issue 14's "fan-out count(*) over 1,000 materialized
// tenants, CPU per tenant". cinch: db.Fleet().Query(SELECT count(*)) over
// sc.fanOutCPU tenants, none of them open in the pool (as a server's pass
// over cold tenants); CPU is the process's user+system time (getrusage)
// across the call, per tenant, median of the repetitions. Baseline: the
// sequential raw loop (open with the pragmas, count, close) over the same
// files, CPU per tenant likewise. cinch_ns and baseline_ns are CPU ns per
// tenant; the value is cinch's in ms.
func caseFanOutCPU(ctx context.Context, e *env) (Result, error) {
	n := e.sc.fanOutCPU
	pr, err := newProject(ctx, e.dir("fanout-cpu"), local.Config{})
	if err != nil {
		return Result{}, err
	}
	defer pr.close()
	names, err := pr.fleet(ctx, n, 10, 0)
	if err != nil {
		return Result{}, err
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
	var ccpu, bcpu []time.Duration
	var wall []time.Duration
	for range e.sc.reps {
		start, cpu0 := time.Now(), cpuTime()
		res, err := pr.db.Fleet().Query(ctx, cinch.FanOutOptions{}, q)
		if err != nil {
			return Result{}, err
		}
		ccpu = append(ccpu, (cpuTime()-cpu0)/time.Duration(n))
		wall = append(wall, time.Since(start)/time.Duration(n))
		if len(res) != n {
			return Result{}, fmt.Errorf("%d tenant results, want %d", len(res), n)
		}
		for _, r := range res {
			if r.Err != nil {
				return Result{}, fmt.Errorf("tenant %s: %w", r.Tenant, r.Err)
			}
		}
		cpu0 = cpuTime()
		for _, t := range names {
			if err := one(pr.path(t)); err != nil {
				return Result{}, err
			}
		}
		bcpu = append(bcpu, (cpuTime()-cpu0)/time.Duration(n))
	}
	c, b := median(ccpu), median(bcpu)
	r := Result{CinchNS: c, BaselineNS: b, Op: "tenant (CPU)", Reps: e.sc.reps,
		Target: fmt.Sprintf("≤ %.1f ms CPU per tenant", fanOutCPUTarget), Value: c / 1e6, Unit: "ms CPU per tenant"}
	if b > 0 {
		r.Ratio = c / b
	}
	r.Meets = r.Value <= fanOutCPUTarget
	r.Note = fmt.Sprintf("%d tenants, none open in the pool; wall %s per tenant (median); CPU per tenant of each repetition %v; baseline: sequential raw open/count/close, CPU per tenant",
		n, fmtNS(median(wall)), slices.Sorted(slices.Values(ccpu)))
	return r, nil
}
