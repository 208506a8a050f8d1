package bench_test

// Each benchmark pairs a cinch case with a baseline ("raw") that a developer
// hand-rolling "one SQLite file per customer" would write with the same
// driver (github.com/ncruces/go-sqlite3, native API):
//
//   - same files: the raw side opens a tenant file that cinch created (so the
//     table, its DEFAULT expressions and its updated_at trigger are
//     byte-for-byte cinch's DDL), or a copy of one;
//   - same pragmas as sqlite/conn.go: busy_timeout, foreign_keys=ON,
//     trusted_schema=OFF, journal_mode=WAL, synchronous=NORMAL;
//   - same data and the same values generated in Go (UUID v7 ids, UTC
//     timestamps in cinch.TimeFormat).
//
// What the raw side does NOT do is exactly cinch's overhead: no authorizer
// guard, no handle pool, no changes.json/registry/journal bookkeeping, no
// RETURNING of inserted rows, no per-query column metadata lookups.
//
// Run: go test -run XXX -bench . -benchtime 2s -count 5 -timeout 30m ./bench/
// CI:  go test -run XXX -bench . -benchtime 1x -short ./bench/

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
	"github.com/google/uuid"
	"github.com/ncruces/go-sqlite3"
)

const (
	readRows = 10_000 // rows in the point-read table
	bulkRows = 10_000 // rows per BulkInsert op (issue 7's full suite: 100k)
	table    = "users"
)

var ctx = context.Background()

// project is a fresh cinch project whose main database has
// users(id, created_at, updated_at, name TEXT, email TEXT).
type project struct {
	dir string
	p   *local.Project
	db  *local.DB // tenant main
}

func newProject(tb testing.TB) *project {
	tb.Helper()
	dir := tb.TempDir()
	if err := local.Init(ctx, dir, ""); err != nil {
		tb.Fatal(err)
	}
	// The cases compare waiting for every tenant with raw loops.
	p, err := local.Open(ctx, local.Config{Dir: dir, WaitForRollout: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Close(ctx) }) // runs before TempDir's removal
	db, err := p.Connect(cinch.Target{})
	if err != nil {
		tb.Fatal(err)
	}
	cols := []cinch.Column{
		{Name: "name", Type: cinch.TypeText, Nullable: true},
		{Name: "email", Type: cinch.TypeText, Nullable: true},
	}
	if _, err := db.Tables().Create(ctx, table, cols); err != nil {
		tb.Fatal(err)
	}
	return &project{dir: dir, p: p, db: db}
}

// tenant creates a materialized tenant and returns its handle.
func (pr *project) tenant(tb testing.TB, name string) *local.DB {
	tb.Helper()
	if _, err := pr.db.Tenants().Create(ctx, name, cinch.TenantCreateOptions{}); err != nil {
		tb.Fatal(err)
	}
	if _, err := os.Stat(pr.path(name)); err != nil {
		tb.Fatalf("tenant file: %v", err)
	}
	return pr.db.WithTenant(name)
}

// path is where the local engine keeps a tenant's file (the layout of
// local/branch.go tenantPath).
func (pr *project) path(tenant string) string {
	return filepath.Join(pr.dir, local.ProjectDirName, "databases", cinch.DefaultDatabase,
		"branches", cinch.DefaultBranch, "tenants", tenant+".db")
}

// rawPragmas are the pragmas sqlite.Open sets on a tenant connection.
const rawPragmas = "PRAGMA foreign_keys=ON; PRAGMA trusted_schema=OFF; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"

// openRaw opens path the way a hand-rolled app would, with cinch's pragmas.
func openRaw(tb testing.TB, path string) *sqlite3.Conn {
	c, err := sqlite3.OpenFlags(path, sqlite3.OPEN_READWRITE|sqlite3.OPEN_CREATE)
	if err != nil {
		tb.Fatal(err)
	}
	if err := c.BusyTimeout(local.DefaultBusyTimeout); err != nil {
		tb.Fatal(err)
	}
	if err := c.Exec(rawPragmas); err != nil {
		tb.Fatal(err)
	}
	return c
}

