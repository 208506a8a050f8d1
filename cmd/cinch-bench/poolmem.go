package main

import (
	"context"
	"fmt"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// poolMemTarget is issue 14's bound on the RSS of a process that touched
// 1,000 tenants once each through the handle pool.
const poolMemTarget = 40 // MiB

// casePoolMemory: issue 14's "RSS after touching 1,000 tenants once each
// through the handle pool". A fresh child process opens a project with
// sc.poolTouched materialized tenants (default Config), touches each once
// (an insert and a read by id, in order), then runs debug.FreeOSMemory (a
// GC that also returns freed heap to the OS) and reports VmRSS: what the
// process keeps for its open tenants, not the garbage of the loop. The
// baseline child does the same touches with the driver (open, insert,
// read, close per tenant) on copies of the same file; its figure is in
// the note.
func casePoolMemory(ctx context.Context, e *env) (Result, error) {
	n := strconv.Itoa(e.sc.poolTouched)
	var c, b memReport
	if err := runChildJSON(ctx, "poolmemory", []string{e.dir("poolmem"), n}, &c); err != nil {
		return Result{}, err
	}
	if err := runChildJSON(ctx, "rawpoolmemory", []string{e.dir("poolmem-raw"), n}, &b); err != nil {
		return Result{}, err
	}
	mib := float64(c.RSS) / (1 << 20)
	r := Result{CinchNS: c.NSPerTouch, BaselineNS: b.NSPerTouch, Op: "touch", Reps: 1,
		Target: fmt.Sprintf("RSS after GC ≤ %d MiB", poolMemTarget), Value: mib, Unit: "MiB RSS after GC",
		Meets: mib <= poolMemTarget}
	if b.NSPerTouch > 0 {
		r.Ratio = c.NSPerTouch / b.NSPerTouch
	}
	r.Note = fmt.Sprintf("cinch child: %.1f MiB after GC, peak %.1f MiB, %d handles open; baseline child (driver, one conn at a time): %.1f MiB after GC, peak %.1f MiB; ns are per touch (insert + read)",
		mib, float64(c.HWM)/(1<<20), c.Open, float64(b.RSS)/(1<<20), float64(b.HWM)/(1<<20))
	return r, nil
}

func childPoolMemory(args []string) error {
	ctx := ctxBG
	touched, _ := strconv.Atoi(args[1])
	pr, err := newProject(ctx, args[0], local.Config{})
	if err != nil {
		return err
	}
	defer pr.close()
	names, err := pr.fleet(ctx, touched, 0, 0)
	if err != nil {
		return err
	}
	start := time.Now()
	for i, t := range names {
		db := pr.db.WithTenant(t)
		rec, err := db.Insert(ctx, table, cinch.Record{"name": people[i%len(people)][0]})
		if err != nil {
			return err
		}
		if res, err := db.Query(ctx, "SELECT * FROM users WHERE id = ?", rec["id"]); err != nil || len(res.Rows) != 1 {
			return fmt.Errorf("read %s: %v", t, err)
		}
	}
	el := time.Since(start)
	debug.FreeOSMemory()
	return report(memReport{NSPerTouch: float64(el) / float64(len(names)), Open: pr.p.OpenTenantHandles()})
}
