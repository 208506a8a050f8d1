package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/sqlite"
)

// testCluster is three embedded NATS servers routed together on loopback.
type testCluster struct {
	servers []*server.Server
	conns   map[*Node]*nats.Conn
}

func startTestCluster(t testing.TB) *testCluster {
	t.Helper()
	// The route ports are picked free, then bound by the servers: another
	// process may take one in between, so a failed start is tried again.
	var err error
	for range 3 {
		var tc *testCluster
		if tc, err = tryTestCluster(t); err == nil {
			return tc
		}
	}
	t.Fatal(err)
	return nil
}

func tryTestCluster(t testing.TB) (*testCluster, error) {
	tc := &testCluster{conns: map[*Node]*nats.Conn{}}
	// JetStream clustering needs every server to name its routes up front,
	// so the route ports are picked first.
	var addrs, routes []string
	for range 3 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		addrs = append(addrs, l.Addr().String())
		routes = append(routes, "nats://"+l.Addr().String())
		l.Close()
	}
	for i := range 3 {
		s, err := StartNATS(NATSConfig{Name: fmt.Sprintf("s%d", i+1), StoreDir: t.TempDir(), Listen: "127.0.0.1:0", Cluster: addrs[i], Routes: routes})
		if err != nil {
			for _, s := range tc.servers {
				s.Shutdown()
			}
			return nil, err
		}
		t.Cleanup(s.Shutdown)
		tc.servers = append(tc.servers, s)
	}
	return tc, nil
}

