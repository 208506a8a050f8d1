package cluster

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/sqlite"
)

// A warmed hand-over: b prepares its file while a writes (including a
// transaction large enough to go to the log in parts), a hands the tenant
// over without storing a snapshot, and b's Acquire replays only the records
// appended after its mark. Every step's file equals a's, byte for byte.
func TestClusterWarmHandoff(t *testing.T) {
	ctx := context.Background()
	tc := startTestCluster(t)
	a, rootA := tc.node(t, 0, "a")
	b, rootB := tc.node(t, 1, "b")
	pathA, pathB := tenantPath(rootA), tenantPath(rootB)

	if err := a.Acquire(ctx, acme, pathA); err != nil {
		t.Fatal(err)
	}
	c := openConn(t, pathA)
	exec(t, c, "CREATE TABLE t (v TEXT)")
	for i := range 30 {
		exec(t, c, fmt.Sprintf("INSERT INTO t VALUES ('a%d')", i))
	}
	snapBefore, found, err := a.snapshotSeq(ctx, acme)
	if err != nil || !found {
		t.Fatalf("the base snapshot: %v %v", found, err)
	}

	// b prepares from the snapshot and the log: a's file, and a mark at
	// a's last record.
	seq, warm, err := b.Prepare(ctx, acme, pathB)
	if err != nil || !warm {
		t.Fatalf("prepare: warm %v, %v", warm, err)
	}
	want := fileBytes(t, c, pathA)
	if got, _ := os.ReadFile(pathB); !bytes.Equal(got, want) {
		t.Fatal("the prepared file differs from the owner's")
	}
	if last, _ := a.log.Last(ctx, acme); seq != last {
		t.Fatalf("prepared up to %d, the log ends at %d", seq, last)
	}

	// a keeps writing: a large transaction in parts, and small ones.
	partLimit = 16 << 10
	defer func() { partLimit = 0 }()
	exec(t, c, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 100) INSERT INTO t SELECT hex(randomblob(2000)) FROM n")
	partLimit = 0
	for i := range 5 {
		exec(t, c, fmt.Sprintf("INSERT INTO t VALUES ('late%d')", i))
	}

	// A second prepare catches up from b's own mark.
	seq2, warm, err := b.Prepare(ctx, acme, pathB)
	if err != nil || !warm || seq2 <= seq {
		t.Fatalf("second prepare: up to %d (first %d), warm %v, %v", seq2, seq, warm, err)
	}
	want = fileBytes(t, c, pathA)
	if got, _ := os.ReadFile(pathB); !bytes.Equal(got, want) {
		t.Fatal("the file caught up from the mark differs from the owner's")
	}
	exec(t, c, "INSERT INTO t VALUES ('during the move')")

	// The hand-over: a's release stores no snapshot and hands the lease to b.
	var once sync.Once
	err = a.Handoff(ctx, acme, "b", true, func() {
		once.Do(func() {
			want = fileBytes(t, c, pathA)
			c.Close()
			a.Release(ctx, acme, pathA)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if snap, _, _ := a.snapshotSeq(ctx, acme); snap != snapBefore {
		t.Fatalf("a warm hand-over stored a snapshot (at %d, was %d)", snap, snapBefore)
	}
	catchUps := b.rebuilds[rebuildCatchUp].Load()
	if err := b.Acquire(ctx, acme, pathB); err != nil {
		t.Fatal(err)
	}
	if got := b.rebuilds[rebuildCatchUp].Load(); got != catchUps+1 || b.rebuilds[rebuildFull].Load() != 0 {
		t.Fatalf("b's acquire: %d catch-ups (want %d), %d full rebuilds", got, catchUps+1, b.rebuilds[rebuildFull].Load())
	}
	cb := openConn(t, pathB)
	defer cb.Close()
	if got := fileBytes(t, cb, pathB); !bytes.Equal(got, want) {
		t.Fatal("b's file after the warm hand-over differs from a's")
	}
	if got := rows(t, cb); len(got) != 30+100+5+1 || got[len(got)-1] != "during the move" {
		t.Fatalf("b sees %d rows", len(got))
	}
	exec(t, cb, "INSERT INTO t VALUES ('b0')")
	check, err := cb.Query(ctx, cinch.QueryOptions{}, "PRAGMA integrity_check")
	if err != nil || fmt.Sprint(check.Rows) != "[[ok]]" {
		t.Fatalf("integrity_check on b: %v %v", check, err)
	}
}

// A prepare that finds parts whose commit has not come yet (the owner is
// midway through a large transaction, or died there) marks the file where
// the last whole transaction ends: the Acquire that follows replays the
// parts again (here a takeover drops them: the owner died).
func TestClusterPrepareStopsBeforeParts(t *testing.T) {
	ctx := context.Background()
	tc := startTestCluster(t)
	a, rootA := tc.node(t, 0, "a")
	b, rootB := tc.node(t, 1, "b")
	pathA, pathB := tenantPath(rootA), tenantPath(rootB)

	if err := a.Acquire(ctx, acme, pathA); err != nil {
		t.Fatal(err)
	}
	c := openConn(t, pathA)
	exec(t, c, "CREATE TABLE t (v TEXT)")
	for i := range 10 {
		exec(t, c, fmt.Sprintf("INSERT INTO t VALUES ('a%d')", i))
	}
	want := fileBytes(t, c, pathA)
	c.Close()
	last, err := a.log.Last(ctx, acme)
	if err != nil {
		t.Fatal(err)
	}
	orphan := sqlite.Commit{PageSize: 4096, DBPages: 2, Pages: []sqlite.Page{{No: 2, Data: bytes.Repeat([]byte{0xEE}, 4096)}}}
	if _, err := a.log.Append(ctx, acme, last, Record{Kind: KindPart, Node: "a", Commit: orphan}); err != nil {
		t.Fatal(err)
	}
	seq, warm, err := b.Prepare(ctx, acme, pathB)
	if err != nil || !warm || seq != last {
		t.Fatalf("prepare: up to %d (want %d, before the part), warm %v, %v", seq, last, warm, err)
	}
	if got, _ := os.ReadFile(pathB); !bytes.Equal(got, want) {
		t.Fatal("the prepared file differs from the owner's")
	}
	// a "dies" (no release), b takes over once its lease is gone.
	a.mu.Lock()
	delete(a.owned, pathA)
	a.mu.Unlock()
	a.nl.halt()
	acquireEventually(t, b, acme, pathB)
	defer b.Release(ctx, acme, pathB)
	if n := b.rebuilds[rebuildCatchUp].Load(); n != 1 {
		t.Fatalf("b's acquire caught up from its mark %d times, want once (full rebuilds: %d)", n, b.rebuilds[rebuildFull].Load())
	}
	cb := openConn(t, pathB)
	defer cb.Close()
	if got := fileBytes(t, cb, pathB); !bytes.Equal(got, want) {
		t.Fatal("b's file holds the orphan part")
	}
}
