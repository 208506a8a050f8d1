package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/apikey"
	"github.com/cinchdb/cinch/local"
	"github.com/cinchdb/cinch/server"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// env is a project with a users table, tenants main and acme, a branch
// "feature", a server over httptest and keys of every kind.
type env struct {
	t    testing.TB
	dir  string
	p    *local.Project
	clk  *clock
	srv  *server.Server
	ts   *httptest.Server
	keys map[string]string // kind → secret
}

func newEnv(t testing.TB, cfg server.Config) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	if err := local.Init(ctx, dir, ""); err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now().UTC()}
	p, err := local.Open(ctx, local.Config{Dir: dir, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close(context.Background()) })
	db, err := p.Connect(cinch.Target{})
	if err != nil {
		t.Fatal(err)
	}
	name, _ := cinch.ParseColumnSpec("name:TEXT")
	age, _ := cinch.ParseColumnSpec("age:INTEGER")
	if _, err := db.Tables().Create(ctx, "users", []cinch.Column{name, age}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Tenants().Create(ctx, "acme", cinch.TenantCreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Branches().Create(ctx, "feature", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Groups().Create(ctx, cinch.Group{Name: "trial"}); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dir: dir, p: p, clk: clk, keys: map[string]string{}}
	mk := func(kind string, spec apikey.Spec) string {
		_, secret, err := apikey.ForProject(p).Create(ctx, spec)
		if err != nil {
			t.Fatal(err)
		}
		e.keys[kind] = secret
		return secret
	}
	mk("full", apikey.Spec{})
	mk("read_only", apikey.Spec{ReadOnly: true})
	mk("tenant_acme", apikey.Spec{Database: "main", Branch: "main", Tenant: "acme"})
	mk("tenant_other", apikey.Spec{Database: "main", Branch: "main", Tenant: "other"})
	mk("other_db", apikey.Spec{Database: "otherdb"})
	mk("expired", apikey.Spec{Expires: clk.Now().Add(time.Hour)})
	revoked := mk("revoked", apikey.Spec{})
	k, err := apikey.ForProject(p).Verify(ctx, revoked)
	if err != nil {
		t.Fatal(err)
	}
	if err := apikey.ForProject(p).Revoke(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	e.keys["wrong"] = e.keys["full"][:len(e.keys["full"])-4] + "aaaa"
	clk.Add(2 * time.Hour) // "expired" is now past its expiry
	e.srv = server.New(p, apikey.ForProject(p), cfg)
	e.ts = httptest.NewServer(e.srv.Handler())
	t.Cleanup(e.ts.Close)
	return e
}

type response struct {
	status int
	body   []byte
	code   string
	msg    string
}

func (r response) String() string { return fmt.Sprintf("%d %s", r.status, r.body) }

func (e *env) do(method, path, key string, body any) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, body: data}
	if resp.StatusCode >= 400 {
		var eb server.ErrorBody
		if err := json.Unmarshal(data, &eb); err != nil {
			e.t.Errorf("%s %s: error body is not JSON: %s", method, path, data)
		}
		r.code, r.msg = eb.Error.Code, eb.Error.Message
		if r.code == "" || r.msg == "" {
			e.t.Errorf("%s %s: error body without code or message: %s", method, path, data)
		}
		if strings.Contains(string(data), "goroutine") || strings.Contains(string(data), ".go:") {
			e.t.Errorf("%s %s: error body leaks internals: %s", method, path, data)
		}
	}
	return r
}

func TestStatus_CoversEveryCode(t *testing.T) {
	for _, c := range cinch.Codes {
		st := server.Status(c.Code)
		if c.Code != "internal" && st == http.StatusInternalServerError && c.Code != "no_project" {
			t.Errorf("code %q has no status in the table (got 500)", c.Code)
		}
		if st < 400 || st > 599 {
			t.Errorf("code %q → %d", c.Code, st)
		}
	}
	for code, want := range map[string]int{
		"tenant_not_found": 404, "tenant_exists": 409, "invalid_name": 400, "query_rejected": 400,
		"unauthorized": 401, "forbidden": 403, "read_only": 403, "too_large": 413, "rate_limited": 429, "internal": 500,
	} {
		if got := server.Status(code); got != want {
			t.Errorf("Status(%q) = %d, want %d", code, got, want)
		}
	}
}

