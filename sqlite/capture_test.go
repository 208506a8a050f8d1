package sqlite_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/sqlite"
)

// testCapturer captures the files given to it; others pass through.
type testCapturer struct {
	mu    sync.Mutex
	sinks map[string]sqlite.Sink
}

func (c *testCapturer) SinkFor(path string) (sqlite.Sink, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.sinks[path]
	return s, ok
}

func (c *testCapturer) set(path string, s sqlite.Sink) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sinks[path] = s
}

// capture installs a capturer for the test's duration.
func capture(t *testing.T) *testCapturer {
	t.Helper()
	c := &testCapturer{sinks: map[string]sqlite.Sink{}}
	sqlite.SetCapturer(c)
	t.Cleanup(func() { sqlite.SetCapturer(nil) })
	return c
}

// recorder is a sink keeping every commit.
type recorder struct {
	mu      sync.Mutex
	commits []sqlite.Commit
	fail    error // when set, commits fail with it
}

func (r *recorder) sink(c sqlite.Commit) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.commits = append(r.commits, c)
	return nil
}

func mustExec(t *testing.T, c *sqlite.Conn, sql string) {
	t.Helper()
	if err := c.Exec(sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// replay applies the recorded commits to a new file and returns its bytes.
func replay(t *testing.T, commits []sqlite.Commit) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "replayed.db")
	if err := sqlite.ApplyCommits(path, commits...); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkpointed returns the bytes of the database at path after a full
// checkpoint, as a reader opening it would see them.
func checkpointed(t *testing.T, c *sqlite.Conn, path string) []byte {
	t.Helper()
	if err := c.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The captured commits of a history with every kind of write (DDL, small
// and large transactions, a cache spill with pages rewritten in place, a
// rollback after a spill, a delete that shrinks the file, VACUUM) replay
// onto an empty file into exactly the bytes SQLite checkpoints.
func TestCaptureReplayIsByteIdentical(t *testing.T) {
	ctx := context.Background()
	capt := capture(t)
	path := filepath.Join(t.TempDir(), "t.db")
	rec := &recorder{}
	capt.set(path, rec.sink)

	c, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	mustExec(t, c, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, b BLOB)")
	mustExec(t, c, "CREATE INDEX t_v ON t(v)")
	for i := range 50 {
		mustExec(t, c, fmt.Sprintf("INSERT INTO t (v) VALUES ('row %d')", i))
	}
	// A transaction larger than the page cache: SQLite spills frames to the
	// WAL mid-transaction and rewrites some of them in place before commit.
	mustExec(t, c, "PRAGMA cache_size = 8")
	mustExec(t, c, "BEGIN")
	for i := range 400 {
		mustExec(t, c, fmt.Sprintf("INSERT INTO t (v, b) VALUES ('big %d', randomblob(300))", i))
	}
	mustExec(t, c, "UPDATE t SET v = v || '!' WHERE id % 3 = 0")
	mustExec(t, c, "COMMIT")
	// A spilled transaction rolled back: its frames must never be captured.
	mustExec(t, c, "BEGIN")
	for i := range 300 {
		mustExec(t, c, fmt.Sprintf("INSERT INTO t (v, b) VALUES ('gone %d', randomblob(300))", i))
	}
	mustExec(t, c, "ROLLBACK")
	mustExec(t, c, "INSERT INTO t (v) VALUES ('after rollback')")
	mustExec(t, c, "DELETE FROM t WHERE id > 100")
	mustExec(t, c, "VACUUM")
	mustExec(t, c, "INSERT INTO t (v) VALUES ('after vacuum')")

	want := checkpointed(t, c, path)
	if len(rec.commits) == 0 {
		t.Fatal("no commit was captured")
	}
	for _, cm := range rec.commits {
		for _, p := range cm.Pages {
			if strings.Contains(string(p.Data), "gone ") {
				t.Fatal("a page of the rolled-back transaction was captured")
			}
		}
	}
	if got := replay(t, rec.commits); !bytes.Equal(got, want) {
		t.Fatalf("replayed file (%d bytes) differs from the checkpointed one (%d bytes)", len(got), len(want))
	}
	// Replaying from an earlier point onto a later state is harmless.
	path2 := filepath.Join(t.TempDir(), "again.db")
	if err := sqlite.ApplyCommits(path2, rec.commits...); err != nil {
		t.Fatal(err)
	}
	if err := sqlite.ApplyCommits(path2, rec.commits[len(rec.commits)/2:]...); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path2); !bytes.Equal(got, want) {
		t.Fatal("replaying a suffix again changed the file")
	}
}

// A sink that fails fails the commit: nothing of the transaction is visible
// to this connection, to another connection, or after reopening.
func TestCaptureFailedSinkFailsTheCommit(t *testing.T) {
	ctx := context.Background()
	capt := capture(t)
	path := filepath.Join(t.TempDir(), "t.db")
	rec := &recorder{}
	capt.set(path, rec.sink)
	c, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, c, "CREATE TABLE t (v TEXT)")
	mustExec(t, c, "INSERT INTO t VALUES ('kept')")

	rec.fail = errors.New("the log refused it")
	if err := c.Exec("INSERT INTO t VALUES ('lost')"); err == nil {
		t.Fatal("the commit succeeded though its sink failed")
	}
	rec.fail = nil

	count := func(c *sqlite.Conn) int64 {
		t.Helper()
		res, err := c.Query(ctx, cinch.QueryOptions{}, "SELECT count(*) FROM t")
		if err != nil {
			t.Fatal(err)
		}
		return res.Rows[0][0].(int64)
	}
	if n := count(c); n != 1 {
		t.Fatalf("the writer sees %d rows, want 1", n)
	}
	other, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(other); n != 1 {
		t.Fatalf("another connection sees %d rows, want 1", n)
	}
	// The next commit works and lands where the failed one would have.
	mustExec(t, c, "INSERT INTO t VALUES ('next')")
	if n := count(other); n != 2 {
		t.Fatalf("after the next commit another connection sees %d rows, want 2", n)
	}
	other.Close()
	c.Close()
	c, err = sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if n := count(c); n != 2 {
		t.Fatalf("reopened: %d rows, want 2", n)
	}
	want := checkpointed(t, c, path)
	if got := replay(t, rec.commits); !bytes.Equal(got, want) {
		t.Fatal("the replayed log differs from the file")
	}
}

// A captured file with no sink (a tenant this node does not own) refuses
// every commit with ErrNotOwner; files the capturer does not know pass.
func TestCaptureNoSinkRefusesCommits(t *testing.T) {
	ctx := context.Background()
	capt := capture(t)
	dir := t.TempDir()
	owned := filepath.Join(dir, "owned.db")
	plain := filepath.Join(dir, "plain.db")
	capt.set(owned, nil)

	c, err := sqlite.Open(ctx, owned, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Exec("CREATE TABLE t (v TEXT)"); !errors.Is(err, cinch.ErrNotOwner) {
		t.Fatalf("commit without a sink: %v, want ErrNotOwner", err)
	}
	p, err := sqlite.Open(ctx, plain, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	mustExec(t, p, "CREATE TABLE t (v TEXT)")
}

// ApplyCommits refuses a malformed commit instead of writing garbage.
func TestApplyCommitsRefusesBadPages(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	bad := []sqlite.Commit{
		{PageSize: 4096, DBPages: 1, Pages: []sqlite.Page{{No: 1, Data: make([]byte, 100)}}},
		{PageSize: 4096, DBPages: 1, Pages: []sqlite.Page{{No: 0, Data: make([]byte, 4096)}}},
	}
	for i, c := range bad {
		if err := sqlite.ApplyCommits(path, c); err == nil {
			t.Errorf("case %d: applied", i)
		}
	}
}
