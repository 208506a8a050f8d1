package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/client"
)

// The cluster's "must hold" list (SPEC §8, docs/cluster.md), with real
// processes: three `cinch serve --cluster` nodes on loopback, each with its
// embedded NATS server, killed with SIGKILL or paused with SIGSTOP.

// clusterNode is one `cinch serve --cluster` process.
type clusterNode struct {
	t                   *testing.T
	name, dir           string
	natsAddr, routeAddr string
	routes              string
	base                string // http://127.0.0.1:PORT of the running process
	cmd                 *exec.Cmd
	env                 []string // added to the process's environment
	log                 *lockedBuffer
	exited              chan struct{}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startClusterNodes starts n nodes routed together and waits until each
// serves.
func startClusterNodes(t *testing.T, n int) []*clusterNode {
	t.Helper()
	// Ports are picked free, then bound by the nodes: another process may
	// take one in between, so a failed start is tried again on new ports.
	for attempt := 1; ; attempt++ {
		nodes, ok := tryClusterNodes(t, n, attempt == 3)
		if ok {
			return nodes
		}
	}
}

func tryClusterNodes(t *testing.T, n int, last bool) ([]*clusterNode, bool) {
	t.Helper()
	var nodes []*clusterNode
	var routes []string
	root := t.TempDir()
	for i := range n {
		cn := &clusterNode{t: t, name: fmt.Sprintf("n%d", i+1), dir: filepath.Join(root, fmt.Sprintf("n%d", i+1)),
			natsAddr: freeAddr(t), routeAddr: freeAddr(t)}
		routes = append(routes, "nats://"+cn.routeAddr)
		nodes = append(nodes, cn)
	}
	for _, cn := range nodes {
		cn.routes = strings.Join(routes, ",")
		cn.launch()
	}
	for _, cn := range nodes {
		if !cn.listening() {
			for _, other := range nodes {
				other.kill()
			}
			if last {
				t.Fatalf("node %s did not start: %s", cn.name, cn.log)
			}
			t.Logf("node %s did not start (retrying on new ports): %s", cn.name, cn.log)
			return nil, false
		}
	}
	t.Cleanup(func() {
		for _, cn := range nodes {
			cn.finish()
		}
	})
	return nodes, true
}

// finish kills the node at the end of its test; when the test failed, it
// shows the end of the node's log (and with CINCH_TEST_LOGS=DIR keeps the
// whole log there, after a SIGQUIT that ends it with every goroutine's
// stack: where a stuck node waits).
func (cn *clusterNode) finish() {
	t := cn.t
	if t.Failed() && os.Getenv("CINCH_TEST_LOGS") != "" && cn.running() {
		cn.cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-cn.exited:
		case <-time.After(10 * time.Second):
		}
	}
	cn.kill()
	if !t.Failed() {
		return
	}
	out := cn.log.String()
	if dir := os.Getenv("CINCH_TEST_LOGS"); dir != "" {
		// The whole log, for a failure hunted over many runs.
		name := filepath.Join(dir, fmt.Sprintf("%s-%s-%d.log", t.Name(), cn.name, time.Now().UnixNano()))
		if err := os.WriteFile(name, []byte(out), 0o644); err == nil {
			t.Logf("log of node %s: %s", cn.name, name)
		}
	}
	if len(out) > 4000 {
		out = out[len(out)-4000:]
	}
	t.Logf("log of node %s (end):\n%s", cn.name, out)
}

// launch starts the node's process (again, after a kill: same folder and
// NATS addresses, a new HTTP port).
func (cn *clusterNode) launch() {
	cn.base = ""
	cn.cmd = exec.Command(binary, "serve", "--cluster", "--node", cn.name, "--dir", cn.dir, "--addr", "127.0.0.1:0",
		"--nats-listen", cn.natsAddr, "--nats-cluster", cn.routeAddr, "--nats-routes", cn.routes, "--rate", "0")
	if len(cn.env) > 0 {
		cn.cmd.Env = append(os.Environ(), cn.env...)
	}
	stderr, err := cn.cmd.StderrPipe()
	if err != nil {
		cn.t.Fatal(err)
	}
	if err := cn.cmd.Start(); err != nil {
		cn.t.Fatal(err)
	}
	cn.log = &lockedBuffer{}
	cn.exited = make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			cn.log.Write([]byte(sc.Text() + "\n"))
		}
		io.Copy(io.Discard, stderr)
		cn.cmd.Wait()
		close(cn.exited)
	}()
}

