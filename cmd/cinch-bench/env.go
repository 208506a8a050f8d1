package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
	"github.com/google/uuid"
	"github.com/ncruces/go-sqlite3"
)

// scale is the size of every case in one mode.
type scale struct {
	name, describe string
	reps, bigReps  int // repetitions of cheap cases; of cases over thousands of tenants

	readRows, readOps int // point read: rows in the table, reads per repetition
	insertOps         int // single inserts per repetition
	bulkRows          int // rows per bulk insert
	eagerCreates      int // tenants created per repetition
	lazyCreates       int
	addColumn         []int // materialized tenants
	fanOut            int
	fanOutCPU         int // tenants of issue 14's fan-out CPU case
	branch            int
	httpTenants       int
	httpOps           int
	memRegistered     int
	memTouched        int
	poolTouched       int // tenants touched once each through the handle pool (issue 14)
	vacuum            int
	cliReps           int
}

var fullScale = scale{
	name: "full", describe: "issue 7's sizes",
	reps: 5, bigReps: 3,
	readRows: 10_000, readOps: 20_000, insertOps: 2_000, bulkRows: 100_000,
	eagerCreates: 200, lazyCreates: 5_000,
	addColumn: []int{1_000, 10_000}, fanOut: 10_000, fanOutCPU: 1_000, branch: 1_000,
	httpTenants: 100, httpOps: 20_000,
	memRegistered: 100_000, memTouched: 10_000, poolTouched: 1_000,
	vacuum: 1_000, cliReps: 10,
}

var quickScale = scale{
	name: "quick", describe: "QUICK: smaller sizes and fewer repetitions than issue 7's, not a measurement of its targets",
	reps: 3, bigReps: 1,
	readRows: 2_000, readOps: 3_000, insertOps: 300, bulkRows: 10_000,
	eagerCreates: 30, lazyCreates: 1_000,
	addColumn: []int{100, 1_000}, fanOut: 1_000, fanOutCPU: 1_000, branch: 100,
	httpTenants: 100, httpOps: 10_000,
	memRegistered: 10_000, memTouched: 1_000, poolTouched: 1_000,
	vacuum: 100, cliReps: 5,
}

// tinyScale is for the test: everything at its smallest.
var tinyScale = scale{
	name: "tiny", describe: "test only",
	reps: 1, bigReps: 1,
	readRows: 50, readOps: 20, insertOps: 10, bulkRows: 100,
	eagerCreates: 3, lazyCreates: 10,
	addColumn: []int{3}, fanOut: 5, fanOutCPU: 5, branch: 3,
	httpTenants: 3, httpOps: 20,
	memRegistered: 20, memTouched: 5, poolTouched: 5,
	vacuum: 3, cliReps: 1,
}

var ctxBG = context.Background()

// env holds what cases share: the scale and the temp root.
type env struct {
	sc    scale
	root  string
	log   io.Writer
	n     int
	bins  map[string]string // built binaries
	clean []func()
}

func (e *env) cleanup() {
	for _, f := range slices.Backward(e.clean) {
		f()
	}
}

// dir returns a fresh folder under the temp root.
func (e *env) dir(name string) string {
	e.n++
	d := filepath.Join(e.root, fmt.Sprintf("%02d-%s", e.n, name))
	if err := os.MkdirAll(d, 0o755); err != nil {
		panic(err)
	}
	return d
}

const table = "users"

// project is a fresh cinch project whose branch main has
// users(id, created_at, updated_at, name TEXT, email TEXT), as in
// bench/bench_test.go.
type project struct {
	dir string
	p   *local.Project
	db  *local.DB
}

func newProject(ctx context.Context, dir string, cfg local.Config) (*project, error) {
	if err := local.Init(ctx, dir, ""); err != nil {
		return nil, err
	}
	cfg.Dir = dir
	p, err := local.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	db, err := p.Connect(cinch.Target{})
	if err != nil {
		p.Close(ctx)
		return nil, err
	}
	cols := []cinch.Column{
		{Name: "name", Type: cinch.TypeText, Nullable: true},
		{Name: "email", Type: cinch.TypeText, Nullable: true},
	}
	// Waiting: cases read main's file for the schema.
	if _, err := db.Tables().Create(cinch.WaitForRollout(ctx, nil), table, cols); err != nil {
		p.Close(ctx)
		return nil, err
	}
	return &project{dir: dir, p: p, db: db}, nil
}