// samplePath fills a route pattern's wildcards with names that exist in env.
func samplePath(pattern string) string {
	r := strings.NewReplacer("{db}", "main", "{branch}", "main", "{source}", "feature", "{tenant}", "acme",
		"{table}", "users", "{column}", "age", "{view}", "v_one", "{index}", "idx_one", "{id}", "r1", "{group}", "trial")
	return r.Replace(pattern)
}

func TestOpenAPI_MatchesRoutes(t *testing.T) {
	e := newEnv(t, server.Config{})
	r := e.do("GET", "/v1/openapi.json", "", nil)
	if r.status != 200 {
		t.Fatalf("openapi: %v", r)
	}
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi version %q", doc.OpenAPI)
	}
	var inDoc []string
	for path, methods := range doc.Paths {
		for m, op := range methods {
			inDoc = append(inDoc, strings.ToUpper(m)+" "+path)
			if op["operationId"] == nil || op["responses"] == nil {
				t.Errorf("%s %s: incomplete operation %v", m, path, op)
			}
		}
	}
	registered := e.srv.Routes()
	sort.Strings(inDoc)
	sort.Strings(registered)
	if !slices.Equal(inDoc, registered) {
		t.Fatalf("document and mux differ:\ndoc: %v\nmux: %v", inDoc, registered)
	}
	// SPEC §7 paths are all there.
	for _, want := range []string{
		"GET /v1/health", "GET /metrics", "GET /v1/openapi.json",
		"POST /v1/databases/{db}/branches/{branch}/tenants/{tenant}/query",
		"GET /v1/databases/{db}/branches/{branch}/tenants", "POST /v1/databases/{db}/branches/{branch}/tenants",
		"GET /v1/databases/{db}/branches/{branch}/tenants/{tenant}", "DELETE /v1/databases/{db}/branches/{branch}/tenants/{tenant}",
		"GET /v1/databases/{db}/branches/{branch}/tables", "POST /v1/databases/{db}/branches/{branch}/tables",
		"POST /v1/databases/{db}/branches/{branch}/tables/{table}/columns",
		"POST /v1/databases/{db}/branches/{branch}/tenants/{tenant}/tables/{table}/rows",
		"PATCH /v1/databases/{db}/branches/{branch}/tenants/{tenant}/tables/{table}/rows/{id}",
		"DELETE /v1/databases/{db}/branches/{branch}/tenants/{tenant}/tables/{table}/rows/{id}",
		"GET /v1/databases/{db}/branches", "POST /v1/databases/{db}/branches",
		"GET /v1/databases/{db}/branches/{branch}/changes", "POST /v1/databases/{db}/branches/{source}/merge",
	} {
		if !slices.Contains(registered, want) {
			t.Errorf("SPEC §7 route %q missing", want)
		}
	}
	// Every documented operation reaches a handler (not the mux's 404/405),
	// and a method the document does not list is 405.
	for path, methods := range doc.Paths {
		for m := range methods {
			r := e.do(strings.ToUpper(m), samplePath(path), e.keys["full"], "{}")
			if r.code == server.CodeRouteNotFound || r.code == server.CodeMethodNotAllowed {
				t.Errorf("%s %s: not routed: %v", m, path, r)
			}
		}
		for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			if strings.HasSuffix(path, "/rows/delete") && (m == "PATCH" || m == "DELETE") {
				continue // the literal "delete" is also a row {id} for PATCH and DELETE
			}
			if _, ok := methods[strings.ToLower(m)]; ok {
				continue
			}
			if r := e.do(m, samplePath(path), e.keys["full"], nil); r.status != 405 || r.code != server.CodeMethodNotAllowed {
				t.Errorf("%s %s (undocumented): %v, want 405", m, path, r)
			}
		}
	}
}