// node connects a Node named name to server i, its tenants below a new root.
func (tc *testCluster) node(t *testing.T, i int, name string) (*Node, string) {
	t.Helper()
	nc, err := nats.Connect(tc.servers[i].ClientURL(), nats.MaxReconnects(-1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	root := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n, err := NewNode(ctx, nc, Config{Node: name, Root: root, Replicas: 3, LeaseTTL: time.Second})
	if err != nil {
		t.Fatalf("node %s: %v", name, err)
	}
	t.Cleanup(func() { n.Close(context.Background()) })
	tc.conns[n] = nc
	return n, root
}

func tenantPath(root string) string { return filepath.Join(root, "db", "tenants", "acme.db") }

var acme = Tenant{Database: "main", Branch: "feature.x", Name: "acme"}

func openConn(t *testing.T, path string) *sqlite.Conn {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	c, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func exec(t *testing.T, c *sqlite.Conn, sql string) {
	t.Helper()
	if err := c.Exec(sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func rows(t *testing.T, c *sqlite.Conn) []string {
	t.Helper()
	res, err := c.Query(context.Background(), cinch.QueryOptions{}, "SELECT v FROM t ORDER BY rowid")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range res.Rows {
		out = append(out, r[0].(string))
	}
	return out
}

// fileBytes checkpoints c's file and returns its bytes.
func fileBytes(t *testing.T, c *sqlite.Conn, path string) []byte {
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

// acquireEventually acquires t on n, waiting for the previous owner's lease
// to expire (an event, bounded by a generous deadline, not a timing claim).
func acquireEventually(t *testing.T, n *Node, ten Tenant, path string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		actx, acancel := context.WithTimeout(ctx, 5*time.Second)
		err := n.Acquire(actx, ten, path)
		acancel()
		if err == nil {
			return
		}
		if !errors.Is(err, cinch.ErrNotOwner) && !errors.Is(err, cinch.ErrUnavailable) || ctx.Err() != nil {
			t.Fatalf("acquire on %s: %v", n.Name(), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// One owner at a time; an uncaptured commit on a tenant file not owned
// here is refused; a released tenant is acquired elsewhere, rebuilt from
// the log byte for byte.
func TestClusterOwnershipAndRebuild(t *testing.T) {
	ctx := context.Background()
	tc := startTestCluster(t)
	a, rootA := tc.node(t, 0, "a")
	b, rootB := tc.node(t, 1, "b")
	pathA, pathB := tenantPath(rootA), tenantPath(rootB)

	// Not owned: the file cannot be written.
	c := openConn(t, pathA)
	if err := c.Exec("CREATE TABLE t (v TEXT)"); !errors.Is(err, cinch.ErrNotOwner) {
		t.Fatalf("commit before acquiring: %v, want ErrNotOwner", err)
	}
	c.Close()

	if err := a.Acquire(ctx, acme, pathA); err != nil {
		t.Fatal(err)
	}
	if err := b.Acquire(ctx, acme, pathB); !errors.Is(err, cinch.ErrNotOwner) {
		t.Fatalf("second owner: %v, want ErrNotOwner", err)
	}
	if owner, _ := b.Owner(ctx, acme); owner != "a" {
		t.Fatalf("owner = %q, want a", owner)
	}
	c = openConn(t, pathA)
	exec(t, c, "CREATE TABLE t (v TEXT)")
	for i := range 20 {
		exec(t, c, fmt.Sprintf("INSERT INTO t VALUES ('a%d')", i))
	}
	want := fileBytes(t, c, pathA)
	c.Close()
	a.Release(ctx, acme, pathA)

	if err := b.Acquire(ctx, acme, pathB); err != nil {
		t.Fatal(err)
	}
	c = openConn(t, pathB)
	if got := fileBytes(t, c, pathB); !bytes.Equal(got, want) {
		t.Fatal("the file rebuilt on b differs from a's")
	}
	if got := rows(t, c); len(got) != 20 {
		t.Fatalf("b sees %d rows, want 20", len(got))
	}
	exec(t, c, "INSERT INTO t VALUES ('b0')")
	c.Close()
	b.Release(ctx, acme, pathB)

	// a takes it back: its cached file is behind, so it is rebuilt.
	if err := a.Acquire(ctx, acme, pathA); err != nil {
		t.Fatal(err)
	}
	c = openConn(t, pathA)
	defer c.Close()
	if got := rows(t, c); len(got) != 21 || got[20] != "b0" {
		t.Fatalf("a after taking back: %v", got)
	}
}

// The SIGSTOP case: an owner that lost its lease without noticing (here:
// its renewals stopped) is fenced by the log once another node took over;
// its next commit fails and is visible nowhere.
func TestClusterFencedOwnerCannotCommit(t *testing.T) {
	ctx := context.Background()
	tc := startTestCluster(t)
	a, rootA := tc.node(t, 0, "a")
	b, rootB := tc.node(t, 1, "b")
	c3, rootC := tc.node(t, 2, "c")
	pathA, pathB, pathC := tenantPath(rootA), tenantPath(rootB), tenantPath(rootC)

	if err := a.Acquire(ctx, acme, pathA); err != nil {
		t.Fatal(err)
	}
	ca := openConn(t, pathA)
	defer ca.Close()
	exec(t, ca, "CREATE TABLE t (v TEXT)")
	exec(t, ca, "INSERT INTO t VALUES ('before pause')")

	// "Pause" a: its lease stops being renewed, but a still believes it owns
	// the tenant (nothing marks it broken).
	a.nl.halt() // its node's lease: it holds the tenant through it

	acquireEventually(t, b, acme, pathB)
	cb := openConn(t, pathB)
	exec(t, cb, "INSERT INTO t VALUES ('by b')")

	// a wakes up and writes: refused by the log.
	if err := ca.Exec("INSERT INTO t VALUES ('after pause')"); !errors.Is(err, cinch.ErrNotOwner) {
		t.Fatalf("fenced owner's commit: %v, want ErrNotOwner", err)
	}
	if got := rows(t, ca); len(got) != 1 {
		t.Fatalf("the fenced owner sees its refused write: %v", got)
	}
	want := fileBytes(t, cb, pathB)
	cb.Close()
	b.Release(ctx, acme, pathB)

	// A third node rebuilds from the log: b's file exactly, no 'after pause'.
	if err := c3.Acquire(ctx, acme, pathC); err != nil {
		t.Fatal(err)
	}
	cc := openConn(t, pathC)
	defer cc.Close()
	if got := rows(t, cc); fmt.Sprint(got) != "[before pause by b]" {
		t.Fatalf("rebuilt rows: %v", got)
	}
	if got := fileBytes(t, cc, pathC); !bytes.Equal(got, want) {
		t.Fatal("rebuilt file differs from b's")
	}
	ok, err := cc.IntegrityCheck(ctx)
	if err != nil || len(ok) != 1 || ok[0] != "ok" {
		t.Fatalf("integrity_check: %v %v", ok, err)
	}
}

// Every acknowledged commit survives the death of the server its owner
// was connected to: a node on another server takes over and has them all.
func TestClusterAckedWritesSurviveServerDeath(t *testing.T) {
	ctx := context.Background()
	tc := startTestCluster(t)
	a, rootA := tc.node(t, 0, "a")
	b, rootB := tc.node(t, 1, "b")
	pathA, pathB := tenantPath(rootA), tenantPath(rootB)

	if err := a.Acquire(ctx, acme, pathA); err != nil {
		t.Fatal(err)
	}
	ca := openConn(t, pathA)
	defer ca.Close()
	exec(t, ca, "CREATE TABLE t (v TEXT)")
	acked := 0
	for i := range 50 {
		exec(t, ca, fmt.Sprintf("INSERT INTO t VALUES ('r%d')", i))
		acked++
	}
	want := fileBytes(t, ca, pathA)
	// Node a dies with its server: its connection goes (it would otherwise
	// reconnect to another server and keep its lease), then the server.
	tc.conns[a].Close()
	tc.servers[0].Shutdown()

	acquireEventually(t, b, acme, pathB)
	cb := openConn(t, pathB)
	defer cb.Close()
	if got := rows(t, cb); len(got) != acked {
		t.Fatalf("after the server's death b has %d rows, %d were acknowledged", len(got), acked)
	}
	if got := fileBytes(t, cb, pathB); !bytes.Equal(got, want) {
		t.Fatal("b's rebuilt file differs from a's")
	}
	exec(t, cb, "INSERT INTO t VALUES ('after')")
}

// A snapshot lets the log below it go; a rebuild starts from it.
func TestClusterSnapshotAndPurge(t *testing.T) {
	ctx := context.Background()
	tc := startTestCluster(t)
	a, rootA := tc.node(t, 0, "a")
	b, rootB := tc.node(t, 2, "b")
	pathA, pathB := tenantPath(rootA), tenantPath(rootB)

	if err := a.Acquire(ctx, acme, pathA); err != nil {
		t.Fatal(err)
	}
	ca := openConn(t, pathA)
	exec(t, ca, "CREATE TABLE t (v TEXT)")
	for i := range 30 {
		exec(t, ca, fmt.Sprintf("INSERT INTO t VALUES ('s%d')", i))
	}
	if err := ca.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	if err := a.Snapshot(ctx, acme, pathA); err != nil {
		t.Fatal(err)
	}
	exec(t, ca, "INSERT INTO t VALUES ('tail')")
	want := fileBytes(t, ca, pathA)
	ca.Close()

	// Only the snapshot's last record and the tail are left in the log.
	left := 0
	if err := a.Log().Read(ctx, acme, 1, 1<<62, func(uint64, Record) error { left++; return nil }); err != nil {
		t.Fatal(err)
	}
	if left != 2 {
		t.Fatalf("%d records left in the log after the snapshot, want 2", left)
	}
	a.Release(ctx, acme, pathA)
	if err := b.Acquire(ctx, acme, pathB); err != nil {
		t.Fatal(err)
	}
	cb := openConn(t, pathB)
	defer cb.Close()
	if got := fileBytes(t, cb, pathB); !bytes.Equal(got, want) {
		t.Fatal("rebuilt from the snapshot, the file differs")
	}
}
