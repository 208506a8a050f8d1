package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/local"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), t.TempDir(), &out); err != nil {
		t.Fatal(err)
	}
	want := "24 tenants, at most 4 open at a time\n" +
		"24 tenants hold 8 notes each, 0 tenants differ\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}

// TestMaxOneOpenTenant drives the pool at its tightest bound.
func TestMaxOneOpenTenant(t *testing.T) {
	var out bytes.Buffer
	if err := runPooled(context.Background(), t.TempDir(), &out, 1, 12); err != nil {
		t.Fatal(err)
	}
	want := "12 tenants, at most 1 open at a time\n" +
		"12 tenants hold 8 notes each, 0 tenants differ\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}

// openFDs counts this process's open file descriptors (Linux only).
func openFDs(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	return len(entries)
}

// fdsAfterTouching opens a project with the given bound, queries every one
// of n tenants, and returns how many descriptors the project then holds.
func fdsAfterTouching(t *testing.T, maxOpen, n int) int {
	ctx := context.Background()
	dir := t.TempDir()
	if err := local.Init(ctx, dir, "myapp"); err != nil {
		t.Fatal(err)
	}
	base := openFDs(t)
	p, err := local.Open(ctx, local.Config{Dir: dir, MaxOpenTenants: maxOpen})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	db, err := p.Connect(cinch.Target{Database: "myapp"})
	if err != nil {
		t.Fatal(err)
	}
	note, _ := cinch.ParseColumnSpec("note:TEXT")
	if _, err := db.Tables().Create(ctx, "notes", []cinch.Column{note}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		name := fmt.Sprintf("customer_%03d", i)
		if _, err := db.Tenants().Create(ctx, name, cinch.TenantCreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SwitchTenant(name).Insert(ctx, "notes", cinch.Record{"note": "hi"}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SwitchTenant(name).Query(ctx, "SELECT * FROM notes"); err != nil {
			t.Fatal(err)
		}
	}
	// Evicted handles close in the background; give them a moment.
	time.Sleep(300 * time.Millisecond)
	return openFDs(t) - base
}

// TestHandleBound shows the point of MaxOpenTenants: touching 30 tenants
// with a bound of 4 holds far fewer descriptors than with no real bound.
func TestHandleBound(t *testing.T) {
	const n = 30
	bounded := fdsAfterTouching(t, 4, n)
	unbounded := fdsAfterTouching(t, 1000, n)
	t.Logf("descriptors held after touching %d tenants: MaxOpenTenants=4: %d, MaxOpenTenants=1000: %d", n, bounded, unbounded)
	if unbounded < n {
		t.Fatalf("with a large bound, %d tenants should hold at least %d descriptors; measuring is broken", n, n)
	}
	if bounded*3 > unbounded {
		t.Errorf("MaxOpenTenants=4 held %d descriptors, not much fewer than the %d of MaxOpenTenants=1000", bounded, unbounded)
	}
}
