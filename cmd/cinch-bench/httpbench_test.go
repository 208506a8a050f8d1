package main

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/cinchdb/cinch/local"
)

// TestHTTPCase runs the HTTP case at the smallest scale: cinch's server
// and the bare net/http baseline both answer every point read correctly
// (pointRead checks the row), and the result has its baseline, target and
// note. The numbers are not checked.
func TestHTTPCase(t *testing.T) {
	results, err := run(context.Background(), tinyScale, []string{"http-query"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 {
		t.Fatalf("%d results, want 1", len(results))
	}
	r := results[0]
	if r.CinchNS <= 0 || r.BaselineNS <= 0 || r.Ratio <= 0 || !strings.Contains(r.Target, "bare net/http") ||
		!strings.Contains(r.Note, "in process") || r.Meets != (r.BaselineNS/r.CinchNS >= httpTargetFraction) {
		t.Errorf("http-query result: %+v", r)
	}
}

// TestBareServer: the baseline refuses what a real service would (a wrong
// key, an unknown tenant, a bad body) instead of answering anything.
func TestBareServer(t *testing.T) {
	pr, err := newProject(context.Background(), t.TempDir(), local.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer pr.close()
	names, err := pr.fleetWithRow(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	paths := map[string]string{}
	for _, n := range names {
		paths[n] = pr.path(n)
	}
	b, err := newBareServer(paths, "k1")
	if err != nil {
		t.Fatal(err)
	}
	defer b.close()
	base, stop, err := b.serve()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	good := newRawClient("k1")
	defer good.hc.CloseIdleConnections()
	if err := good.pointRead(base+"/tenants/"+names[1]+"/query", names[1]); err != nil {
		t.Errorf("point read: %v", err)
	}
	if err := good.pointRead(base+"/tenants/nope/query", "nope"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("unknown tenant: %v", err)
	}
	bad := newRawClient("k2")
	defer bad.hc.CloseIdleConnections()
	if err := bad.pointRead(base+"/tenants/"+names[1]+"/query", names[1]); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong key: %v", err)
	}
}
