package main

// End-to-end test of `cinch key` and `cinch serve`: the real binary serves
// a project on a loopback port while the CLI keeps using it; the SPEC §7
// table is walked with net/http, every auth case included, and SIGTERM
// stops the server cleanly.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cinchdb/cinch/apikey"
	"github.com/cinchdb/cinch/local"
)

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// lockedBuffer collects the server's stderr while it runs.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestServe(t *testing.T) {
	dir := t.TempDir()
	c := runner{t: t, dir: dir}
	c.ok("init")
	c.ok("table", "create", "users", "name:TEXT", "age:INTEGER")
	c.ok("tenant", "create", "acme")
	c.ok("tenant", "create", "globex")

	// Keys: shown once, alone on the last line; JSON gives id and key.
	var created map[string]string
	c.json(&created, "key", "create")
	full := created["key"]
	if created["id"] == "" || !strings.HasPrefix(full, "cinch_") {
		t.Fatalf("key create --format json: %v", created)
	}
	tenantKey := lastLine(c.ok("key", "create", "--tenant", "acme").stdout)
	readOnly := lastLine(c.ok("key", "create", "--read-only").stdout)
	revoked := lastLine(c.ok("key", "create").stdout)
	var list []map[string]any
	c.json(&list, "key", "list")
	if len(list) != 4 || list[0]["id"] == nil {
		t.Fatalf("key list: %v", list)
	}
	for _, k := range list {
		for _, secret := range []string{full, tenantKey, readOnly, revoked} {
			if raw, _ := json.Marshal(k); strings.Contains(string(raw), secret[20:]) {
				t.Fatal("key list shows a secret")
			}
		}
	}
	revokedID := strings.Split(revoked, "_")[1]
	c.ok("key", "revoke", revokedID)
	c.fail([]string{"key", "revoke", "0000000000000000"}, "not found")
	c.fail([]string{"key", "create", "--expires", "soon"}, "--expires")
	// An expired key: made through the library with a clock two hours back.
	ctx := context.Background()
	past := time.Now().Add(-2 * time.Hour)
	p, err := local.Open(ctx, local.Config{Dir: dir, Now: func() time.Time { return past }})
	if err != nil {
		t.Fatal(err)
	}
	_, expired, err := apikey.ForProject(p).Create(ctx, apikey.Spec{Expires: past.Add(time.Hour)})
	p.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}

	served := startServe(t, dir)
	base, srv, log, copied := served.base, served.cmd, served.log, served.copied

	type resp struct {
		status int
		body   string
	}
	call := func(method, path, key, body string) resp {
		t.Helper()
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, base+path, rd)
		if err != nil {
			t.Fatal(err)
		}
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		data, _ := io.ReadAll(r.Body)
		return resp{r.StatusCode, string(data)}
	}
	expect := func(name string, got resp, status int, contains ...string) {
		t.Helper()
		if got.status != status {
			t.Errorf("%s: status %d, want %d: %s", name, got.status, status, got.body)
		}
		for _, s := range contains {
			if !strings.Contains(got.body, s) {
				t.Errorf("%s: body lacks %q: %s", name, s, got.body)
			}
		}
	}

	const br = "/v1/databases/main/branches/main"
	const acme = br + "/tenants/acme"
	// The SPEC §7 table with a full key.
	expect("health", call("GET", "/v1/health", "", ""), 200, "ok")
	expect("openapi", call("GET", "/v1/openapi.json", "", ""), 200, `"openapi"`, "/v1/databases/{db}/branches/{branch}/tenants/{tenant}/query")
	expect("tenants list", call("GET", br+"/tenants", full, ""), 200, `"acme"`, `"globex"`)
	expect("tenant create", call("POST", br+"/tenants", full, `{"name": "initech"}`), 201, `"initech"`)
	expect("tenant get", call("GET", br+"/tenants/initech", full, ""), 200, `"initech"`)
	expect("tenant delete", call("DELETE", br+"/tenants/initech", full, ""), 204)
	expect("tenant gone", call("GET", br+"/tenants/initech", full, ""), 404, `"tenant_not_found"`)
	expect("tables list", call("GET", br+"/tables", full, ""), 200, `"users"`)
	expect("table create", call("POST", br+"/tables", full, `{"name": "orders", "columns": [{"name": "total", "type": "REAL"}]}`), 201, `"CREATE_TABLE"`)
	expect("column add", call("POST", br+"/tables/users/columns", full, `{"name": "email", "type": "TEXT"}`), 201, `"ADD_COLUMN"`)
	ins := call("POST", acme+"/tables/users/rows", full, `{"name": "Alice", "age": 30}`)
	expect("row insert", ins, 201, `"Alice"`, `"created_at"`)
	var rec map[string]any
	json.Unmarshal([]byte(ins.body), &rec)
	id, _ := rec["id"].(string)
	expect("rows insert array", call("POST", acme+"/tables/users/rows", full, `[{"name": "Bob"}, {"name": "Carol"}]`), 201, `"Bob"`, `"Carol"`)
	expect("row patch", call("PATCH", acme+"/tables/users/rows/"+id, full, `{"age": 31}`), 200, `"age":31`)
	expect("row delete", call("DELETE", acme+"/tables/users/rows/"+id, full, ""), 200, `"deleted":1`)
	expect("query", call("POST", acme+"/query", full, `{"sql": "SELECT name FROM users ORDER BY name", "params": []}`), 200,
		`"columns":["name"]`, `"rows":[["Bob"],["Carol"]]`, `"rows_affected":0`)
	expect("query params", call("POST", acme+"/query", full, `{"sql": "SELECT ? + ? AS s", "params": [1, 2]}`), 200, `"columns":["s"],"rows":[[3]]`)
	expect("query rejected", call("POST", acme+"/query", full, `{"sql": "DROP TABLE users"}`), 400, `"query_rejected"`)
	expect("branches list", call("GET", "/v1/databases/main/branches", full, ""), 200, `"main"`)
	expect("branch create", call("POST", "/v1/databases/main/branches", full, `{"name": "feature.x"}`), 201, `"feature.x"`)
	expect("column on branch", call("POST", "/v1/databases/main/branches/feature.x/tables/users/columns", full, `{"name": "phone", "type": "TEXT"}`), 201)
	expect("changes", call("GET", "/v1/databases/main/branches/feature.x/changes", full, ""), 200, `"ADD_COLUMN"`, `"timestamp"`)
	expect("merge dry run", call("POST", "/v1/databases/main/branches/feature.x/merge", full, `{"target": "main", "dry_run": true}`), 200, `"dry_run":true`)
	expect("merge", call("POST", "/v1/databases/main/branches/feature.x/merge", full, `{"target": "main", "dry_run": false}`), 200, `"phone"`)
	expect("metrics", call("GET", "/metrics", full, ""), 200, "cinch_http_requests_total", "cinch_open_tenant_handles", "cinch_tenants")

	// The CLI works on the project while the server runs, and sees its writes.
	var rows []map[string]any
	c.json(&rows, "query", "SELECT name FROM users ORDER BY name", "--tenant", "acme")
	if len(rows) != 2 || rows[0]["name"] != "Bob" {
		t.Errorf("CLI beside the server: %v", rows)
	}
	c.ok("data", "insert", "users", "--tenant", "acme", "--data", `{"name": "Dave"}`)
	expect("server sees CLI write", call("POST", acme+"/query", full, `{"sql": "SELECT count(*) AS n FROM users"}`), 200, `"rows":[[3]]`)

	// Auth cases.
	expect("no key", call("GET", br+"/tenants", "", ""), 401, `"unauthorized"`)
	expect("wrong key", call("GET", br+"/tenants", full[:len(full)-3]+"abc", ""), 401, `"unauthorized"`)
	expect("revoked key", call("GET", br+"/tenants", revoked, ""), 401, "revoked")
	expect("expired key", call("GET", br+"/tenants", expired, ""), 401, "expired")
	expect("metrics without key", call("GET", "/metrics", "", ""), 401)
	expect("tenant key: own tenant", call("POST", acme+"/query", tenantKey, `{"sql": "SELECT count(*) AS n FROM users"}`), 200, `"rows":[[3]]`)
	expect("tenant key: own rows", call("POST", acme+"/tables/users/rows", tenantKey, `{"name": "Eve"}`), 201)
	expect("tenant key: other tenant", call("POST", br+"/tenants/globex/query", tenantKey, `{"sql": "SELECT * FROM users"}`), 403, `"forbidden"`)
	expect("tenant key: missing tenant", call("GET", br+"/tenants/nope", tenantKey, ""), 403)
	expect("tenant key: list tenants", call("GET", br+"/tenants", tenantKey, ""), 403)
	expect("tenant key: create tenant", call("POST", br+"/tenants", tenantKey, `{"name": "x"}`), 403)
	expect("tenant key: delete tenant", call("DELETE", acme, tenantKey, ""), 403)
	expect("tenant key: schema", call("POST", br+"/tables", tenantKey, `{"name": "t", "columns": []}`), 403)
	expect("tenant key: branch", call("POST", "/v1/databases/main/branches", tenantKey, `{"name": "b"}`), 403)
	expect("tenant key: merge", call("POST", "/v1/databases/main/branches/feature.x/merge", tenantKey, `{"target": "main"}`), 403)
	expect("tenant key: other branch", call("POST", "/v1/databases/main/branches/feature.x/tenants/acme/query", tenantKey, `{"sql": "SELECT 1"}`), 403)
	expect("tenant key: metrics", call("GET", "/metrics", tenantKey, ""), 403)
	expect("read-only: select", call("POST", acme+"/query", readOnly, `{"sql": "SELECT count(*) AS n FROM users"}`), 200, `"rows":[[4]]`)
	expect("read-only: delete sql", call("POST", acme+"/query", readOnly, `{"sql": "DELETE FROM users"}`), 403, `"read_only"`)
	expect("read-only: insert", call("POST", acme+"/tables/users/rows", readOnly, `{"name": "x"}`), 403, `"read_only"`)
	expect("read-only: tenant create", call("POST", br+"/tenants", readOnly, `{"name": "x"}`), 403)
	expect("read-only: wrote nothing", call("POST", acme+"/query", full, `{"sql": "SELECT count(*) AS n FROM users"}`), 200, `"rows":[[4]]`)

	// A key revoked by the CLI while the server runs stops working at once.
	tenantID := strings.Split(tenantKey, "_")[1]
	c.ok("key", "revoke", tenantID)
	expect("revoked while serving", call("POST", acme+"/query", tenantKey, `{"sql": "SELECT 1"}`), 401)

	// SIGTERM: a clean exit.
	if err := srv.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-copied
	if err := srv.Wait(); err != nil {
		t.Errorf("serve after SIGTERM: %v\n%s", err, log)
	}
	out := log.String()
	if !strings.Contains(out, "stopped") || !strings.Contains(out, "status=201") {
		t.Errorf("serve log: %s", out)
	}
	if strings.Contains(out, full) {
		t.Error("the server log shows a key")
	}
	c.ok("tenant", "check", "--all")
}

