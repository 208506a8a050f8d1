package main

// Crash torture: the real binary is killed with SIGKILL at a random point
// while it changes the schema of hundreds of tenants, merges a branch,
// copies, renames, deletes, archives, restores a tenant or rotates an
// encrypted tenant's key. After each kill `cinch tenant check --all` must
// converge the project: one schema version (the branch's change count) on
// every tenant, integrity ok, every acknowledged row still there, no
// half-written file, journal or temporary folder left, and the operation
// either fully done or not done at all.
//
// The random delay only decides *where* the kill lands; the verdict never
// depends on timing (a run the kill missed must satisfy the same checks).
// The seed is logged, and CINCH_TORTURE_SEED replays a run.
// CINCH_TORTURE_TRIALS=N (make torture) runs N trials per operation.

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

// tortureTrials is the number of kills per operation: 3 in a normal
// `go test`, CINCH_TORTURE_TRIALS in long runs.
func tortureTrials(t *testing.T) int {
	if s := os.Getenv("CINCH_TORTURE_TRIALS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("CINCH_TORTURE_TRIALS=%q: want a positive integer", s)
		}
		return n
	}
	return 3
}

func tortureSeed(t *testing.T) int64 {
	if s := os.Getenv("CINCH_TORTURE_SEED"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("CINCH_TORTURE_SEED=%q: %v", s, err)
		}
		return n
	}
	return time.Now().UnixNano()
}

// cinchCmd is the command runner.run would start, not yet started.
func cinchCmd(dir string, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CINCHDB_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = strings.NewReader("")
	return cmd
}

// torture drives one operation's trials and keeps the counters.
type torture struct {
	t    *testing.T
	c    runner
	dir  string
	rng  *rand.Rand
	seed int64
	op   string

	trials, kills, misses int
	writes                int // acknowledged rows checked after a kill
	trial                 int
	delay                 time.Duration
	span                  time.Duration // how long an uninterrupted run takes
}

// leftover reports a file a finished operation must not leave.
func (tt *torture) leftover(rel, what string) {
	tt.t.Helper()
	tt.t.Errorf("trial %d: %s %s", tt.trial, what, rel)
}

func newTorture(t *testing.T, op string, seed int64) *torture {
	dir := t.TempDir()
	tt := &torture{t: t, c: runner{t: t, dir: dir}, dir: dir, rng: rand.New(rand.NewSource(seed)), seed: seed, op: op}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("REPRODUCE: CINCH_TORTURE_SEED=%d go test ./cmd/cinch -run '%s' (op %s, failed at trial %d, kill delay %v, span %v)",
				seed, t.Name(), op, tt.trial, tt.delay, tt.span)
		}
		tortureTotals.add(tt)
	})
	return tt
}

// killRun runs cinch args and sends SIGKILL after a random delay in
// [0, 1.2 span). It reports whether the kill landed; a run it missed must
// have succeeded.
func (tt *torture) killRun(args ...string) bool {
	tt.t.Helper()
	tt.trial++
	tt.trials++
	tt.delay = time.Duration(tt.rng.Int63n(int64(tt.span)*6/5 + 1))
	cmd := cinchCmd(tt.dir, tt.c.env, args...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		tt.t.Fatal(err)
	}
	timer := time.AfterFunc(tt.delay, func() { cmd.Process.Signal(syscall.SIGKILL) })
	err := cmd.Wait()
	timer.Stop()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
		tt.kills++
		return true
	}
	if err != nil {
		tt.t.Fatalf("trial %d: cinch %s (not killed, after %v): %v\nstdout:\n%s\nstderr:\n%s", tt.trial, strings.Join(args, " "), time.Since(start), err, stdout.String(), stderr.String())
	}
	tt.misses++
	return false
}

// calibrate runs args to completion and remembers how long it took, so the
// kills of the next trials land inside the operation.
func (tt *torture) calibrate(args ...string) {
	tt.t.Helper()
	start := time.Now()
	tt.c.ok(args...)
	tt.span = time.Since(start)
}