// waitListening waits for the "listening on" line (the node joined the
// cluster and serves).
func (cn *clusterNode) waitListening() {
	if !cn.listening() {
		cn.t.Fatalf("node %s did not start: %s", cn.name, cn.log)
	}
}

// listening waits for the "listening on" line; false if the process
// exited or took more than two minutes.
func (cn *clusterNode) listening() bool {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if _, rest, ok := strings.Cut(cn.log.String(), "listening on "); ok {
			cn.base = strings.Fields(rest)[0]
			return true
		}
		select {
		case <-cn.exited:
			return false
		case <-time.After(50 * time.Millisecond):
		}
	}
	return false
}

func (cn *clusterNode) running() bool {
	select {
	case <-cn.exited:
		return false
	default:
		return cn.cmd != nil
	}
}

// kill is kill -9.
func (cn *clusterNode) kill() {
	if cn.running() {
		cn.cmd.Process.Kill()
		<-cn.exited
	}
}

// stop is a clean shutdown (SIGTERM): the node releases its tenants.
func (cn *clusterNode) stop() {
	if cn.running() {
		cn.cmd.Process.Signal(syscall.SIGTERM)
		<-cn.exited
	}
}

func (cn *clusterNode) client(t *testing.T, key string) *client.Client {
	t.Helper()
	c, err := client.New(cn.base, key)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// clusterInit runs `cinch cluster init` against node and returns the key.
func clusterInit(t *testing.T, node *clusterNode) string {
	t.Helper()
	r := runner{t: t, dir: t.TempDir()}.run("--server", node.base, "cluster", "init")
	key := lastLine(r.stdout)
	if r.code != 0 || !strings.Contains(r.stderr, "Admin API key") {
		t.Fatalf("cluster init: %v", r)
	}
	if !strings.HasPrefix(key, "cinch_") {
		t.Fatalf("cluster init printed %q", r.stdout)
	}
	return key
}

// eventually retries fn until it succeeds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still failing after %v: %v", what, within, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ledger records which writes were acknowledged and which had an unknown
// outcome, per tenant.
type ledger struct {
	mu        sync.Mutex
	acked     map[string][]string
	uncertain map[string][]string
	afterKill map[string]int // acknowledged writes sent after the kill
	lastErr   map[string]error
}

func newLedger() *ledger {
	return &ledger{acked: map[string][]string{}, uncertain: map[string][]string{}, afterKill: map[string]int{}, lastErr: map[string]error{}}
}

// verify checks that tenant holds every acknowledged id, and nothing but
// acknowledged or uncertain ones.
func (l *ledger) verify(t *testing.T, db cinch.DB, tenant string) {
	t.Helper()
	ctx := context.Background()
	res, err := db.SwitchTenant(tenant).Query(ctx, "SELECT id FROM events")
	if err != nil {
		t.Fatalf("tenant %s: %v", tenant, err)
	}
	got := map[string]bool{}
	for _, r := range res.Rows {
		got[r[0].(string)] = true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range l.acked[tenant] {
		if !got[id] {
			t.Errorf("tenant %s: acknowledged write %s is lost", tenant, id)
		}
		delete(got, id)
	}
	for _, id := range l.uncertain[tenant] {
		delete(got, id)
	}
	for id := range got {
		t.Errorf("tenant %s: row %s was never written", tenant, id)
	}
	check, err := db.SwitchTenant(tenant).Query(ctx, "PRAGMA quick_check")
	if err != nil || len(check.Rows) != 1 || check.Rows[0][0] != "ok" {
		t.Errorf("tenant %s: quick_check %v %v", tenant, check, err)
	}
}

func createEvents(t *testing.T, db cinch.DB, tenants []string) {
	t.Helper()
	ctx := context.Background()
	if _, err := db.Tables().Create(ctx, "events", []cinch.Column{{Name: "writer", Type: "TEXT", Nullable: true}}); err != nil {
		t.Fatal(err)
	}
	if len(tenants) > 0 {
		if _, err := db.Tenants().CreateMany(ctx, tenants, cinch.TenantCreateOptions{Lazy: true}); err != nil {
			t.Fatal(err)
		}
	}
}

// Must hold 1: writers through every node; kill -9 the node owning most
// tenants; no acknowledged write is lost or duplicated, and every tenant
// takes writes again through the survivors.
func TestClusterKillOwner(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	t.Parallel() // waits on leases and elections more than it computes
	nodes := startClusterNodes(t, 3)
	key := clusterInit(t, nodes[0])
	ctx := context.Background()
	var tenants []string
	for i := range 50 {
		tenants = append(tenants, fmt.Sprintf("t%02d", i))
	}
	createEvents(t, nodes[0].client(t, key).Connect(cinch.Target{}), tenants)

	var aliveMu sync.Mutex
	alive := []*clusterNode{nodes[0], nodes[1], nodes[2]}
	dbs := map[*clusterNode]cinch.DB{}
	for _, n := range nodes {
		dbs[n] = n.client(t, key).Connect(cinch.Target{})
	}
	led := newLedger()
	var killed bool
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				tenant := tenants[(w*7+i)%len(tenants)]
				aliveMu.Lock()
				node := alive[(w+i)%len(alive)]
				afterKill := killed
				aliveMu.Unlock()
				id := fmt.Sprintf("w%d_%d", w, i)
				rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				_, err := dbs[node].SwitchTenant(tenant).Insert(rctx, "events", cinch.Record{"id": id, "writer": node.name})
				cancel()
				led.mu.Lock()
				if err == nil {
					led.acked[tenant] = append(led.acked[tenant], id)
					if afterKill {
						led.afterKill[tenant]++
					}
				} else {
					led.uncertain[tenant] = append(led.uncertain[tenant], id)
					led.lastErr[tenant] = fmt.Errorf("via %s: %w", node.name, err)
				}
				led.mu.Unlock()
			}
		}()
	}
	each := func(min int, count func(string) int) error {
		led.mu.Lock()
		defer led.mu.Unlock()
		for _, tn := range tenants {
			if count(tn) < min {
				return fmt.Errorf("tenant %s has %d (last error: %v)", tn, count(tn), led.lastErr[tn])
			}
		}
		return nil
	}
	eventually(t, 2*time.Minute, "every tenant written", func() error {
		return each(2, func(tn string) int { return len(led.acked[tn]) })
	})

	// The node owning most tenants, by cluster status.
	var victim *clusterNode
	status := nodes[0].client(t, key)
	eventually(t, time.Minute, "cluster status", func() error {
		list, err := status.ClusterStatus(ctx)
		if err != nil {
			return err
		}
		best, total := -1, 0
		for _, n := range list {
			total += n.TenantsOwned
			if n.TenantsOwned > best {
				best = n.TenantsOwned
				for _, cn := range nodes {
					if cn.name == n.Name {
						victim = cn
					}
				}
			}
		}
		if total < len(tenants) || victim == nil {
			return fmt.Errorf("status shows %d owned tenants", total)
		}
		return nil
	})
	aliveMu.Lock()
	alive = slices.DeleteFunc(alive, func(n *clusterNode) bool { return n == victim })
	killed = true
	aliveMu.Unlock()
	killedAt := time.Now()
	victim.kill()

	eventually(t, 90*time.Second, "every tenant writable through the survivors", func() error {
		return each(2, func(tn string) int { return led.afterKill[tn] })
	})
	recovered := time.Since(killedAt)
	close(stop)
	wg.Wait()
	t.Logf("killed %s; every tenant took 2 writes through the survivors %v later", victim.name, recovered.Round(time.Millisecond))

	reader := dbs[alive[0]]
	acked := 0
	for _, tn := range tenants {
		led.verify(t, reader, tn)
		acked += len(led.acked[tn])
	}
	t.Logf("%d acknowledged writes, all present; %d writes with an unknown outcome", acked, len(led.uncertain))
}

