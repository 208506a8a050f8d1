package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// childEnv, when set, makes the binary run one child task (memory
// measurement in a fresh process, the raw per-process CLI baselines).
const childEnv = "CINCH_BENCH_CHILD"

// fleetWithRow is fleet whose tenants all hold the row id "r1".
func (pr *project) fleetWithRow(ctx context.Context, n int) ([]string, error) {
	names, err := pr.fleet(ctx, n, 0, 0)
	if err != nil {
		return nil, err
	}
	// Every tenant (main too) gets the row through the engine.
	for _, t := range names {
		if _, err := pr.db.WithTenant(t).Insert(ctx, table, cinch.Record{"id": "r1", "name": t}); err != nil {
			return nil, err
		}
	}
	return names, nil
}

// ---- memory ----

type memReport struct {
	NSPerTouch float64 `json:"ns_per_touch"`
	RSS        int64   `json:"rss"`  // VmRSS after the touches, bytes
	HWM        int64   `json:"hwm"`  // VmHWM: peak RSS of the process, bytes
	Open       int     `json:"open"` // open tenant handles at the end (cinch child)
}

// caseMemory: a fresh child process registers sc.memRegistered tenants
// (lazy) and touches sc.memTouched of them (one insert and one read by id
// each, on a materialized file), then reports its peak RSS (VmHWM) and
// current RSS. The baseline child does the same touches with the driver
// (open, insert, read, close per tenant) on copies of the same file.
func caseMemory(ctx context.Context, e *env) (Result, error) {
	dir := e.dir("memory")
	reg, touched := strconv.Itoa(e.sc.memRegistered), strconv.Itoa(e.sc.memTouched)
	var c, b memReport
	if err := runChildJSON(ctx, "memory", []string{dir, reg, touched}, &c); err != nil {
		return Result{}, err
	}
	if err := runChildJSON(ctx, "rawmemory", []string{e.dir("memory-raw"), touched}, &b); err != nil {
		return Result{}, err
	}
	mb := float64(c.HWM) / (1 << 20)
	r := Result{CinchNS: c.NSPerTouch, BaselineNS: b.NSPerTouch, Op: "touch", Reps: 1, Target: "RSS ≤ 300 MB",
		Value: mb, Unit: "MB peak RSS", Meets: mb <= 300}
	if b.NSPerTouch > 0 {
		r.Ratio = c.NSPerTouch / b.NSPerTouch
	}
	r.Note = fmt.Sprintf("cinch child: peak %.0f MB, %.0f MB at the end; baseline child (driver loop, one conn at a time): peak %.0f MB; ns are per touched tenant (insert + read)",
		mb, float64(c.RSS)/(1<<20), float64(b.HWM)/(1<<20))
	return r, nil
}

func childMemory(args []string) error {
	ctx := ctxBG
	dir := args[0]
	reg, _ := strconv.Atoi(args[1])
	touched, _ := strconv.Atoi(args[2])
	pr, err := newProject(ctx, dir, local.Config{})
	if err != nil {
		return err
	}
	defer pr.close()
	// Register reg-1 lazy tenants (plus main); touched of them get a file.
	names, err := pr.fleet(ctx, touched, 0, 0)
	if err != nil {
		return err
	}
	for i := touched; i < reg; i++ {
		if _, err := pr.db.Tenants().Create(ctx, tname(i), cinch.TenantCreateOptions{Lazy: true}); err != nil {
			return err
		}
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
	return report(memReport{NSPerTouch: float64(el) / float64(len(names))})
}

func childRawMemory(args []string) error { return rawMemory(args, false) }

// rawMemory is the driver-only child of the memory cases; with gc, it
// returns freed heap to the OS before reporting (as childPoolMemory).
func rawMemory(args []string, gc bool) error {
	ctx := ctxBG
	dir := args[0]
	touched, _ := strconv.Atoi(args[1])
	// A cinch-made tenant file, copied touched times.
	pr, err := newProject(ctx, filepath.Join(dir, "src"), local.Config{})
	if err != nil {
		return err
	}
	src, err := pr.seed(ctx, 0, 0)
	if err != nil {
		return err
	}
	paths := make([]string, touched)
	for i := range paths {
		paths[i] = filepath.Join(dir, tname(i)+".db")
		if err := copyFile(src, paths[i]); err != nil {
			return err
		}
	}
	pr.close()
	start := time.Now()
	for i, p := range paths {
		c, err := openRaw(p)
		if err != nil {
			return err
		}
		s, _, err := c.Prepare(rawInsertSQL)
		if err != nil {
			c.Close()
			return err
		}
		err = rawInsert(s, i)
		s.Close()
		if err == nil {
			_, err = rawScalar(c, "SELECT count(*) FROM users WHERE name IS NOT NULL")
		}
		c.Close()
		if err != nil {
			return err
		}
	}
	el := time.Since(start)
	if gc {
		debug.FreeOSMemory()
	}
	return report(memReport{NSPerTouch: float64(el) / float64(len(paths))})
}

// report prints the child's JSON with its RSS figures.
func report(m memReport) error {
	m.RSS, m.HWM = procStatus("VmRSS:"), procStatus("VmHWM:")
	return json.NewEncoder(os.Stdout).Encode(m)
}

// procStatus reads a kB field of /proc/self/status, in bytes.
func procStatus(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// runChild runs one child task (the binary re-executed with childEnv).
func runChild(name string, args []string) int {
	var err error
	switch name {
	case "memory":
		err = childMemory(args)
	case "rawmemory":
		err = childRawMemory(args)
	case "poolmemory":
		err = childPoolMemory(args)
	case "rawpoolmemory":
		err = rawMemory(args, true)
	case "rawquery":
		err = childRawQuery(args)
	case "rawcreate":
		err = childRawCreate(args)
	default:
		err = fmt.Errorf("unknown child task %q", name)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cinch-bench child:", err)
		return 1
	}
	return 0
}

func runChildJSON(ctx context.Context, name string, args []string, out any) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = append(os.Environ(), childEnv+"="+name)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	data, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("child %s: %v: %s", name, err, strings.TrimSpace(stderr.String()))
	}
	return json.Unmarshal(data, out)
}