// sampleQuery returns a valid query string for an operation that needs
// one (KV reads name their key there).
func sampleQuery(op string) string {
	switch op {
	case "getKV", "existsKV", "getKVTTL", "sizeKV":
		return "?key=k1"
	}
	return ""
}

// sampleBody returns a valid body for an operation (fresh names each call).
func sampleBody(op string, n int) any {
	switch op {
	case "createBranch":
		return map[string]any{"name": fmt.Sprintf("b%d", n)}
	case "mergeBranch":
		return map[string]any{"target": "main", "dry_run": true}
	case "createTenant":
		return map[string]any{"name": fmt.Sprintf("t%d", n)}
	case "renameTenant":
		return map[string]any{"name": fmt.Sprintf("r%d", n)}
	case "copyTenant":
		return map[string]any{"target": fmt.Sprintf("c%d", n)}
	case "query":
		return map[string]any{"sql": "SELECT count(*) AS n FROM users"}
	case "insertRows":
		return map[string]any{"name": "x"}
	case "deleteRows":
		return map[string]any{"ids": []string{"nope"}}
	case "updateRow":
		return map[string]any{"name": "y"}
	case "createTable":
		return map[string]any{"name": fmt.Sprintf("tb%d", n), "columns": []any{map[string]any{"name": "a", "type": "TEXT"}}}
	case "copyTable":
		return map[string]any{"target": fmt.Sprintf("cp%d", n)}
	case "addColumn":
		return map[string]any{"name": fmt.Sprintf("c%d", n), "type": "TEXT"}
	case "alterColumn":
		return map[string]any{"nullable": true}
	case "createView":
		return map[string]any{"name": fmt.Sprintf("v%d", n), "sql": "SELECT 1 AS one"}
	case "updateView":
		return map[string]any{"sql": "SELECT 2 AS two"}
	case "createIndex":
		return map[string]any{"name": fmt.Sprintf("ix%d", n), "table": "users", "columns": []string{"name"}}
	case "fanOutQuery":
		return map[string]any{"sql": "SELECT count(*) AS n FROM users"}
	case "checkTenants", "vacuumTenants", "analyzeTenants":
		return map[string]any{"tenants": []string{"acme"}}
	case "createGroup":
		return map[string]any{"name": fmt.Sprintf("g%d", n)}
	case "setGroupLimits":
		return map[string]any{"max_db_bytes": 0, "max_concurrent": 4}
	case "setTenantGroup":
		return map[string]any{"group": "trial"}
	case "setKV":
		return map[string]any{"key": fmt.Sprintf("k%d", n), "value": n}
	case "deleteKV", "mgetKV":
		return map[string]any{"keys": []string{"k1"}}
	case "expireKV":
		return map[string]any{"key": "k1", "ttl_ms": 60000}
	case "persistKV", "incrKV":
		return map[string]any{"key": "k1"}
	case "msetKV":
		return map[string]any{"items": []any{map[string]any{"key": fmt.Sprintf("m%d", n), "value": "x"}}}
	case "moveTenantToNode":
		return map[string]any{"tenant": "acme", "to": "n2"}
	case "drainNode", "undrainNode":
		return map[string]any{"node": "n2"}
	}
	return nil
}

// routeInfo is what the auth matrix needs to know of each route, read
// from the OpenAPI document (the route table's public face).
type routeInfo struct {
	method, path, op string
	public           bool
	write            bool
	scope            string
}