func (pr *project) close() { pr.p.Close(ctxBG) }

// path is where the local engine keeps a tenant's file (local/branch.go).
func (pr *project) path(tenant string) string { return tenantPath(pr.dir, cinch.DefaultBranch, tenant) }

func tenantPath(dir, branch, tenant string) string {
	return filepath.Join(dir, local.ProjectDirName, "databases", cinch.DefaultDatabase,
		"branches", branch, "tenants", tenant+".db")
}

func tname(i int) string { return fmt.Sprintf("t%05d", i) }

// seed creates tenant "seed" through the engine (eager: VACUUM INTO from
// the schema template), optionally with rows (of which the first deleted
// are deleted again), and returns its file.
func (pr *project) seed(ctx context.Context, rows, deleted int) (string, error) {
	if _, err := pr.db.Tenants().Create(ctx, "seed", cinch.TenantCreateOptions{}); err != nil {
		return "", err
	}
	if rows > 0 {
		if _, err := pr.db.WithTenant("seed").InsertMany(ctx, table, records(rows)); err != nil {
			return "", err
		}
	}
	// Leave the file in WAL mode (as a served tenant is) and
	// self-contained (no -wal) before it is copied.
	c, err := openRaw(pr.path("seed"))
	if err != nil {
		return "", err
	}
	defer c.Close()
	if deleted > 0 {
		if err := c.Exec(fmt.Sprintf("DELETE FROM users WHERE rowid IN (SELECT rowid FROM users LIMIT %d)", deleted)); err != nil {
			return "", err
		}
	}
	if err := c.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return "", err
	}
	return pr.path("seed"), nil
}

// fleet gives the project n materialized tenants: main (its own file, with
// the table and no rows) plus t00001..t(n-1) holding the seed's content. Setup shortcut, not measured: the tenants
// are registered through the engine (lazy create), then a byte copy of the
// engine-made seed file is put in place of each, which is what an eager
// create writes (VACUUM INTO the same template) plus the seed's rows.
func (pr *project) fleet(ctx context.Context, n, seedRows, deleted int) ([]string, error) {
	src, err := pr.seed(ctx, seedRows, deleted)
	if err != nil {
		return nil, err
	}
	names := []string{cinch.DefaultTenant}
	for i := 1; i < n; i++ {
		name := tname(i)
		if _, err := pr.db.Tenants().Create(ctx, name, cinch.TenantCreateOptions{Lazy: true}); err != nil {
			return nil, err
		}
		names = append(names, name)
	}
	// Keep a copy of the seed, then drop it from the registry: the fleet is
	// exactly n tenants.
	spare := filepath.Join(pr.dir, "seed-copy.db")
	if err := copyFile(src, spare); err != nil {
		return nil, err
	}
	if err := pr.db.Tenants().Delete(ctx, "seed"); err != nil {
		return nil, err
	}
	for _, name := range names[1:] { // main keeps its own (open) file
		os.Remove(pr.path(name) + "-wal")
		os.Remove(pr.path(name) + "-shm")
		if err := copyFile(spare, pr.path(name)); err != nil {
			return nil, err
		}
	}
	return names, nil
}

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o644)
}

// rawPragmas are the pragmas sqlite.Open (sqlite/conn.go) sets on a tenant
// connection; the busy timeout is set first, through the driver, as there.
const rawPragmas = "PRAGMA foreign_keys=ON; PRAGMA trusted_schema=OFF; PRAGMA temp_store=MEMORY; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"