type tenantCheck struct {
	Tenant        string   `json:"tenant"`
	State         string   `json:"state"`
	SchemaVersion int      `json:"schema_version"`
	BranchVersion int      `json:"branch_version"`
	Drift         bool     `json:"drift"`
	Integrity     []string `json:"integrity"`
	OK            bool     `json:"ok"`
}

// changeCount is the number of change records of a branch.
func changeCount(c runner, branch string) int {
	c.t.Helper()
	var changes []map[string]any
	c.json(&changes, "branch", "changes", branch)
	return len(changes)
}

// converge runs the converging command (`tenant check --all`, with extra
// flags such as --key) and asserts every tenant is healthy and on the
// branch's version. It returns the checks by tenant.
func (tt *torture) converge(extra ...string) map[string]tenantCheck {
	tt.t.Helper()
	var checks []tenantCheck
	tt.c.json(&checks, append([]string{"tenant", "check", "--all"}, extra...)...)
	want := changeCount(tt.c, "main")
	out := map[string]tenantCheck{}
	for _, ch := range checks {
		out[ch.Tenant] = ch
		if !ch.OK || ch.Drift || ch.SchemaVersion != want || ch.BranchVersion != want ||
			len(ch.Integrity) != 1 || ch.Integrity[0] != "ok" {
			tt.t.Errorf("trial %d: tenant %s after converging: %+v (branch has %d changes)", tt.trial, ch.Tenant, ch, want)
		}
	}
	tt.noLeftovers()
	return out
}

// noLeftovers walks the project and fails on any file a finished operation
// must not leave: temporary files, a journal, half-made or half-deleted
// folders, a -wal/-shm without its database, a tenant file or archive the
// registry does not account for.
func (tt *torture) noLeftovers() {
	tt.t.Helper()
	root := filepath.Join(tt.dir, ".cinchdb")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		name := d.Name()
		switch {
		case strings.Contains(name, ".creating"), strings.Contains(name, ".deleting"): // .NAME.creating.<random>
			tt.leftover(rel, "leftover folder")
		case strings.Contains(name, ".tmp"), strings.Contains(name, ".rotate"), name == "journal.json":
			tt.leftover(rel, "leftover file")
		case strings.HasSuffix(name, "-wal"), strings.HasSuffix(name, "-shm"):
			if db := strings.TrimSuffix(strings.TrimSuffix(path, "-wal"), "-shm"); !exists(db) {
				tt.t.Errorf("trial %d: %s without its database", tt.trial, rel)
			}
		}
		return nil
	})
	if err != nil {
		tt.t.Fatal(err)
	}
	// Every tenant file and archive belongs to a registered tenant in the
	// matching state.
	var list []map[string]any
	tt.c.json(&list, "tenant", "list")
	state := map[string]string{}
	for _, e := range list {
		state[e["name"].(string)], _ = e["state"].(string)
	}
	bdir := filepath.Join(root, "databases", "main", "branches", "main")
	files, _ := filepath.Glob(filepath.Join(bdir, "tenants", "*.db"))
	for _, f := range files {
		n := strings.TrimSuffix(filepath.Base(f), ".db")
		if s, ok := state[n]; !ok || s == "archived" || s == "lazy" {
			tt.t.Errorf("trial %d: tenant file %s but tenant state %q (registered: %v)", tt.trial, filepath.Base(f), s, ok)
		}
	}
	arcs, _ := filepath.Glob(filepath.Join(bdir, "archive", "*"))
	for _, f := range arcs {
		n := strings.TrimSuffix(filepath.Base(f), ".db.zst")
		if s := state[n]; s != "archived" {
			tt.leftover("databases/main/branches/main/archive/"+filepath.Base(f), fmt.Sprintf("tenant state %q, yet archive", s))
		}
	}
}

// markers returns the markers stored in a tenant's items table.
func markers(c runner, tenant string, extra ...string) map[string]bool {
	c.t.Helper()
	var rows []map[string]any
	c.json(&rows, append([]string{"query", "SELECT marker FROM items", "--tenant", tenant}, extra...)...)
	out := map[string]bool{}
	for _, r := range rows {
		m, _ := r["marker"].(string)
		out[m] = true
	}
	return out
}