func routesFromDoc(t *testing.T, e *env) []routeInfo {
	r := e.do("GET", "/v1/openapi.json", "", nil)
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
			Description string `json:"description"`
			Security    []any  `json:"security"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	var out []routeInfo
	for path, ms := range doc.Paths {
		for m, op := range ms {
			ri := routeInfo{method: strings.ToUpper(m), path: path, op: op.OperationID,
				public: op.Security != nil && len(op.Security) == 0}
			ri.write = strings.Contains(op.Description, "read-only keys")
			if s, ok := strings.CutPrefix(op.Description, "Key scope needed: "); ok {
				ri.scope, _, _ = strings.Cut(s, ".")
			}
			out = append(out, ri)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path+out[i].method < out[j].path+out[j].method })
	return out
}

// TestAuthMatrix walks every route with every kind of key.
func TestAuthMatrix(t *testing.T) {
	e := newEnv(t, server.Config{})
	routes := routesFromDoc(t, e)
	if len(routes) < 30 {
		t.Fatalf("only %d routes", len(routes))
	}
	n := 0
	// Destructive routes run last within each key, so the others see the fixtures.
	destructive := map[string]bool{"deleteTenant": true, "renameTenant": true, "deleteBranch": true, "dropTable": true, "dropColumn": true, "archiveTenant": true}
	for _, kind := range []string{"none", "wrong", "revoked", "expired", "tenant_other", "other_db", "read_only", "tenant_acme", "full"} {
		for pass := 0; pass < 2; pass++ {
			for _, rt := range routes {
				if destructive[rt.op] != (pass == 1) {
					continue
				}
				n++
				path := samplePath(rt.path) + sampleQuery(rt.op)
				if rt.op == "deleteBranch" {
					path = strings.Replace(path, "/branches/main", "/branches/feature", 1)
				}
				key := e.keys[kind]
				r := e.do(rt.method, path, key, sampleBody(rt.op, n))
				want := expectAuth(kind, rt)
				name := fmt.Sprintf("%s %s with %s key", rt.method, path, kind)
				switch want {
				case 0:
					if r.status == 501 && strings.HasPrefix(rt.path, "/v1/cluster/") {
						// Allowed through, then refused: not a cluster node.
						break
					}
					if r.status == 401 || r.status == 403 || r.status >= 500 {
						t.Errorf("%s: got %v, want access", name, r)
					}
				default:
					if r.status != want {
						t.Errorf("%s: got %v, want %d", name, r, want)
					}
					if want == 403 && strings.Contains(string(r.body), "\"rows\"") {
						t.Errorf("%s: 403 with data: %s", name, r.body)
					}
				}
			}
		}
	}
}

// expectAuth is the matrix: 401, 403, or 0 for "allowed".
func expectAuth(kind string, rt routeInfo) int {
	if rt.public {
		return 0
	}
	switch kind {
	case "none", "wrong", "revoked", "expired":
		return 401
	}
	if rt.scope == "any key" {
		return 0
	}
	switch kind {
	case "full":
		return 0
	case "read_only":
		if rt.write {
			return 403
		}
		return 0
	case "other_db":
		if rt.scope == "project" {
			return 403
		}
		return 403 // every other route names database main
	case "tenant_other", "tenant_acme":
		switch rt.scope {
		case "branch (read)":
			return 0
		case "tenant":
			if kind == "tenant_acme" {
				return 0
			}
		}
		return 403
	}
	panic(kind)
}

// files lists the project's files, to prove bad requests wrote nothing.
func files(t *testing.T, dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(path, "-shm") && !strings.HasSuffix(path, "-wal") &&
			!strings.HasSuffix(path, ".lock") && !strings.HasSuffix(path, "generation") {
			rel, _ := filepath.Rel(dir, path)
			out = append(out, rel)
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func TestBadInput(t *testing.T) {
	e := newEnv(t, server.Config{MaxBodyBytes: 4096})
	key := e.keys["full"]
	// Open the key store and every tenant once so no file appears later.
	e.do("POST", samplePath("/v1/databases/{db}/branches/{branch}/tenants/{tenant}/query"), key, `{"sql":"SELECT 1"}`)
	before := files(t, e.dir)
	const tn = "/v1/databases/main/branches/main/tenants/acme"
	const br = "/v1/databases/main/branches/main"
	huge := `{"sql": "SELECT 1", "params": ["` + strings.Repeat("x", 8000) + `"]}`
	cases := []struct {
		name, method, path string
		body               any
		status             int
		code               string
	}{
		{"malformed json", "POST", tn + "/query", `{"sql": "SELECT 1"`, 400, "invalid_input"},
		{"not json", "POST", tn + "/query", `SELECT 1`, 400, "invalid_input"},
		{"empty body", "POST", tn + "/query", ``, 400, "invalid_input"},
		{"unknown field", "POST", tn + "/query", `{"sql": "SELECT 1", "evil": true}`, 400, "invalid_input"},
		{"wrong type", "POST", tn + "/query", `{"sql": 42}`, 400, "invalid_input"},
		{"params not array", "POST", tn + "/query", `{"sql": "SELECT ?", "params": "x"}`, 400, "invalid_input"},
		{"nested param", "POST", tn + "/query", `{"sql": "SELECT ?", "params": [{"a": 1}]}`, 400, "invalid_input"},
		{"trailing data", "POST", tn + "/query", `{"sql": "SELECT 1"} {"sql": "DELETE FROM users"}`, 400, "invalid_input"},
		{"negative limit", "POST", tn + "/query", `{"sql": "SELECT 1", "limit": -1}`, 400, "invalid_input"},
		{"huge body", "POST", tn + "/query", huge, 413, "too_large"},
		{"huge rows", "POST", tn + "/tables/users/rows", `{"name": "` + strings.Repeat("x", 8000) + `"}`, 413, "too_large"},
		{"ddl", "POST", tn + "/query", `{"sql": "DROP TABLE users"}`, 400, "query_rejected"},
		{"attach", "POST", tn + "/query", `{"sql": "ATTACH DATABASE '/tmp/evil.db' AS evil"}`, 400, "query_rejected"},
		{"vacuum into", "POST", tn + "/query", `{"sql": "VACUUM INTO '/tmp/evil.db'"}`, 400, "query_rejected"},
		{"pragma", "POST", tn + "/query", `{"sql": "PRAGMA journal_mode=DELETE"}`, 400, "query_rejected"},
		{"two statements", "POST", tn + "/query", `{"sql": "SELECT 1; DELETE FROM users"}`, 400, "query_rejected"},
		{"param count", "POST", tn + "/query", `{"sql": "SELECT ?, ?", "params": [1]}`, 400, "invalid_input"},
		{"too many params", "POST", tn + "/query", `{"sql": "SELECT 1", "params": [1]}`, 400, "invalid_input"},
		{"huge int", "POST", tn + "/query", `{"sql": "SELECT ?", "params": [123456789012345678901234567890]}`, 400, "invalid_input"},
		{"traversal tenant", "POST", "/v1/databases/main/branches/main/tenants/..%2F..%2Fevil/query", `{"sql":"SELECT 1"}`, 400, "invalid_name"},
		{"traversal dotdot", "GET", "/v1/databases/main/branches/main/tenants/%2e%2e", nil, 400, "invalid_name"},
		{"traversal raw", "GET", "/v1/databases/main/branches/../../etc/tenants", nil, 400, "invalid_name"},
		{"traversal db", "GET", "/v1/databases/..%2Fx/branches", nil, 400, "invalid_name"},
		{"traversal table", "POST", tn + "/tables/..%2Fusers/rows", `{"name":"x"}`, 400, "invalid_name"},
		{"slash in branch", "GET", "/v1/databases/main/branches/a%2Fb/tables", nil, 400, "invalid_name"},
		{"bad tenant name", "POST", br + "/tenants", `{"name": "Acme Corp"}`, 400, "invalid_name"},
		{"reserved tenant", "POST", br + "/tenants", `{"name": "__x"}`, 400, "invalid_name"},
		{"long tenant", "POST", br + "/tenants", `{"name": "` + strings.Repeat("a", 64) + `"}`, 400, "invalid_name"},
		{"control char tenant", "POST", br + "/tenants", `{"name": "a\u0000b"}`, 400, "invalid_name"},
		{"tenant wrong type", "POST", br + "/tenants", `{"name": ["a"]}`, 400, "invalid_input"},
		{"bad table name", "POST", br + "/tables", `{"name": "User", "columns": []}`, 400, "invalid_name"},
		{"sqlite table", "POST", br + "/tables", `{"name": "sqlite_master", "columns": []}`, 400, "invalid_name"},
		{"bad column type", "POST", br + "/tables", `{"name": "t", "columns": [{"name": "a", "type": "VARCHAR"}]}`, 400, "invalid_input"},
		{"reserved column", "POST", br + "/tables/users/columns", `{"name": "id", "type": "TEXT"}`, 400, "invalid_name"},
		{"bad branch", "POST", "/v1/databases/main/branches", `{"name": "-x"}`, 400, "invalid_name"},
		{"rows not object", "POST", tn + "/tables/users/rows", `"x"`, 400, "invalid_input"},
		{"rows array of scalars", "POST", tn + "/tables/users/rows", `[1, 2]`, 400, "invalid_input"},
		{"rows nested value", "POST", tn + "/tables/users/rows", `{"name": {"a": 1}}`, 400, "invalid_input"},
		{"rows bad column", "POST", tn + "/tables/users/rows", `{"Name": "x"}`, 400, "invalid_name"},
		{"rows created_at", "POST", tn + "/tables/users/rows", `{"created_at": "x"}`, 400, "invalid_input"},
		{"rows empty array", "POST", tn + "/tables/users/rows", `[]`, 400, "invalid_input"},
		{"patch array", "PATCH", tn + "/tables/users/rows/x", `[{"name": "x"}]`, 400, "invalid_input"},
		{"merge unknown field", "POST", "/v1/databases/main/branches/feature/merge", `{"target": "main", "force": true}`, 400, "invalid_input"},
		{"merge bad target", "POST", "/v1/databases/main/branches/feature/merge", `{"target": "../main"}`, 400, "invalid_name"},
		{"unknown route", "GET", "/v1/nope", nil, 404, server.CodeRouteNotFound},
		{"bad auth scheme", "GET", br + "/tables", nil, 401, "unauthorized"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k := key
			if tc.name == "bad auth scheme" {
				req, _ := http.NewRequest(tc.method, e.ts.URL+tc.path, nil)
				req.Header.Set("Authorization", "Basic "+key)
				resp, err := e.ts.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 401 {
					t.Errorf("status %d, want 401", resp.StatusCode)
				}
				return
			}
			r := e.do(tc.method, tc.path, k, tc.body)
			if r.status != tc.status || r.code != tc.code {
				t.Errorf("got %v (code %q), want %d %s", r, r.code, tc.status, tc.code)
			}
		})
	}
	// Nothing was written.
	if after := files(t, e.dir); !slices.Equal(before, after) {
		t.Errorf("files changed:\nbefore %v\nafter  %v", before, after)
	}
	for _, tenant := range []string{"main", "acme"} {
		r := e.do("POST", "/v1/databases/main/branches/main/tenants/"+tenant+"/query", key, `{"sql": "SELECT count(*) AS n FROM users"}`)
		if !strings.Contains(string(r.body), `"rows":[[0]]`) {
			t.Errorf("tenant %s: %v", tenant, r)
		}
	}
	r := e.do("GET", "/v1/databases/main/branches/main/tenants", key, nil)
	var list []cinch.TenantInfo
	json.Unmarshal(r.body, &list)
	if len(list) != 2 {
		t.Errorf("tenants = %s", r.body)
	}
}

func TestLimits(t *testing.T) {
	const q = "/v1/databases/main/branches/main/tenants/acme/query"
	t.Run("max rows", func(t *testing.T) {
		e := newEnv(t, server.Config{MaxRows: 3})
		key := e.keys["full"]
		r := e.do("POST", q, key, `{"sql": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c LIMIT 10) SELECT x FROM c"}`)
		var res cinch.Result
		json.Unmarshal(r.body, &res)
		if r.status != 200 || len(res.Rows) != 3 || !res.Truncated {
			t.Errorf("got %v", r)
		}
		// A crafted limit cannot raise the cap.
		r = e.do("POST", q, key, `{"sql": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c LIMIT 10) SELECT x FROM c", "limit": 1000}`)
		json.Unmarshal(r.body, &res)
		if len(res.Rows) != 3 || !res.Truncated {
			t.Errorf("limit 1000: got %v", r)
		}
		r = e.do("POST", q, key, `{"sql": "SELECT 1 AS x", "limit": 2}`)
		if !strings.Contains(string(r.body), `"truncated":false`) {
			t.Errorf("untruncated result says truncated: %v", r)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		e := newEnv(t, server.Config{QueryTimeout: 50 * time.Millisecond})
		r := e.do("POST", q, e.keys["full"], `{"sql": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c"}`)
		if r.status != 408 || r.code != "canceled" {
			t.Errorf("got %v, want 408 canceled", r)
		}
		// The tenant still works afterwards.
		if r := e.do("POST", q, e.keys["full"], `{"sql": "SELECT 1 AS x"}`); r.status != 200 {
			t.Errorf("after timeout: %v", r)
		}
	})
	t.Run("rate", func(t *testing.T) {
		e := newEnv(t, server.Config{RatePerKey: 1e-9, RateBurst: 2})
		key := e.keys["full"]
		for i := range 2 {
			if r := e.do("POST", q, key, `{"sql": "SELECT 1 AS x"}`); r.status != 200 {
				t.Fatalf("request %d: %v", i, r)
			}
		}
		if r := e.do("POST", q, key, `{"sql": "SELECT 1 AS x"}`); r.status != 429 || r.code != "rate_limited" {
			t.Errorf("third: %v, want 429", r)
		}
		// Per key: another key has its own bucket.
		if r := e.do("POST", q, e.keys["tenant_acme"], `{"sql": "SELECT 1 AS x"}`); r.status != 200 {
			t.Errorf("other key: %v", r)
		}
		// Health needs no key and is not limited.
		if r := e.do("GET", "/v1/health", "", nil); r.status != 200 {
			t.Errorf("health: %v", r)
		}
	})
}