// openRaw opens path the way a hand-rolled app would, with cinch's pragmas.
func openRaw(path string) (*sqlite3.Conn, error) {
	c, err := sqlite3.OpenFlags(path, sqlite3.OPEN_READWRITE|sqlite3.OPEN_CREATE)
	if err != nil {
		return nil, err
	}
	if err := c.BusyTimeout(local.DefaultBusyTimeout); err != nil {
		c.Close()
		return nil, err
	}
	if err := c.Exec(rawPragmas); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// people are the name/email values both sides insert, cycling.
var people = func() (out [1024][2]string) {
	for i := range out {
		n := strconv.Itoa(i)
		out[i] = [2]string{"user " + n, "user" + n + "@example.com"}
	}
	return out
}()

func records(n int) []cinch.Record {
	recs := make([]cinch.Record, n)
	for i := range recs {
		p := people[i%len(people)]
		recs[i] = cinch.Record{"name": p[0], "email": p[1]}
	}
	return recs
}

func now() string { return time.Now().UTC().Format(cinch.TimeFormat) }

// rawInsertSQL matches what local.DB.InsertMany builds for {name, email}:
// user columns sorted, then id, created_at, updated_at (minus RETURNING *).
const rawInsertSQL = `INSERT INTO "users" ("email", "name", "id", "created_at", "updated_at") VALUES (?, ?, ?, ?, ?)`

func rawInsert(s *sqlite3.Stmt, i int) error {
	p := people[i%len(people)]
	t := now()
	id, err := uuid.NewV7()
	if err != nil {
		return err
	}
	s.BindText(1, p[1])
	s.BindText(2, p[0])
	s.BindText(3, id.String())
	s.BindText(4, t)
	s.BindText(5, t)
	return s.Exec() // steps to the end and resets
}

// rawValue reads column i as sqlite.Query does (minus BOOLEAN mapping).
func rawValue(s *sqlite3.Stmt, i int) any {
	switch s.ColumnType(i) {
	case sqlite3.INTEGER:
		return s.ColumnInt64(i)
	case sqlite3.FLOAT:
		return s.ColumnFloat(i)
	case sqlite3.TEXT:
		return s.ColumnText(i)
	case sqlite3.BLOB:
		return s.ColumnBlob(i, nil)
	}
	return nil
}

// rawScalar runs a one-value query on c.
func rawScalar(c *sqlite3.Conn, sql string) (int64, error) {
	s, _, err := c.Prepare(sql)
	if err != nil {
		return 0, err
	}
	defer s.Close()
	if !s.Step() {
		if err := s.Err(); err != nil {
			return 0, err
		}
		return 0, fmt.Errorf("%s: no row", sql)
	}
	return s.ColumnInt64(0), nil
}

// schemaSQL is the DDL SQLite stores in a tenant file, joined with "; ".
func schemaSQL(path string) (string, error) {
	c, err := openRaw(path)
	if err != nil {
		return "", err
	}
	defer c.Close()
	s, _, err := c.Prepare("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY rowid")
	if err != nil {
		return "", err
	}
	defer s.Close()
	out := ""
	for s.Step() {
		if out != "" {
			out += "; "
		}
		out += s.ColumnText(0)
	}
	if err := s.Err(); err != nil || out == "" {
		return "", fmt.Errorf("no schema in %s: %v", path, err)
	}
	return out, nil
}

// median of the durations, in ns.
func median(ds []time.Duration) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return float64(s[len(s)/2])
	}
	return float64(s[len(s)/2-1]+s[len(s)/2]) / 2
}

// pair times fn for cinch and baseline interleaved (cinch, baseline,
// cinch, ...) so that bursts of load hit both alike; each repetition's
// time is divided by ops. It returns the medians.
func pair(reps, ops int, cinchRep, baseRep func(rep int) error) (c, b float64, err error) {
	var cs, bs []time.Duration
	for rep := range reps {
		for _, side := range []struct {
			fn  func(int) error
			out *[]time.Duration
		}{{cinchRep, &cs}, {baseRep, &bs}} {
			if side.fn == nil {
				continue
			}
			start := time.Now()
			if err := side.fn(rep); err != nil {
				return 0, 0, err
			}
			*side.out = append(*side.out, time.Since(start)/time.Duration(ops))
		}
	}
	return median(cs), median(bs), nil
}

// ratioResult fills ratio and meets for a "≤ limit x" target.
func ratioResult(op string, reps int, c, b, limit float64) Result {
	r := Result{CinchNS: c, BaselineNS: b, Op: op, Reps: reps, Target: fmt.Sprintf("≤ %.1fx", limit)}
	if b > 0 {
		r.Ratio = c / b
		r.Meets = r.Ratio <= limit
	}
	return r
}