// allMarkers reads every served tenant's markers in one fan-out query.
func allMarkers(c runner, extra ...string) map[string]map[string]bool {
	c.t.Helper()
	var per []struct {
		Tenant string           `json:"tenant"`
		Rows   []map[string]any `json:"rows"`
		Error  string           `json:"error"`
	}
	c.json(&per, append([]string{"query", "SELECT marker FROM items", "--all-tenants"}, extra...)...)
	out := map[string]map[string]bool{}
	for _, e := range per {
		if e.Error != "" {
			c.t.Errorf("tenant %s: %s", e.Tenant, e.Error)
		}
		out[e.Tenant] = map[string]bool{}
		for _, r := range e.Rows {
			m, _ := r["marker"].(string)
			out[e.Tenant][m] = true
		}
	}
	return out
}

// checkAll asserts every acknowledged marker of every tenant is there.
func (tt *torture) checkAll(acked map[string]map[string]bool) {
	tt.t.Helper()
	got := allMarkers(tt.c)
	for tenant, want := range acked {
		lost := 0
		for m := range want {
			tt.writes++
			if !got[tenant][m] {
				lost++
			}
		}
		if lost > 0 {
			tt.t.Errorf("trial %d: tenant %s lost %d of %d acknowledged rows", tt.trial, tenant, lost, len(want))
		}
	}
}

// checkRows asserts every acknowledged marker is in the tenant.
func (tt *torture) checkRows(tenant string, want map[string]bool, extra ...string) {
	tt.t.Helper()
	got := markers(tt.c, tenant, extra...)
	for m := range want {
		tt.writes++
		if !got[m] {
			tt.t.Errorf("trial %d: tenant %s lost acknowledged row %q (has %d rows)", tt.trial, tenant, m, len(got))
		}
	}
}

// insert writes n rows to tenant through the CLI (one process, one array)
// and records them as acknowledged.
func (tt *torture) insert(acked map[string]map[string]bool, tenant string, n int, extra ...string) {
	tt.t.Helper()
	var recs []map[string]any
	for i := 0; i < n; i++ {
		m := fmt.Sprintf("%s-%d-%d", tenant, tt.trial, len(acked[tenant])+i)
		recs = append(recs, map[string]any{"marker": m})
	}
	data, _ := json.Marshal(recs)
	tt.c.ok(append([]string{"data", "insert", "items", "--tenant", tenant, "--data", string(data)}, extra...)...)
	if acked[tenant] == nil {
		acked[tenant] = map[string]bool{}
	}
	for _, r := range recs {
		acked[tenant][r["marker"].(string)] = true
	}
}

// tenantNames lists registered tenants.
func tenantNames(c runner) map[string]string {
	c.t.Helper()
	var list []map[string]any
	c.json(&list, "tenant", "list")
	out := map[string]string{}
	for _, e := range list {
		s, _ := e["state"].(string)
		out[e["name"].(string)] = s
	}
	return out
}

// bigInsert fills a tenant with n rows through the library-free path: a
// few large CLI inserts.
func (tt *torture) bigInsert(acked map[string]map[string]bool, tenant string, n int, extra ...string) {
	for n > 0 {
		k := min(n, 2000)
		tt.insert(acked, tenant, k, extra...)
		n -= k
	}
}

// ---- totals ----

type totals struct {
	mu                            sync.Mutex
	trials, kills, misses, writes int
	ops                           []string
}

var tortureTotals totals

func (s *totals) add(tt *torture) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.trials += tt.trials
	s.kills += tt.kills
	s.misses += tt.misses
	s.writes += tt.writes
	s.ops = append(s.ops, fmt.Sprintf("%s:%d/%d", tt.op, tt.kills, tt.trials))
}