func TestReadOnlyKey_SQLiteDecides(t *testing.T) {
	e := newEnv(t, server.Config{})
	const q = "/v1/databases/main/branches/main/tenants/acme/query"
	ro := e.keys["read_only"]
	for _, sql := range []string{
		"DELETE FROM users", "INSERT INTO users (name) VALUES ('x')", "  /* comment */ UPDATE users SET name = 'x'",
		"WITH x AS (SELECT 1) INSERT INTO users (name) SELECT 'y' FROM x",
	} {
		r := e.do("POST", q, ro, map[string]any{"sql": sql})
		if r.status != 403 || r.code != "read_only" {
			t.Errorf("%q: %v, want 403 read_only", sql, r)
		}
	}
	if r := e.do("POST", q, ro, `{"sql": "WITH x AS (SELECT 1 AS a) SELECT a FROM x"}`); r.status != 200 {
		t.Errorf("read: %v", r)
	}
	// The request's own read_only flag works for any key.
	if r := e.do("POST", q, e.keys["full"], `{"sql": "DELETE FROM users", "read_only": true}`); r.status != 403 {
		t.Errorf("read_only flag: %v", r)
	}
}

func TestRows_RoundTrip(t *testing.T) {
	e := newEnv(t, server.Config{})
	key := e.keys["tenant_acme"]
	const rows = "/v1/databases/main/branches/main/tenants/acme/tables/users/rows"
	r := e.do("POST", rows, key, `{"name": "Alice", "age": 30}`)
	var rec map[string]any
	json.Unmarshal(r.body, &rec)
	if r.status != 201 || rec["name"] != "Alice" || rec["id"] == nil {
		t.Fatalf("insert: %v", r)
	}
	id := rec["id"].(string)
	r = e.do("POST", rows, key, `[{"name": "B"}, {"name": "C"}]`)
	var many []map[string]any
	json.Unmarshal(r.body, &many)
	if r.status != 201 || len(many) != 2 {
		t.Fatalf("insert many: %v", r)
	}
	r = e.do("PATCH", rows+"/"+id, key, `{"age": 31}`)
	if r.status != 200 || !strings.Contains(string(r.body), `"age":31`) {
		t.Errorf("patch: %v", r)
	}
	if r := e.do("PATCH", rows+"/ghost", key, `{"age": 1}`); r.status != 404 || r.code != "row_not_found" {
		t.Errorf("patch ghost: %v", r)
	}
	if r := e.do("DELETE", rows+"/"+id, key, nil); r.status != 200 || string(bytes.TrimSpace(r.body)) != `{"deleted":1}` {
		t.Errorf("delete: %v", r)
	}
	if r := e.do("DELETE", rows+"/"+id, key, nil); r.status != 200 || string(bytes.TrimSpace(r.body)) != `{"deleted":0}` {
		t.Errorf("delete again: %v", r)
	}
	if r := e.do("GET", "/v1/databases/main/branches/main/tenants/ghost", e.keys["full"], nil); r.status != 404 || r.code != "tenant_not_found" {
		t.Errorf("ghost tenant: %v", r)
	}
	if r := e.do("POST", "/v1/databases/main/branches/main/tenants", e.keys["full"], `{"name": "acme"}`); r.status != 409 || r.code != "tenant_exists" {
		t.Errorf("dup tenant: %v", r)
	}
	if r := e.do("DELETE", "/v1/databases/main/branches/main/tenants/main", e.keys["full"], nil); r.status != 409 || r.code != "protected" {
		t.Errorf("delete main: %v", r)
	}
	if r := e.do("GET", "/v1/health", "", nil); r.status != 200 || !strings.Contains(string(r.body), "ok") {
		t.Errorf("health: %v", r)
	}
}