// served is a running `cinch serve`: its base URL, the process, its stderr
// (the request log) and a channel closed when that stream ends.
type served struct {
	base   string
	cmd    *exec.Cmd
	log    *lockedBuffer
	copied chan struct{}
}

// startServe starts `cinch serve` on a free loopback port in dir and
// waits for the address it prints; the process is killed at cleanup.
func startServe(t *testing.T, dir string, args ...string) served {
	t.Helper()
	srv := exec.Command(binary, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	srv.Dir = dir
	stderr, err := srv.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	log := &lockedBuffer{}
	copied := make(chan struct{})
	sc := bufio.NewScanner(stderr)
	base := ""
	for sc.Scan() {
		line := sc.Text()
		log.Write([]byte(line + "\n"))
		if _, rest, ok := strings.Cut(line, "listening on "); ok {
			base = strings.Fields(rest)[0]
			break
		}
	}
	if base == "" {
		srv.Process.Kill()
		srv.Wait()
		t.Fatalf("serve printed no address: %s", log)
	}
	go func() { io.Copy(log, stderr); close(copied) }()
	// At cleanup the server must stop cleanly on SIGTERM (unless the test
	// already stopped it).
	t.Cleanup(func() {
		if srv.ProcessState != nil {
			return
		}
		srv.Process.Signal(syscall.SIGTERM)
		<-copied
		if err := srv.Wait(); err != nil {
			t.Errorf("serve after SIGTERM: %v\n%s", err, log)
		}
	})
	return served{base, srv, log, copied}
}