func TestTorture(t *testing.T) {
	seed := tortureSeed(t)
	n := tortureTrials(t)
	start := time.Now()
	t.Logf("torture seed %d, %d trials per operation (CINCH_TORTURE_SEED=%d replays)", seed, n, seed)
	t.Run("ColumnAdd", func(t *testing.T) { tortureColumnAdd(t, seed+1, n) })
	t.Run("Merge", func(t *testing.T) { tortureMerge(t, seed+2, n) })
	t.Run("TenantOps", func(t *testing.T) { tortureTenantOps(t, seed+3, n) })
	t.Run("ArchiveRestore", func(t *testing.T) { tortureArchive(t, seed+4, n) })
	t.Run("RotateKey", func(t *testing.T) { tortureRotate(t, seed+5, n) })
	s := &tortureTotals
	sort.Strings(s.ops)
	t.Logf("TORTURE SUMMARY: seed %d, %d trials, %d kills landed, %d runs finished before the kill, %d acknowledged writes checked, %v; per op (kills/trials): %s",
		seed, s.trials, s.kills, s.misses, s.writes, time.Since(start).Round(time.Millisecond), strings.Join(s.ops, " "))
}

// ---- operations ----

// tortureColumnAdd: schema changes over 300 tenants (60 with files and
// rows, 240 lazy), alternating a plain column add (commit, then roll out)
// with a UNIQUE index (prepare on every tenant, commit, or undo).
func tortureColumnAdd(t *testing.T, seed int64, n int) {
	tt := newTorture(t, "schema", seed)
	c := tt.c
	c.ok("init")
	c.ok("table", "create", "items", "marker:TEXT")
	acked := map[string]map[string]bool{}
	// 300 tenants, created fast through the library: every fifth one with
	// a file, the others lazy.
	var eager []string
	ctx := context.Background()
	p, err := local.Open(ctx, local.Config{Dir: tt.dir})
	if err != nil {
		t.Fatal(err)
	}
	db, err := p.Connect(cinch.Target{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 300; i++ {
		name := fmt.Sprintf("t%03d", i)
		if _, err := db.Tenants().Create(ctx, name, cinch.TenantCreateOptions{Lazy: i%5 != 0}); err != nil {
			t.Fatal(err)
		}
		if i%5 == 0 {
			eager = append(eager, name)
		}
	}
	p.Close(ctx)
	for _, name := range eager {
		tt.insert(acked, name, 3)
	}
	tt.calibrate("column", "add", "items", "warmup:TEXT")
	for i := 0; i < n; i++ {
		// New acknowledged rows on a few tenants, including a lazy one
		// (which materializes it).
		tt.insert(acked, eager[tt.rng.Intn(len(eager))], 2)
		tt.insert(acked, fmt.Sprintf("t%03d", 1+5*tt.rng.Intn(59)), 1)
		before := changeCount(c, "main")
		var args []string
		if i%2 == 0 {
			args = []string{"column", "add", "items", fmt.Sprintf("c%d:TEXT", i)}
		} else {
			args = []string{"index", "create", "items", "marker", "--unique", "--name", fmt.Sprintf("ux%d", i)}
		}
		tt.killRun(args...)
		tt.converge()
		after := changeCount(c, "main")
		if after != before && after != before+1 {
			t.Errorf("trial %d: %d changes after, %d before", tt.trial, after, before)
		}
		tt.checkAll(acked)
		if t.Failed() {
			return
		}
	}
	names := tenantNames(c)
	if len(names) != 301 {
		t.Errorf("%d tenants registered, want 301", len(names))
	}
}

// tortureMerge: a branch with three changes is merged into main (20
// tenants with rows) and killed; after converging, main is either before
// or after the merge, and merging again completes it.
func tortureMerge(t *testing.T, seed int64, n int) {
	tt := newTorture(t, "merge", seed)
	c := tt.c
	c.ok("init")
	c.ok("table", "create", "items", "marker:TEXT")
	acked := map[string]map[string]bool{}
	for i := 0; i < 20; i++ {
		name := fmt.Sprintf("m%02d", i)
		c.ok("tenant", "create", name)
		tt.insert(acked, name, 3)
	}
	feature := func(i int) string {
		b := fmt.Sprintf("f%d", i)
		c.ok("branch", "create", b, "--from", "main")
		c.ok("column", "add", "items", fmt.Sprintf("fc%d:TEXT", i), "--branch", b)
		c.ok("table", "create", fmt.Sprintf("extra%d", i), "x:TEXT", "--branch", b)
		c.ok("index", "create", "items", "marker", "--name", fmt.Sprintf("fx%d", i), "--branch", b)
		return b
	}
	tt.calibrate("branch", "merge", feature(99999), "main")
	for i := 0; i < n; i++ {
		b := feature(i)
		tt.insert(acked, fmt.Sprintf("m%02d", tt.rng.Intn(20)), 2)
		before := changeCount(c, "main")
		tt.killRun("branch", "merge", b, "main")
		tt.converge()
		mid := changeCount(c, "main")
		if mid != before && mid != before+3 {
			t.Errorf("trial %d: main has %d changes after the killed merge, %d before: a merge is all or nothing", tt.trial, mid, before)
		}
		// The next merge finishes the job (or finds nothing to do).
		c.ok("branch", "merge", b, "main")
		tt.converge()
		if got := changeCount(c, "main"); got != before+3 {
			t.Errorf("trial %d: main has %d changes after merging again, want %d", tt.trial, got, before+3)
		}
		tt.checkAll(acked)
		if t.Failed() {
			return
		}
	}
}

// tortureTenantOps: copy, rename and delete --force of tenants holding a
// few thousand rows, each killed at a random point.
func tortureTenantOps(t *testing.T, seed int64, n int) {
	tt := newTorture(t, "tenant", seed)
	c := tt.c
	c.ok("init")
	c.ok("table", "create", "items", "marker:TEXT")
	acked := map[string]map[string]bool{}
	c.ok("tenant", "create", "src")
	tt.bigInsert(acked, "src", 6000)
	tt.calibrate("tenant", "copy", "src", "warm")
	for i := 0; i < n; i++ {
		// copy: the target is absent, or complete.
		dst := fmt.Sprintf("cp%d", i)
		tt.killRun("tenant", "copy", "src", dst)
		tt.converge()
		if _, ok := tenantNames(c)[dst]; ok {
			got := markers(c, dst)
			for m := range acked["src"] {
				tt.writes++
				if !got[m] {
					t.Errorf("trial %d: copy %s exists but misses row %q (%d of %d rows): a killed copy left a partial tenant", tt.trial, dst, m, len(got), len(acked["src"]))
					break
				}
			}
			c.ok("tenant", "delete", dst, "--force")
		}
		// rename: exactly one name, with the data.
		from, to := fmt.Sprintf("rn%d", i), fmt.Sprintf("rn%d_new", i)
		c.ok("tenant", "copy", "src", from)
		acked[from] = map[string]bool{}
		for m := range acked["src"] {
			acked[from][m] = true
		}
		tt.insert(acked, from, 5)
		tt.killRun("tenant", "rename", from, to)
		tt.converge()
		names := tenantNames(c)
		_, oldOK := names[from]
		_, newOK := names[to]
		switch {
		case oldOK == newOK:
			t.Errorf("trial %d: after a killed rename, %s registered=%v and %s registered=%v: want exactly one", tt.trial, from, oldOK, to, newOK)
		case oldOK:
			tt.checkRows(from, acked[from])
		default:
			tt.checkRows(to, acked[from])
			if exists(filepath.Join(tt.dir, ".cinchdb/databases/main/branches/main/tenants", from+".db")) {
				t.Errorf("trial %d: renamed tenant's old file still there", tt.trial)
			}
		}
		delete(acked, from)
		// delete --force: all there, or all gone.
		del := fmt.Sprintf("del%d", i)
		c.ok("tenant", "copy", "src", del)
		tt.insert(acked, del, 5)
		tt.killRun("tenant", "delete", del, "--force")
		tt.converge()
		if _, ok := tenantNames(c)[del]; ok {
			tt.checkRows(del, acked[del])
		} else if m, _ := filepath.Glob(filepath.Join(tt.dir, ".cinchdb/databases/main/branches/main/tenants", del+".db*")); len(m) > 0 {
			t.Errorf("trial %d: deleted tenant left files %v", tt.trial, m)
		}
		delete(acked, del)
		tt.checkRows("src", acked["src"])
		if t.Failed() {
			return
		}
	}
}

// tortureArchive: archive then restore, each killed; the tenant is archived
// or served, never both or neither, and its rows survive.
func tortureArchive(t *testing.T, seed int64, n int) {
	tt := newTorture(t, "archive", seed)
	c := tt.c
	c.ok("init")
	c.ok("table", "create", "items", "marker:TEXT")
	acked := map[string]map[string]bool{}
	c.ok("tenant", "create", "arc")
	tt.bigInsert(acked, "arc", 6000)
	tt.calibrate("tenant", "archive", "arc")
	c.ok("tenant", "restore", "arc")
	// archived asks the tenant itself (a query on an archived tenant is
	// refused) and cross-checks what `tenant list` says.
	archived := func() bool {
		r := c.run("query", "SELECT 1", "--tenant", "arc")
		isArchived := r.code != 0 && strings.Contains(r.stderr, "is archived")
		if r.code != 0 && !isArchived {
			t.Fatalf("trial %d: %s", tt.trial, r)
		}
		if listed := tenantNames(c)["arc"] == "archived"; listed != isArchived {
			t.Errorf("trial %d: tenant list says archived=%v, queries say archived=%v", tt.trial, listed, isArchived)
		}
		return isArchived
	}
	for i := 0; i < n; i++ {
		tt.insert(acked, "arc", 3)
		tt.killRun("tenant", "archive", "arc")
		tt.converge()
		if !archived() {
			tt.checkRows("arc", acked["arc"])
			c.ok("tenant", "archive", "arc")
			tt.converge()
		}
		// A schema change while archived: restore must apply it.
		c.ok("column", "add", "items", fmt.Sprintf("a%d:TEXT", i))
		tt.killRun("tenant", "restore", "arc")
		tt.converge()
		if archived() {
			c.ok("tenant", "restore", "arc")
			tt.converge()
		}
		tt.checkRows("arc", acked["arc"])
		if t.Failed() {
			return
		}
	}
}

// tortureRotate: an encrypted tenant's key is rotated and the rotation
// killed; exactly one of the old and new keys opens it, with every row.
func tortureRotate(t *testing.T, seed int64, n int) {
	tt := newTorture(t, "rotate", seed)
	c := tt.c
	c.ok("init")
	c.ok("table", "create", "items", "marker:TEXT")
	acked := map[string]map[string]bool{}
	key := "key-0"
	c.ok("tenant", "create", "sec", "--encrypt", "--key", key)
	tt.bigInsert(acked, "sec", 4000, "--key", key)
	tt.calibrate("tenant", "rotate-key", "sec", "--key", key, "--new-key", "key-1")
	key = "key-1"
	for i := 2; i < n+2; i++ {
		tt.insert(acked, "sec", 3, "--key", key)
		newKey := fmt.Sprintf("key-%d", i)
		tt.killRun("tenant", "rotate-key", "sec", "--key", key, "--new-key", newKey)
		// The converging command runs with either key; then each key is
		// tried on the tenant alone.
		oldRes := tt.c.run("tenant", "check", "sec", "--key", key, "--format", "json")
		newRes := tt.c.run("tenant", "check", "sec", "--key", newKey, "--format", "json")
		oldOK, newOK := oldRes.code == 0, newRes.code == 0
		if oldOK == newOK {
			t.Fatalf("trial %d: after a killed rotation old key opens=%v, new key opens=%v: want exactly one\n%s\n%s", tt.trial, oldOK, newOK, oldRes, newRes)
		}
		if newOK {
			key = newKey
		}
		tt.converge("--key", key)
		tt.checkRows("sec", acked["sec"], "--key", key)
		if t.Failed() {
			return
		}
	}
}
