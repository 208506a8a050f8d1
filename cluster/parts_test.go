package cluster

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/sqlite"
)

func TestSplitCommit(t *testing.T) {
	pages := make([]sqlite.Page, 10)
	for i := range pages {
		pages[i] = sqlite.Page{No: uint32(i + 1), Data: make([]byte, 4096)}
	}
	c := sqlite.Commit{PageSize: 4096, DBPages: 10, Pages: pages}
	for _, tt := range []struct{ limit, parts int }{{1, 10}, {4100, 10}, {8200, 5}, {3 * 4100, 4}, {1 << 20, 1}} {
		got := splitCommit(c, tt.limit)
		if len(got) != tt.parts {
			t.Errorf("limit %d: %d parts, want %d", tt.limit, len(got), tt.parts)
		}
		var joined []sqlite.Page
		for _, p := range got {
			if p.DBPages != 10 || p.PageSize != 4096 {
				t.Errorf("limit %d: part %+v lost the commit's sizes", tt.limit, p)
			}
			joined = append(joined, p.Pages...)
		}
		if len(joined) != 10 || joined[0].No != 1 || joined[9].No != 10 {
			t.Errorf("limit %d: parts hold %d pages", tt.limit, len(joined))
		}
	}
}

// A transaction larger than one log message goes to the log in parts and
// is rebuilt byte for byte on another node; parts left by an owner that
// died midway (no commit record, then a takeover) are never applied.
func TestClusterLargeCommitInParts(t *testing.T) {
	partLimit = 16 << 10 // a few pages per message
	defer func() { partLimit = 0 }()
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
	// ~200 KiB in one transaction: dozens of parts.
	exec(t, c, "INSERT INTO t SELECT hex(randomblob(250)) FROM generate_series(1, 400)")
	first, err := a.log.Last(ctx, acme)
	if err != nil {
		t.Fatal(err)
	}
	parts := 0
	a.log.Read(ctx, acme, 1, first, func(_ uint64, r Record) error {
		if r.Kind == KindPart {
			parts++
		}
		return nil
	})
	if parts < 5 {
		t.Fatalf("the large transaction went to the log in %d parts, want several", parts)
	}
	exec(t, c, "INSERT INTO t VALUES ('after')")
	want := fileBytes(t, c, pathA)
	c.Close()

	// An owner that dies midway through a large transaction leaves parts
	// with no commit: append one by hand, then b takes the tenant over.
	last, err := a.log.Last(ctx, acme)
	if err != nil {
		t.Fatal(err)
	}
	// Page 10 is a leaf in the middle of t, which b's later insert does not touch.
	orphan := sqlite.Commit{PageSize: 4096, DBPages: 100, Pages: []sqlite.Page{{No: 10, Data: bytes.Repeat([]byte{0xEE}, 4096)}}}
	if _, err := a.log.Append(ctx, acme, last, Record{Kind: KindPart, Node: "a", Commit: orphan}); err != nil {
		t.Fatal(err)
	}
	a.mu.Lock()
	delete(a.owned, pathA) // a "dies": no release, no snapshot, no renewals
	a.mu.Unlock()
	a.nl.halt()

	if err := os.MkdirAll(rootB, 0o755); err != nil {
		t.Fatal(err)
	}
	acquireEventually(t, b, acme, pathB)
	defer b.Release(ctx, acme, pathB)
	cb := openConn(t, pathB)
	defer cb.Close()
	if got := fileBytes(t, cb, pathB); !bytes.Equal(got, want) {
		t.Fatalf("the file rebuilt on b differs from a's (%d bytes vs %d)", len(got), len(want))
	}
	if got := rows(t, cb); len(got) != 401 || got[400] != "after" {
		t.Fatalf("b sees %d rows", len(got))
	}
	check, err := cb.Query(ctx, cinch.QueryOptions{}, "PRAGMA integrity_check")
	if err != nil || fmt.Sprint(check.Rows) != "[[ok]]" {
		t.Fatalf("integrity_check on b: %v %v", check, err)
	}
	// b commits after its takeover: a replay of the whole log (orphan part,
	// takeover, b's commit) must not fold the orphan into b's commit.
	exec(t, cb, "INSERT INTO t VALUES ('b1')")
	want = fileBytes(t, cb, pathB)
	end, err := b.log.Last(ctx, acme)
	if err != nil {
		t.Fatal(err)
	}
	pathC := tenantPath(t.TempDir())
	if _, err := b.rebuild(ctx, acme, pathC, end); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(pathC); !bytes.Equal(got, want) {
		t.Fatal("a replay of the log with an orphan part differs from the owner's file")
	}
}