// ---- the CLI as a whole process ----

// cinchBinary builds cmd/cinch once into the temp root.
func (e *env) cinchBinary(ctx context.Context) (string, error) {
	if bin, ok := e.bins["cinch"]; ok {
		return bin, nil
	}
	mod, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(e.root, "bin", "cinch")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/cinch")
	cmd.Dir = mod
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/cinch: %v: %s", err, out)
	}
	if e.bins == nil {
		e.bins = map[string]string{}
	}
	e.bins["cinch"] = bin
	return bin, nil
}

// moduleRoot finds the cinch source tree from the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if data, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(data), "module github.com/cinchdb/cinch\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("the CLI cases build cmd/cinch: run cinch-bench inside the cinch source tree")
		}
		dir = parent
	}
}

// timeProcs runs each command reps times, interleaved, and returns the
// median wall time of each.
func timeProcs(ctx context.Context, reps int, cmds ...func(i int) *exec.Cmd) ([]float64, error) {
	ds := make([][]time.Duration, len(cmds))
	for i := range reps + 1 { // the first round warms the page cache and is not counted
		for k, mk := range cmds {
			cmd := mk(i)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = io.Discard, &out
			start := time.Now()
			if err := cmd.Run(); err != nil {
				return nil, fmt.Errorf("%s: %v: %s", strings.Join(cmd.Args, " "), err, out.String())
			}
			if i > 0 {
				ds[k] = append(ds[k], time.Since(start))
			}
		}
	}
	out := make([]float64, len(cmds))
	for k := range ds {
		out[k] = median(ds[k])
	}
	return out, nil
}

func selfCmd(ctx context.Context, child string, args ...string) *exec.Cmd {
	exe, _ := os.Executable()
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = append(os.Environ(), childEnv+"="+child)
	return cmd
}

// caseCLIQuery: `cinch query` as a whole process on a warm project (1,000
// rows in main), against a raw process (this binary re-executed) that
// opens the same file with the pragmas, runs the same query and prints it.
func caseCLIQuery(ctx context.Context, e *env) (Result, error) {
	bin, err := e.cinchBinary(ctx)
	if err != nil {
		return Result{}, err
	}
	dir := e.dir("cli-query")
	pr, err := newProject(ctx, dir, local.Config{})
	if err != nil {
		return Result{}, err
	}
	if _, err := pr.db.InsertMany(ctx, table, records(1000)); err != nil {
		pr.close()
		return Result{}, err
	}
	pr.close()
	const q = "SELECT count(*) AS n FROM users"
	ts, err := timeProcs(ctx, e.sc.cliReps,
		func(int) *exec.Cmd { return exec.CommandContext(ctx, bin, "--project", dir, "query", q) },
		func(int) *exec.Cmd { return selfCmd(ctx, "rawquery", pr.path(cinch.DefaultTenant), q) })
	if err != nil {
		return Result{}, err
	}
	r := Result{CinchNS: ts[0], BaselineNS: ts[1], Ratio: ts[0] / ts[1], Op: "process", Reps: e.sc.cliReps, Target: "report", Meets: true}
	r.Note = "baseline: a Go process (this binary) that opens the file with the pragmas, runs the query and prints the count"
	return r, nil
}

// caseCLICreate: `cinch tenant create NAME` as a whole process, against a
// raw process that creates the same file (DDL + user_version, no registry,
// no fsync).
func caseCLICreate(ctx context.Context, e *env) (Result, error) {
	bin, err := e.cinchBinary(ctx)
	if err != nil {
		return Result{}, err
	}
	dir := e.dir("cli-create")
	pr, err := newProject(ctx, dir, local.Config{})
	if err != nil {
		return Result{}, err
	}
	ch, err := pr.db.Changes(ctx)
	pr.close()
	if err != nil {
		return Result{}, err
	}
	ddl, err := schemaSQL(pr.path(cinch.DefaultTenant))
	if err != nil {
		return Result{}, err
	}
	rawDir := e.dir("cli-create-raw")
	ts, err := timeProcs(ctx, e.sc.cliReps,
		func(i int) *exec.Cmd {
			return exec.CommandContext(ctx, bin, "--project", dir, "tenant", "create", tname(i+1))
		},
		func(i int) *exec.Cmd {
			return selfCmd(ctx, "rawcreate", filepath.Join(rawDir, tname(i+1)+".db"), ddl, strconv.Itoa(len(ch)))
		})
	if err != nil {
		return Result{}, err
	}
	r := Result{CinchNS: ts[0], BaselineNS: ts[1], Ratio: ts[0] / ts[1], Op: "process", Reps: e.sc.cliReps, Target: "report", Meets: true}
	r.Note = "baseline: a Go process (this binary) that creates the same file with the driver (no registry, no fsync)"
	return r, nil
}

func childRawQuery(args []string) error {
	c, err := openRaw(args[0])
	if err != nil {
		return err
	}
	defer c.Close()
	n, err := rawScalar(c, args[1])
	if err != nil {
		return err
	}
	fmt.Println(n)
	return nil
}

func childRawCreate(args []string) error {
	c, err := openRaw(args[0])
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Exec(fmt.Sprintf("BEGIN IMMEDIATE; %s; PRAGMA user_version=%s; COMMIT", args[1], args[2]))
}
