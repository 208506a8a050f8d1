package cluster

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/cinchdb/cinch/apikey"
)

func TestParseLifecycle(t *testing.T) {
	const b = "/v1/databases/main/branches/dev/tenants"
	tests := []struct {
		name   string
		method string
		path   string
		body   string
		want   lifecycle
	}{
		{"create", "POST", b, `{"name":"acme","lazy":true}`, lifecycle{kind: lifeCreate, database: "main", branch: "dev", names: []string{"acme"}}},
		{"create with a query string", "POST", b + "?x=1", `{"name":"acme"}`, lifecycle{kind: lifeCreate, database: "main", branch: "dev", names: []string{"acme"}}},
		{"batch", "POST", b + ":batch", `{"names":["a","b"]}`, lifecycle{kind: lifeCreate, database: "main", branch: "dev", names: []string{"a", "b"}}},
		{"rename", "PATCH", b + "/acme", `{"name":"globex"}`, lifecycle{kind: lifeRename, database: "main", branch: "dev", names: []string{"acme"}, newName: "globex"}},
		{"delete", "DELETE", b + "/acme", ``, lifecycle{kind: lifeDelete, database: "main", branch: "dev", names: []string{"acme"}}},
		{"archive", "POST", b + "/acme/archive", ``, lifecycle{kind: lifeTouch, database: "main", branch: "dev", names: []string{"acme"}}},
		{"restore", "POST", b + "/acme/restore", ``, lifecycle{kind: lifeTouch, database: "main", branch: "dev", names: []string{"acme"}}},
		{"escaped database", "DELETE", "/v1/databases/a%2Eb/branches/dev/tenants/acme", ``, lifecycle{kind: lifeDelete, database: "a.b", branch: "dev", names: []string{"acme"}}},
		{"group assignment is not a lifecycle change", "PUT", b + "/acme/group", `{"group":"g"}`, lifecycle{}},
		{"schema change", "POST", "/v1/databases/main/branches/dev/tables", `{"name":"t"}`, lifecycle{}},
		{"create without a name", "POST", b, `{}`, lifecycle{}},
		{"create with a broken body", "POST", b, `{`, lifecycle{}},
		{"rename without a name", "PATCH", b + "/acme", `{}`, lifecycle{}},
		{"short path", "DELETE", "/v1/databases/main", ``, lifecycle{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseLifecycle(controlEntry{Method: tt.method, Path: tt.path, Body: []byte(tt.body)})
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(lifecycle{})); diff != "" {
				t.Errorf("parseLifecycle (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCopyOf(t *testing.T) {
	const b = "/v1/databases/main/branches/main/tenants"
	src := Tenant{Database: "main", Branch: "main", Name: "acme"}
	tests := []struct {
		name, method, path, body string
		want                     copyRequest
		ok                       bool
	}{
		{"copy", "POST", b + "/acme/copy", `{"target":"b"}`, copyRequest{source: src, target: "b"}, true},
		{"schema-only copy", "POST", b + "/acme/copy", `{"target":"b","no_data":true}`, copyRequest{source: src, target: "b", noData: true}, true},
		{"create from", "POST", b, `{"name":"b","from":"acme"}`, copyRequest{source: src, target: "b"}, true},
		{"plain create", "POST", b, `{"name":"b"}`, copyRequest{}, false},
		{"encrypted create from: refused elsewhere", "POST", b, `{"name":"b","from":"acme","encrypt":true}`, copyRequest{}, false},
		{"broken copy body: the API answers it", "POST", b + "/acme/copy", `nope`, copyRequest{}, false},
		{"GET is no copy", "GET", b + "/acme/copy", `{"target":"b"}`, copyRequest{}, false},
		{"table copy is no tenant copy", "POST", "/v1/databases/main/branches/main/tables/t/copy", `{"target":"b"}`, copyRequest{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := copyOf(tt.method, tt.path, []byte(tt.body))
			if ok != tt.ok || got != tt.want {
				t.Errorf("copyOf = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

// FuzzCopyOf: any request path and body is classified without panicking,
// and a copy names a valid-looking source (no path separators).
func FuzzCopyOf(f *testing.F) {
	f.Add("POST", "/v1/databases/main/branches/main/tenants/acme/copy", []byte(`{"target":"b"}`))
	f.Add("POST", "/v1/databases/main/branches/main/tenants", []byte(`{"name":"b","from":"a"}`))
	f.Add("PATCH", "/v1/databases/a%2F/branches/%00/tenants/x", []byte(`{"name":"y"}`))
	f.Fuzz(func(t *testing.T, method, path string, body []byte) {
		cp, ok := copyOf(method, path, body)
		if ok && (strings.Contains(cp.source.Name, "/") && !strings.Contains(path, "%2F") && !strings.Contains(path, "%2f")) {
			t.Fatalf("copy source %q from path %q", cp.source.Name, path)
		}
		parseLifecycle(controlEntry{Method: method, Path: path, Body: body})
	})
}

func TestSeqFileIdentity(t *testing.T) {
	old := Tenant{Database: "main", Branch: "main", Name: "acme"}
	renewed := Tenant{Database: "main", Branch: "main", Name: "acme", ID: "main/main/acme/42"}
	if seq, ok := parseSeqFile(seqFileData(old, 17), old); !ok || seq != 17 {
		t.Fatalf("own mark: %d %v", seq, ok)
	}
	if _, ok := parseSeqFile(seqFileData(old, 17), renewed); ok {
		t.Fatal("a re-created tenant trusted its predecessor's cached file")
	}
	for _, bad := range []string{"", "17", "main/main/acme", "main/main/acme x"} {
		if _, ok := parseSeqFile([]byte(bad), old); ok {
			t.Errorf("mark %q accepted", bad)
		}
	}
}

func TestIdentsSurviveRestartAndTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cluster-idents")
	x, err := openIdents(path)
	if err != nil {
		t.Fatal(err)
	}
	acme := Tenant{Database: "main", Branch: "main", Name: "acme"}
	if got := x.resolve(acme); got.ID != "" || got.logKey() != "main/main/acme" {
		t.Fatalf("an unknown tenant resolves to %+v (%s)", got, got.logKey())
	}
	if err := x.set([]identLine{{Tenant: "main/main/acme", ID: "main/main/acme/5"}, {Tenant: "main/main/b", ID: "main/main/b/5"}}); err != nil {
		t.Fatal(err)
	}
	if err := x.set([]identLine{{Tenant: "main/main/acme", ID: "main/main/acme/9"}}); err != nil {
		t.Fatal(err)
	}
	x.close()
	// A node that died while appending left half a line.
	f, _ := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	f.WriteString(`{"t":"main/main/c","id":"ma`)
	f.Close()
	y, err := openIdents(path)
	if err != nil {
		t.Fatal(err)
	}
	defer y.close()
	if got := y.resolve(acme).ID; got != "main/main/acme/9" {
		t.Errorf("acme after restart: %q, want the last identity", got)
	}
	if got := y.resolve(Tenant{Database: "main", Branch: "main", Name: "c"}).ID; got != "" {
		t.Errorf("a torn line gave c the identity %q", got)
	}
	if err := y.set([]identLine{{Tenant: "main/main/c", ID: "main/main/c/11"}}); err != nil {
		t.Fatal(err)
	}
	z, err := openIdents(path)
	if err != nil {
		t.Fatal(err)
	}
	defer z.close()
	if got := z.resolve(Tenant{Database: "main", Branch: "main", Name: "c"}).ID; got != "main/main/c/11" {
		t.Errorf("a line written after a torn one was lost: %q", got)
	}
}

// A key created a moment ago is found through the stream's leader even when
// the replica answering KV reads does not have it; a deleted one is not.
func TestKeysReadThroughLeader(t *testing.T) {
	tc := startTestCluster(t)
	nc, err := nats.Connect(tc.servers[1].ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	keys, err := newKeys(ctx, js, 3)
	if err != nil {
		t.Fatal(err)
	}
	id, secret, err := keys.Create(ctx, apikey.Spec{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := keys.getFromLeader(ctx, "k."+id)
	if err != nil || len(v) == 0 {
		t.Fatalf("leader read of a new key: %q %v", v, err)
	}
	if _, err := keys.Authenticate(ctx, secret); err != nil {
		t.Fatalf("authenticate: %v", err)
	}
	if err := keys.kv.Delete(ctx, "k."+id); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.getFromLeader(ctx, "k."+id); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Fatalf("leader read of a deleted key: %v", err)
	}
	if _, err := keys.getFromLeader(ctx, "k.never"); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Fatalf("leader read of a missing key: %v", err)
	}
}

// Forget removes a deleted identity's snapshot and whole log, and a node
// acquiring a new identity of the same name starts empty.
func TestForgetDeletedIdentity(t *testing.T) {
	tc := startTestCluster(t)
	n, root := tc.node(t, 0, "n1")
	ctx := context.Background()
	old := Tenant{Database: "main", Branch: "feature.x", Name: "acme", ID: "main/feature.x/acme/3"}
	path := tenantPath(root)
	os.MkdirAll(filepath.Dir(path), 0o755)
	acquireEventually(t, n, old, path)
	c := openConn(t, path)
	exec(t, c, "CREATE TABLE t(v TEXT)")
	exec(t, c, "INSERT INTO t VALUES ('old')")
	c.Close()
	n.Release(ctx, old, path)
	if _, found, err := n.snapshotSeq(ctx, old); err != nil || !found {
		t.Fatalf("snapshot after release: %v %v", found, err)
	}
	if err := n.Forget(ctx, old); err != nil {
		t.Fatal(err)
	}
	if _, found, err := n.snapshotSeq(ctx, old); err != nil || found {
		t.Fatalf("snapshot after forget: %v %v", found, err)
	}
	if last, err := n.log.Last(ctx, old); err != nil || last != 0 {
		t.Fatalf("log after forget: last %d, %v", last, err)
	}
	if err := n.Forget(ctx, old); err != nil {
		t.Fatalf("forget is not idempotent: %v", err)
	}
	// The same name with a new identity: the cached file and its mark are
	// the old tenant's, and must not be trusted.
	renewed := old
	renewed.ID = "main/feature.x/acme/8"
	os.Remove(path)
	acquireEventually(t, n, renewed, path)
	defer n.Release(ctx, renewed, path)
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the re-created tenant got a file before any write: %v", err)
	}
}