// cpuTimer reports, when its result is called after the loop, the CPU time
// (user+system, whole process) per op as cpu-ns/op. Wall-clock ns/op
// includes waiting for the CPU when the machine is shared; cpu-ns/op does not.
func cpuTimer(b *testing.B) func() {
	start := cpuNow()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(cpuNow()-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func prepare(tb testing.TB, c *sqlite3.Conn, sql string) *sqlite3.Stmt {
	s, _, err := c.Prepare(sql)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// people are the name/email values both sides insert, cycling.
var people = func() (out [1024][2]string) {
	for i := range out {
		n := strconv.Itoa(i)
		out[i] = [2]string{"user " + n, "user" + n + "@example.com"}
	}
	return out
}()

func newID(tb testing.TB) string {
	id, err := uuid.NewV7()
	if err != nil {
		tb.Fatal(err)
	}
	return id.String()
}

func now() string { return time.Now().UTC().Format(cinch.TimeFormat) }

// rawInsertSQL matches what local.DB.InsertMany builds for {name, email}:
// user columns sorted, then id, created_at, updated_at (minus RETURNING *).
const rawInsertSQL = `INSERT INTO "users" ("email", "name", "id", "created_at", "updated_at") VALUES (?, ?, ?, ?, ?)`

func rawInsert(tb testing.TB, s *sqlite3.Stmt, i int) {
	p := people[i%len(people)]
	t := now()
	s.BindText(1, p[1])
	s.BindText(2, p[0])
	s.BindText(3, newID(tb))
	s.BindText(4, t)
	s.BindText(5, t)
	if err := s.Exec(); err != nil { // steps to the end and resets
		tb.Fatal(err)
	}
}

// rawValue reads column i as local's sqlite.Query does (minus BOOLEAN
// mapping, which this table has no use for).
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

// BenchmarkPointRead: SELECT * by primary key of a random row among 10k.
//
// cinch: db.Query(ctx, "SELECT * FROM users WHERE id = ?", id) — pool
// lookup, a reader connection, the guarded statement from the per-connection
// cache, column names and declared types read per query, every row
// materialized into a cinch.Record (map[string]any) inside a *cinch.Result.
//
// raw: one prepared statement reused; bind id, step, read every column into
// a fresh map[string]any keyed by column names read once at prepare time,
// reset. Both sides return one map holding the same five values.
func BenchmarkPointRead(b *testing.B) {
	pr := newProject(b)
	db := pr.tenant(b, "reads")
	recs := make([]cinch.Record, readRows)
	for i := range recs {
		p := people[i%len(people)]
		recs[i] = cinch.Record{"name": p[0], "email": p[1]}
	}
	out, err := db.InsertMany(ctx, table, recs)
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]string, len(out))
	for i, r := range out {
		ids[i] = r["id"].(string)
	}
	const q = "SELECT * FROM users WHERE id = ?"

	b.Run("cinch", func(b *testing.B) {
		rng := rand.New(rand.NewPCG(1, 2))
		if _, err := db.Query(ctx, q, ids[0]); err != nil { // warm: open the reader
			b.Fatal(err)
		}
		b.ReportAllocs()
		defer cpuTimer(b)()
		for b.Loop() {
			res, err := db.Query(ctx, q, ids[rng.IntN(len(ids))])
			if err != nil || len(res.Rows) != 1 {
				b.Fatal(err, res)
			}
		}
	})

	b.Run("raw", func(b *testing.B) {
		c := openRaw(b, pr.path("reads"))
		defer c.Close()
		s := prepare(b, c, q)
		cols := make([]string, s.ColumnCount())
		for i := range cols {
			cols[i] = s.ColumnName(i)
		}
		rng := rand.New(rand.NewPCG(1, 2))
		b.ReportAllocs()
		defer cpuTimer(b)()
		for b.Loop() {
			s.BindText(1, ids[rng.IntN(len(ids))])
			var row map[string]any
			for s.Step() {
				row = make(map[string]any, len(cols))
				for i, name := range cols {
					row[name] = rawValue(s, i)
				}
			}
			if err := s.Err(); err != nil || row == nil {
				b.Fatal(err, row)
			}
			s.Reset()
		}
	})
}

// BenchmarkInsert: one row with a UUID v7 id and created_at/updated_at, in
// its own autocommit transaction.
//
// cinch: db.Insert(ctx, "users", Record{name, email}) — cinch generates the
// id and timestamps, builds INSERT ... RETURNING * and returns the stored row.
//
// raw: the same values generated in Go, bound to one reused prepared INSERT
// (no RETURNING: the caller already holds the values).
func BenchmarkInsert(b *testing.B) {
	pr := newProject(b)
	cdb := pr.tenant(b, "ins_cinch")
	pr.tenant(b, "ins_raw")

	b.Run("cinch", func(b *testing.B) {
		i := 0
		b.ReportAllocs()
		defer cpuTimer(b)()
		for b.Loop() {
			p := people[i%len(people)]
			i++
			if _, err := cdb.Insert(ctx, table, cinch.Record{"name": p[0], "email": p[1]}); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("raw", func(b *testing.B) {
		c := openRaw(b, pr.path("ins_raw"))
		defer c.Close()
		s := prepare(b, c, rawInsertSQL)
		i := 0
		b.ReportAllocs()
		defer cpuTimer(b)()
		for b.Loop() {
			rawInsert(b, s, i)
			i++
		}
	})
}

// BenchmarkBulkInsert: 10k rows in one transaction per op.
//
// cinch: db.InsertMany(ctx, "users", recs) with 10k prebuilt records (one
// BEGIN IMMEDIATE ... COMMIT; each row gets an id and timestamps and comes
// back through RETURNING *).
//
// raw: BEGIN IMMEDIATE; the reused prepared INSERT bound 10k times with the
// same kind of values generated in Go; COMMIT.
func BenchmarkBulkInsert(b *testing.B) {
	pr := newProject(b)
	cdb := pr.tenant(b, "bulk_cinch")
	pr.tenant(b, "bulk_raw")

	b.Run("cinch", func(b *testing.B) {
		recs := make([]cinch.Record, bulkRows)
		for i := range recs {
			p := people[i%len(people)]
			recs[i] = cinch.Record{"name": p[0], "email": p[1]}
		}
		b.ReportAllocs()
		defer cpuTimer(b)()
		for b.Loop() {
			out, err := cdb.InsertMany(ctx, table, recs)
			if err != nil || len(out) != bulkRows {
				b.Fatal(err, len(out))
			}
		}
		b.ReportMetric(float64(b.N*bulkRows)/b.Elapsed().Seconds(), "rows/s")
	})

	b.Run("raw", func(b *testing.B) {
		c := openRaw(b, pr.path("bulk_raw"))
		defer c.Close()
		s := prepare(b, c, rawInsertSQL)
		b.ReportAllocs()
		defer cpuTimer(b)()
		for b.Loop() {
			if err := c.Exec("BEGIN IMMEDIATE"); err != nil {
				b.Fatal(err)
			}
			for i := range bulkRows {
				rawInsert(b, s, i)
			}
			if err := c.Exec("COMMIT"); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N*bulkRows)/b.Elapsed().Seconds(), "rows/s")
	})
}

// addColumnCounts are the tenant counts of BenchmarkAddColumn (issue 7's
// full suite: 1,000 and 10,000).
var addColumnCounts = []int{100, 1000}

// fanOutWorkers is the parallelism of cinch's rollout (local/branch.go
// forEachTenant), used by the raw-parallel variant.
func fanOutWorkers() int { return min(max(runtime.GOMAXPROCS(0), 2), 8) }

func skipLarge(b *testing.B, n int) {
	if n > 100 && testing.Short() {
		b.Skip("-short: only 100 tenants")
	}
}

// BenchmarkAddColumn: add one nullable TEXT column to users on every
// materialized tenant; each op adds a new column name.
//
// cinch: db.Columns().Add — branch lock, plan, check on an in-memory
// template, commit changes.json, journal, then every tenant migrated
// (open, read user_version, BEGIN IMMEDIATE, ALTER, user_version, COMMIT,
// passive checkpoint, close) by fanOutWorkers() goroutines.
//
// raw: a sequential loop over the same number of identical tenant files
// (copies of a cinch-created one): open with the pragmas, then
// "BEGIN IMMEDIATE; ALTER TABLE users ADD COLUMN ...; PRAGMA user_version=N;
// COMMIT", close. raw-parallel does the same with fanOutWorkers()
// goroutines, for comparison only (issue 7's target is the plain loop).
func BenchmarkAddColumn(b *testing.B) {
	b.Run("cinch", func(b *testing.B) {
		for _, n := range addColumnCounts {
			b.Run(fmt.Sprintf("tenants=%d", n), func(b *testing.B) {
				skipLarge(b, n)
				pr := newProject(b)
				for i := 1; i < n; i++ { // plus main: n materialized tenants
					pr.tenant(b, fmt.Sprintf("t%05d", i))
				}
				cols := pr.db.Columns()
				base := versionOf(b, pr)
				i := 0
				b.ReportAllocs()
				defer cpuTimer(b)()
				for b.Loop() {
					i++
					col := cinch.Column{Name: "c" + strconv.Itoa(i), Type: cinch.TypeText, Nullable: true}
					if _, err := cols.Add(ctx, table, col); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				checkVersion(b, pr.path(fmt.Sprintf("t%05d", n-1)), base+i)
				b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "tenants/s")
			})
		}
	})
	for _, variant := range []string{"raw", "raw-parallel"} {
		workers := 1
		if variant == "raw-parallel" {
			workers = fanOutWorkers()
		}
		b.Run(variant, func(b *testing.B) {
			for _, n := range addColumnCounts {
				b.Run(fmt.Sprintf("tenants=%d", n), func(b *testing.B) {
					skipLarge(b, n)
					pr := newProject(b)
					pr.tenant(b, "seed")
					base := versionOf(b, pr)
					dir := b.TempDir()
					paths := make([]string, n)
					for i := range paths {
						paths[i] = filepath.Join(dir, fmt.Sprintf("t%05d.db", i))
						copyFile(b, pr.path("seed"), paths[i])
					}
					i := 0
					b.ReportAllocs()
					defer cpuTimer(b)()
					for b.Loop() {
						i++
						sql := fmt.Sprintf(`BEGIN IMMEDIATE; ALTER TABLE "users" ADD COLUMN "c%d" TEXT; PRAGMA user_version=%d; COMMIT`, i, base+i)
						rawAlterAll(b, paths, sql, workers)
					}
					b.StopTimer()
					checkVersion(b, paths[n-1], base+i)
					b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "tenants/s")
				})
			}
		})
	}
}

// rawAlterAll opens each file, runs sql, closes it; workers at a time.
func rawAlterAll(b *testing.B, paths []string, sql string, workers int) {
	one := func(path string) error {
		c, err := sqlite3.OpenFlags(path, sqlite3.OPEN_READWRITE|sqlite3.OPEN_CREATE)
		if err != nil {
			return err
		}
		defer c.Close()
		if err := c.BusyTimeout(local.DefaultBusyTimeout); err != nil {
			return err
		}
		if err := c.Exec(rawPragmas); err != nil {
			return err
		}
		return c.Exec(sql)
	}
	if workers <= 1 {
		for _, p := range paths {
			if err := one(p); err != nil {
				b.Fatal(err)
			}
		}
		return
	}
	var (
		wg    sync.WaitGroup
		next  = make(chan string)
		errMu sync.Mutex
		first error
	)
	for range workers {
		wg.Go(func() {
			for p := range next {
				if err := one(p); err != nil {
					errMu.Lock()
					first = err
					errMu.Unlock()
				}
			}
		})
	}
	for _, p := range paths {
		next <- p
	}
	close(next)
	wg.Wait()
	if first != nil {
		b.Fatal(first)
	}
}

// versionOf is the branch's schema version (changes applied).
func versionOf(tb testing.TB, pr *project) int {
	ch, err := pr.db.Changes(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return len(ch)
}

// checkVersion makes sure the work was done: the file is at want.
func checkVersion(tb testing.TB, path string, want int) {
	c := openRaw(tb, path)
	defer c.Close()
	s, _, err := c.Prepare("PRAGMA user_version")
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	if !s.Step() {
		tb.Fatal(s.Err())
	}
	if got := s.ColumnInt(0); got != want {
		tb.Fatalf("%s: user_version %d, want %d", path, got, want)
	}
}

func copyFile(tb testing.TB, src, dst string) {
	in, err := os.Open(src)
	if err != nil {
		tb.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		tb.Fatal(err)
	}
	if err := out.Close(); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkTenantCreate: register a tenant; eager also writes its file
// (VACUUM INTO from the schema template, fsync, rename, fsync dir); lazy
// only adds the registry row. Reports tenants/s (targets: ≥1,000/s eager,
// ≥20,000/s lazy).
//
// raw is for comparison only (issue 7 sets absolute rates here): a
// hand-rolled app creating the same file — open a new file with the
// pragmas, run cinch's DDL for users (table and trigger) and set
// user_version in one transaction, close. It keeps no registry and does
// not fsync the directory.
func BenchmarkTenantCreate(b *testing.B) {
	for _, mode := range []string{"eager", "lazy"} {
		b.Run(mode, func(b *testing.B) {
			pr := newProject(b)
			ts := pr.db.Tenants()
			opts := cinch.TenantCreateOptions{Lazy: mode == "lazy"}
			i := 0
			b.ReportAllocs()
			defer cpuTimer(b)()
			for b.Loop() {
				i++
				if _, err := ts.Create(ctx, "t"+strconv.Itoa(i), opts); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tenants/s")
		})
	}
	b.Run("raw", func(b *testing.B) {
		pr := newProject(b)
		base := versionOf(b, pr)
		ddl := schemaSQL(b, pr.path(cinch.DefaultTenant))
		script := fmt.Sprintf("BEGIN IMMEDIATE; %s; PRAGMA user_version=%d; COMMIT", ddl, base)
		dir := b.TempDir()
		i := 0
		b.ReportAllocs()
		defer cpuTimer(b)()
		for b.Loop() {
			i++
			c := openRaw(b, filepath.Join(dir, "t"+strconv.Itoa(i)+".db"))
			if err := c.Exec(script); err != nil {
				b.Fatal(err)
			}
			c.Close()
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tenants/s")
	})
}

// schemaSQL is the DDL SQLite stores in a tenant file, joined with "; ".
func schemaSQL(tb testing.TB, path string) string {
	c := openRaw(tb, path)
	defer c.Close()
	s, _, err := c.Prepare("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY rowid")
	if err != nil {
		tb.Fatal(err)
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
		tb.Fatal("no schema", err)
	}
	return out
}