// Must hold 2: an owner paused (SIGSTOP) past its lease loses the tenant to
// another node; when it wakes (SIGCONT) it serves the tenant through the new
// owner, and the data is what the new owner acknowledged.
func TestClusterPausedOwner(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	t.Parallel() // waits on leases and elections more than it computes
	nodes := startClusterNodes(t, 3)
	key := clusterInit(t, nodes[0])
	ctx := context.Background()
	a, b, c := nodes[0].client(t, key).Connect(cinch.Target{}), nodes[1].client(t, key).Connect(cinch.Target{}), nodes[2].client(t, key).Connect(cinch.Target{})
	createEvents(t, a, []string{"acme"})
	led := newLedger()
	insert := func(db cinch.DB, id string) error {
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		_, err := db.SwitchTenant("acme").Insert(rctx, "events", cinch.Record{"id": id})
		led.mu.Lock()
		if err == nil {
			led.acked["acme"] = append(led.acked["acme"], id)
		} else {
			led.uncertain["acme"] = append(led.uncertain["acme"], id)
		}
		led.mu.Unlock()
		return err
	}
	for i := range 3 {
		if err := insert(a, fmt.Sprintf("a%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	nodes[0].cmd.Process.Signal(syscall.SIGSTOP)
	paused := true
	defer func() {
		if paused {
			nodes[0].cmd.Process.Signal(syscall.SIGCONT)
		}
	}()
	i := 0
	eventually(t, time.Minute, "a write through b while a is paused", func() error {
		i++
		return insert(b, fmt.Sprintf("b%d", i))
	})
	for j := range 3 {
		if err := insert(b, fmt.Sprintf("b_more%d", j)); err != nil {
			t.Fatal(err)
		}
	}
	nodes[0].cmd.Process.Signal(syscall.SIGCONT)
	paused = false
	// Awake, a no longer owns acme: its requests go to the owner.
	eventually(t, time.Minute, "a write through a after it woke", func() error {
		return insert(a, fmt.Sprintf("a_after%d", i))
	})
	for _, db := range []cinch.DB{a, b, c} {
		led.verify(t, db, "acme")
	}
	// The owner stops cleanly (snapshot); c rebuilds the tenant: same rows.
	before, err := c.SwitchTenant("acme").Query(ctx, "SELECT group_concat(id, ',') FROM (SELECT id FROM events ORDER BY id)")
	if err != nil {
		t.Fatal(err)
	}
	nodes[1].stop() // the owner releases acme (snapshot); a and c keep a quorum
	eventually(t, time.Minute, "read on c after b stopped", func() error {
		after, err := c.SwitchTenant("acme").Query(ctx, "SELECT group_concat(id, ',') FROM (SELECT id FROM events ORDER BY id)")
		if err != nil {
			return err
		}
		if fmt.Sprint(after.Rows) != fmt.Sprint(before.Rows) {
			t.Fatalf("rebuilt rows %v, want %v", after.Rows, before.Rows)
		}
		return nil
	})
	led.verify(t, c, "acme")
}

// Must hold 3 and 4: a node killed while its tenants take more writes and a
// schema change, then restarted after the new owner released them (so the
// log below their snapshots is gone), serves them: the snapshot plus the
// log's tail, with the new column.
func TestClusterRestartCatchesUp(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	t.Parallel() // waits on leases and elections more than it computes
	nodes := startClusterNodes(t, 3)
	key := clusterInit(t, nodes[0])
	ctx := context.Background()
	tenants := []string{"t0", "t1", "t2", "t3", "t4"}
	createEvents(t, nodes[0].client(t, key).Connect(cinch.Target{}), tenants)
	led := newLedger()
	write := func(db cinch.DB, tn, id string) {
		t.Helper()
		eventually(t, time.Minute, "write "+id, func() error {
			rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			_, err := db.SwitchTenant(tn).Insert(rctx, "events", cinch.Record{"id": id})
			if err != nil {
				if _, gone := db.SwitchTenant(tn).Query(rctx, "SELECT 1 FROM events WHERE id = ?", id); gone == nil {
					led.mu.Lock()
					led.uncertain[tn] = append(led.uncertain[tn], id)
					led.mu.Unlock()
				}
				id += "r"
				return err
			}
			led.mu.Lock()
			led.acked[tn] = append(led.acked[tn], id)
			led.mu.Unlock()
			return nil
		})
	}
	c := nodes[2].client(t, key).Connect(cinch.Target{})
	for _, tn := range tenants {
		write(c, tn, tn+"_c")
	}
	nodes[2].kill() // c owned them all

	a := nodes[0].client(t, key).Connect(cinch.Target{})
	for _, tn := range tenants {
		write(a, tn, tn+"_a")
	}
	if _, err := a.Columns().Add(ctx, "events", cinch.Column{Name: "extra", Type: "TEXT", Nullable: true}); err != nil {
		t.Fatal(err)
	}
	for _, tn := range tenants {
		write(a, tn, tn+"_a2")
	}
	nodes[0].stop() // releases the tenants: snapshots, log purged below them

	nodes[2].launch()
	nodes[2].waitListening()
	c = nodes[2].client(t, key).Connect(cinch.Target{})
	for _, tn := range tenants {
		eventually(t, time.Minute, "read "+tn+" on the restarted node", func() error {
			_, err := c.SwitchTenant(tn).Query(ctx, "SELECT extra FROM events")
			return err
		})
		led.verify(t, c, tn)
	}
}

// A query answer larger than a NATS message, asked on a node that does
// not own the tenant, comes back whole (chunked between the nodes); and a
// node that joined through --nats-url (an existing NATS) serves the same
// cluster.
func TestClusterLargeAnswerAndExternalNATS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster")
	}
	t.Parallel() // waits on leases and elections more than it computes
	nodes := startClusterNodes(t, 3)
	key := clusterInit(t, nodes[0])
	ctx := context.Background()
	a := nodes[0].client(t, key).Connect(cinch.Target{})
	createEvents(t, a, []string{"big"})
	blob := strings.Repeat("x", 1000)
	var recs []cinch.Record
	for i := range 3000 {
		recs = append(recs, cinch.Record{"id": fmt.Sprintf("r%05d", i), "writer": blob})
	}
	for i := 0; i < len(recs); i += 1000 {
		if _, err := a.SwitchTenant("big").InsertMany(ctx, "events", recs[i:i+1000]); err != nil {
			t.Fatal(err)
		}
	}
	b := nodes[1].client(t, key).Connect(cinch.Target{Tenant: "big"})
	res, err := b.Query(ctx, "SELECT id, writer FROM events ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 3000 || res.Rows[2999][0] != "r02999" || res.Rows[0][1] != blob {
		t.Fatalf("forwarded answer: %d rows", len(res.Rows))
	}

	// A fourth node on node 1's NATS server.
	ext := &clusterNode{t: t, name: "ext", dir: t.TempDir()}
	ext.cmd = exec.Command(binary, "serve", "--cluster", "--node", "ext", "--dir", ext.dir, "--addr", "127.0.0.1:0",
		"--nats-url", "nats://"+nodes[0].natsAddr)
	stderr, err := ext.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := ext.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ext.log, ext.exited = &lockedBuffer{}, make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			ext.log.Write([]byte(sc.Text() + "\n"))
		}
		ext.cmd.Wait()
		close(ext.exited)
	}()
	t.Cleanup(ext.kill)
	ext.waitListening()
	e := ext.client(t, key).Connect(cinch.Target{Tenant: "big"})
	res, err = e.Query(ctx, "SELECT count(*) FROM events")
	if err != nil || res.Rows[0][0] != int64(3000) {
		t.Fatalf("through the --nats-url node: %v %v", res, err)
	}
	if _, err := e.Insert(ctx, "events", cinch.Record{"id": "from_ext"}); err != nil {
		t.Fatal(err)
	}
}