func TestMetrics(t *testing.T) {
	e := newEnv(t, server.Config{})
	e.do("POST", "/v1/databases/main/branches/main/tenants/acme/query", e.keys["full"], `{"sql": "SELECT 1 AS x"}`)
	if r := e.do("GET", "/metrics", "", nil); r.status != 401 {
		t.Errorf("metrics without key: %v", r)
	}
	if r := e.do("GET", "/metrics", e.keys["tenant_acme"], nil); r.status != 403 {
		t.Errorf("metrics with tenant key: %v", r)
	}
	r := e.do("GET", "/metrics", e.keys["full"], nil)
	if r.status != 200 {
		t.Fatalf("metrics: %v", r)
	}
	for _, want := range []string{
		`cinch_http_requests_total{code="200",route="POST /v1/databases/{db}/branches/{branch}/tenants/{tenant}/query"} 1`,
		`cinch_http_requests_total{code="401",route="GET /metrics"} 1`,
		"cinch_http_request_duration_seconds_bucket",
		"cinch_open_tenant_handles",
		`cinch_tenants{branch="main",database="main"} 2`,
		`cinch_rollouts_in_progress{branch="main",database="main"} 0`,
		`cinch_tenants_behind{branch="main",database="main"} `,
	} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestServer_MergeConflictDetails(t *testing.T) {
	e := newEnv(t, server.Config{})
	key := e.keys["full"]
	add := func(branch, spec string) {
		r := e.do("POST", "/v1/databases/main/branches/"+branch+"/tables/users/columns", key, spec)
		if r.status != 201 {
			t.Fatalf("add column on %s: %v", branch, r)
		}
	}
	add("main", `{"name": "phone", "type": "TEXT"}`)
	add("feature", `{"name": "phone", "type": "INTEGER"}`)
	r := e.do("POST", "/v1/databases/main/branches/feature/merge", key, `{"target": "main", "dry_run": false}`)
	if r.status != 409 || r.code != "conflict" || !strings.Contains(string(r.body), `"conflicts"`) {
		t.Errorf("conflicting merge: %v", r)
	}
}