// Issue 13: a tenant moved under writers, then a node drained while
// writers run: no client error, no acknowledged write lost, the drained
// node ends owning nothing, and undrain lets it take tenants again.
func TestClusterMoveAndDrain(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	t.Parallel() // waits on leases and elections more than it computes
	nodes := startClusterNodes(t, 3)
	key := clusterInit(t, nodes[0])
	ctx := context.Background()
	var tenants []string
	for i := range 24 {
		tenants = append(tenants, fmt.Sprintf("m%02d", i))
	}
	createEvents(t, nodes[0].client(t, key).Connect(cinch.Target{}), tenants)
	dbs := []cinch.DB{}
	for _, n := range nodes {
		dbs = append(dbs, n.client(t, key).Connect(cinch.Target{}))
	}
	led := newLedger()
	var clientErrs []error
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				tn := tenants[(w*5+i)%len(tenants)]
				id := fmt.Sprintf("w%d_%d", w, i)
				_, err := dbs[(w+i)%3].SwitchTenant(tn).Insert(ctx, "events", cinch.Record{"id": id})
				led.mu.Lock()
				if err == nil {
					led.acked[tn] = append(led.acked[tn], id)
				} else {
					led.uncertain[tn] = append(led.uncertain[tn], id)
					clientErrs = append(clientErrs, fmt.Errorf("%s %s: %w", tn, id, err))
				}
				led.mu.Unlock()
			}
		}()
	}
	admin := nodes[1].client(t, key)
	eventually(t, time.Minute, "every tenant owned somewhere", func() error {
		list, err := admin.ClusterStatus(ctx)
		if err != nil {
			return err
		}
		total := 0
		for _, n := range list {
			total += n.TenantsOwned
		}
		if total < len(tenants) {
			return fmt.Errorf("%d owned", total)
		}
		return nil
	})

	// Move one tenant to each node in turn.
	for _, to := range []string{"n1", "n2", "n3", "n1"} {
		pause, err := admin.ClusterMove(ctx, cinch.Target{Tenant: "m00"}, to)
		if err != nil {
			t.Fatalf("move m00 to %s: %v", to, err)
		}
		t.Logf("moved m00 to %s: requests on it waited %s", to, pause)
	}
	r := runner{t: t, dir: t.TempDir(), env: []string{"CINCH_SERVER=" + nodes[0].base, "CINCH_API_KEY=" + key}}
	r.ok("cluster", "drain", "n3")
	eventually(t, 2*time.Minute, "n3 drained", func() error {
		list, err := admin.ClusterStatus(ctx)
		if err != nil {
			return err
		}
		for _, n := range list {
			if n.Name == "n3" && (!n.Draining || n.TenantsOwned > 0) {
				return fmt.Errorf("n3: draining %v, owns %d", n.Draining, n.TenantsOwned)
			}
		}
		return nil
	})
	time.Sleep(time.Second) // writers keep going against the drained cluster
	r.ok("cluster", "undrain", "n3")
	close(stop)
	wg.Wait()
	led.mu.Lock()
	errs := clientErrs
	led.mu.Unlock()
	for _, e := range errs {
		t.Errorf("client error during moves and drain: %v", e)
	}
	for _, tn := range tenants {
		led.verify(t, dbs[0], tn)
	}
	// The nodes' Prometheus metrics count what happened.
	moves := 0.0
	for _, n := range nodes {
		req, _ := http.NewRequest(http.MethodGet, n.base+"/metrics", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, name := range []string{"cinch_cluster_tenants_owned", "cinch_cluster_log_append_seconds_count", "cinch_cluster_takeovers_total", "cinch_cluster_lease_renew_seconds_count"} {
			if !strings.Contains(string(body), name) {
				t.Errorf("node %s: /metrics has no %s", n.name, name)
			}
		}
		for _, line := range strings.Split(string(body), "\n") {
			if v, ok := strings.CutPrefix(line, "cinch_cluster_moves_total "); ok {
				f, _ := strconv.ParseFloat(v, 64)
				moves += f
			}
		}
	}
	if moves < 3 {
		t.Errorf("the nodes count %v moves, want at least the 3 real hand-overs of m00 (plus the drain's)", moves)
	}
	var status []client.ClusterNode
	r.json(&status, "cluster", "status", "--format", "json")
	for _, n := range status {
		if n.Draining {
			t.Errorf("node %s still draining after undrain", n.Name)
		}
	}
}

// Issue 13: a fourth node that joins a running cluster starts receiving
// tenants: the others shed tenants to it, within the balance bound.
func TestClusterJoiningNodeReceivesTenants(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a four-node cluster")
	}
	t.Parallel() // waits on leases and elections more than it computes
	nodes := startClusterNodes(t, 3)
	key := clusterInit(t, nodes[0])
	ctx := context.Background()
	var tenants []string
	for i := range 24 {
		tenants = append(tenants, fmt.Sprintf("j%02d", i))
	}
	createEvents(t, nodes[0].client(t, key).Connect(cinch.Target{}), tenants)
	for i, tn := range tenants {
		db := nodes[i%3].client(t, key).Connect(cinch.Target{Tenant: tn})
		if _, err := db.Insert(ctx, "events", cinch.Record{"id": "first"}); err != nil {
			t.Fatal(err)
		}
	}
	fourth := &clusterNode{t: t, name: "n4", dir: filepath.Join(t.TempDir(), "n4"), natsAddr: freeAddr(t), routeAddr: freeAddr(t)}
	fourth.routes = nodes[0].routes + ",nats://" + fourth.routeAddr
	fourth.launch()
	t.Cleanup(fourth.finish)
	fourth.waitListening()
	admin := nodes[0].client(t, key)
	eventually(t, 2*time.Minute, "n4 owns tenants", func() error {
		list, err := admin.ClusterStatus(ctx)
		if err != nil {
			return err
		}
		for _, n := range list {
			if n.Name == "n4" && n.TenantsOwned >= 3 {
				return nil
			}
		}
		return fmt.Errorf("status: %+v", list)
	})
	// Every tenant still has its row, wherever it went.
	for _, tn := range tenants {
		res, err := fourth.client(t, key).Connect(cinch.Target{Tenant: tn}).Query(ctx, "SELECT id FROM events")
		if err != nil || len(res.Rows) != 1 {
			t.Fatalf("tenant %s after rebalancing: %v %v", tn, res, err)
		}
	}
}
