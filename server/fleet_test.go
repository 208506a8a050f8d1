package server_test

// The fleet and group routes (issue 11, item 3): who may call them, the
// shape of a fan-out answer, and the limits that bound it.

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/apikey"
	"github.com/cinchdb/cinch/local"
	"github.com/cinchdb/cinch/server"
)

// The server depends on these interfaces; the local engine satisfies them.
var (
	_ server.Engine   = (*local.Project)(nil)
	_ server.KeyStore = (*apikey.Store)(nil)
)

const (
	brPath = "/v1/databases/main/branches/main"
	fleetP = brPath + "/fleet"
)

// TestFleetRoutes_Scopes: every fleet and group route with a full key, a
// read-only key and keys limited to one tenant (the same tenant the route
// names, and another). Fleet operations are branch-level: a tenant key
// never reaches them; a read-only key reads (fan-out, stats, check,
// inactive, groups) but does not vacuum, analyze, archive, restore or
// change groups.
func TestFleetRoutes_Scopes(t *testing.T) {
	e := newEnv(t, server.Config{})
	const allowed, readOnly, forbidden = 0, 403, 403
	cases := []struct {
		op, method, path string
		body             any
		full, ro         int // wanted status: allowed (any 2xx), or 403
	}{
		{"fanOutQuery", "POST", fleetP + "/query", `{"sql": "SELECT count(*) AS n FROM users"}`, allowed, allowed},
		{"fanOutQuery (write)", "POST", fleetP + "/query", `{"sql": "DELETE FROM users"}`, allowed, allowed}, // per-tenant read_only errors
		{"listTenantStats", "GET", fleetP + "/stats?tenant=acme", nil, allowed, allowed},
		{"checkTenants", "POST", fleetP + "/check", `{"tenants": ["acme"]}`, allowed, allowed},
		{"inactiveTenants", "GET", fleetP + "/inactive?since=2000-01-01T00:00:00Z", nil, allowed, allowed},
		{"vacuumTenants", "POST", fleetP + "/vacuum", `{}`, allowed, readOnly},
		{"analyzeTenants", "POST", fleetP + "/analyze", `{"tenants": ["acme"]}`, allowed, readOnly},
		{"listGroups", "GET", brPath + "/groups", nil, allowed, allowed},
		{"getGroup", "GET", brPath + "/groups/trial", nil, allowed, allowed},
		{"createGroup", "POST", brPath + "/groups", `{"name": "gold"}`, allowed, readOnly},
		{"setGroupLimits", "PUT", brPath + "/groups/trial", `{"max_db_bytes": 0, "max_concurrent": 3}`, allowed, readOnly},
		{"setTenantGroup", "PUT", brPath + "/tenants/acme/group", `{"group": "trial"}`, allowed, readOnly},
		{"archiveTenant", "POST", brPath + "/tenants/acme/archive", nil, allowed, readOnly},
		{"restoreTenant", "POST", brPath + "/tenants/acme/restore", nil, allowed, readOnly},
	}
	for _, tc := range cases {
		for _, kind := range []string{"tenant_acme", "tenant_other", "read_only", "full"} {
			want := map[string]int{"tenant_acme": forbidden, "tenant_other": forbidden, "read_only": tc.ro, "full": tc.full}[kind]
			r := e.do(tc.method, tc.path, e.keys[kind], tc.body)
			name := fmt.Sprintf("%s (%s %s) with %s key", tc.op, tc.method, tc.path, kind)
			if want == allowed {
				if r.status < 200 || r.status > 299 {
					t.Errorf("%s: %v, want 2xx", name, r)
				}
				continue
			}
			if r.status != want {
				t.Errorf("%s: %v, want %d", name, r, want)
			}
			if kind == "read_only" && r.code != "read_only" {
				t.Errorf("%s: code %q, want read_only", name, r.code)
			}
			if strings.Contains(kind, "tenant") && r.code != "forbidden" {
				t.Errorf("%s: code %q, want forbidden", name, r.code)
			}
		}
	}
}

// fanOut posts a fan-out query and decodes the answer both ways: as raw
// JSON objects (to see exactly which members each has) and typed.
func (e *env) fanOut(key, body string) (response, []map[string]json.RawMessage) {
	e.t.Helper()
	r := e.do("POST", fleetP+"/query", key, body)
	var raw []map[string]json.RawMessage
	if r.status == 200 {
		if err := json.Unmarshal(r.body, &raw); err != nil {
			e.t.Fatalf("fan-out answer is not a JSON array: %s", r.body)
		}
	}
	return r, raw
}

// TestFanOut_Shape: each tenant answers with columns, rows (arrays, so
// repeated column names lose nothing; floats stay floats) and truncated,
// or with an error object carrying a code; nothing else.
func TestFanOut_Shape(t *testing.T) {
	e := newEnv(t, server.Config{})
	key := e.keys["full"]
	db, err := e.p.Connect(cinch.Target{Tenant: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Insert(t.Context(), "users", cinch.Record{"name": "ann", "age": 40}); err != nil {
		t.Fatal(err)
	}
	r, raw := e.fanOut(key, `{"sql": "SELECT name AS x, age AS x, 2.0 AS f FROM users WHERE age > ?", "params": [30]}`)
	if r.status != 200 || len(raw) != 2 {
		t.Fatalf("fan-out: %v", r)
	}
	want := []string{
		`{"tenant":"acme","columns":["x","x","f"],"rows":[["ann",40,2.0]],"truncated":false}`,
		`{"tenant":"main","columns":["x","x","f"],"rows":[],"truncated":false}`,
	}
	var lines []string
	var items []json.RawMessage
	json.Unmarshal(r.body, &items)
	for _, it := range items {
		lines = append(lines, string(it))
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("answer:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}

	// An error on one tenant is that tenant's entry, with a code.
	d, _ := e.p.Connect(cinch.Target{})
	if err := d.Fleet().Archive(t.Context(), "acme"); err != nil {
		t.Fatal(err)
	}
	r, raw = e.fanOut(key, `{"sql": "SELECT 1 AS one", "tenants": ["main", "acme"]}`)
	if r.status != 200 || len(raw) != 2 {
		t.Fatalf("fan-out: %v", r)
	}
	if _, ok := raw[0]["error"]; ok || string(raw[0]["rows"]) != "[[1]]" {
		t.Errorf("main: %v", raw[0])
	}
	var detail server.ErrorDetail
	if err := json.Unmarshal(raw[1]["error"], &detail); err != nil || detail.Code != "tenant_archived" || detail.Message == "" {
		t.Errorf("archived acme: %s", r.body)
	}
	for _, k := range []string{"columns", "rows", "truncated"} {
		if _, ok := raw[1][k]; ok {
			t.Errorf("an error entry has %q: %s", k, r.body)
		}
	}
	// What stops the whole fan-out is an error response.
	for body, code := range map[string]string{
		`{"sql": "SELECT 1", "tenants": ["ghost"]}`: "tenant_not_found",
		`{"sql": "SELECT 1", "group": "nope"}`:      "group_not_found",
		`{"sql": "SELECT 1", "tenants": ["A B"]}`:   "invalid_name",
		`{"sql": ""}`: "invalid_input",
		`{"sql": "SELECT ?", "params": [{"a": 1}]}`: "invalid_input",
		`{"sql": "SELECT 1", "limit": -1}`:          "invalid_input",
		`{"sql": "SELECT 1", "evil": true}`:         "invalid_input",
	} {
		if r, _ := e.fanOut(key, body); r.code != code {
			t.Errorf("%s: %v, want %s", body, r, code)
		}
	}
}

// TestFanOut_Limits: each tenant gives at most --max-rows rows (or the
// request's smaller limit), and all tenants together at most --max-rows
// rows and --max-result-bytes of values; a cut tenant says truncated.
func TestFanOut_Limits(t *testing.T) {
	const ten = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c LIMIT 10) SELECT x FROM c"
	rowsOf := func(t *testing.T, raw []map[string]json.RawMessage) (rows []int, cut []bool) {
		t.Helper()
		for _, it := range raw {
			var rs [][]any
			var tr bool
			json.Unmarshal(it["rows"], &rs)
			json.Unmarshal(it["truncated"], &tr)
			rows, cut = append(rows, len(rs)), append(cut, tr)
		}
		return rows, cut
	}
	t.Run("rows", func(t *testing.T) {
		e := newEnv(t, server.Config{MaxRows: 15})
		key := e.keys["full"]
		_, raw := e.fanOut(key, `{"sql": "`+ten+`"}`)
		rows, cut := rowsOf(t, raw)
		if len(rows) != 2 || rows[0]+rows[1] != 15 || !cut[0] && !cut[1] {
			t.Errorf("two tenants of 10 rows under --max-rows 15: rows %v, truncated %v", rows, cut)
		}
		_, raw = e.fanOut(key, `{"sql": "`+ten+`", "limit": 4, "total_rows": 1000}`)
		rows, cut = rowsOf(t, raw)
		if fmt.Sprint(rows, cut) != "[4 4] [true true]" {
			t.Errorf("limit 4: rows %v, truncated %v", rows, cut)
		}
		_, raw = e.fanOut(key, `{"sql": "`+ten+`", "limit": 1000, "total_rows": 5}`)
		rows, _ = rowsOf(t, raw)
		if rows[0]+rows[1] != 5 {
			t.Errorf("total_rows 5: rows %v", rows)
		}
		_, raw = e.fanOut(key, `{"sql": "SELECT 1 AS x"}`)
		if rows, cut := rowsOf(t, raw); fmt.Sprint(rows, cut) != "[1 1] [false false]" {
			t.Errorf("small answer: rows %v, truncated %v", rows, cut)
		}
	})
	t.Run("bytes", func(t *testing.T) {
		e := newEnv(t, server.Config{MaxResultBytes: 100})
		_, raw := e.fanOut(e.keys["full"], `{"sql": "SELECT printf('%.30c', 'x') AS s FROM (`+ten+`)"}`)
		rows, cut := rowsOf(t, raw)
		if len(rows) != 2 || rows[0]+rows[1] != 3 || !cut[0] && !cut[1] {
			t.Errorf("30-byte rows under --max-result-bytes 100: rows %v, truncated %v", rows, cut)
		}
	})
}

// TestFleetRoutes_RoundTrip: the other fleet and group routes answer with
// the engine's types.
func TestFleetRoutes_RoundTrip(t *testing.T) {
	e := newEnv(t, server.Config{})
	key := e.keys["full"]
	var stats []cinch.TenantStats
	r := e.do("GET", fleetP+"/stats?tenant=acme&tenant=main", key, nil)
	if err := json.Unmarshal(r.body, &stats); err != nil || len(stats) != 2 || stats[0].Name != "acme" || stats[0].Tables != 1 {
		t.Errorf("stats: %v", r)
	}
	if r := e.do("GET", fleetP+"/stats?tenant=ghost", key, nil); r.code != "tenant_not_found" {
		t.Errorf("stats of an unknown tenant: %v", r)
	}
	if r := e.do("GET", fleetP+"/stats?tenant=A%20B", key, nil); r.code != "invalid_name" {
		t.Errorf("stats of a bad name: %v", r)
	}
	var checks []cinch.TenantCheck
	r = e.do("POST", fleetP+"/check", key, `{}`)
	if err := json.Unmarshal(r.body, &checks); err != nil || len(checks) != 2 || !checks[0].OK {
		t.Errorf("check: %v", r)
	}
	for _, q := range []string{"", "?since=yesterday"} {
		if r := e.do("GET", fleetP+"/inactive"+q, key, nil); r.code != "invalid_input" {
			t.Errorf("inactive%s: %v, want invalid_input", q, r)
		}
	}
	var inactive []cinch.TenantInfo
	r = e.do("GET", fleetP+"/inactive?since=2999-01-01T00:00:00Z", key, nil)
	if err := json.Unmarshal(r.body, &inactive); err != nil || len(inactive) != 2 {
		t.Errorf("inactive: %v", r)
	}
	var g cinch.Group
	r = e.do("POST", brPath+"/groups", key, `{"name": "gold", "max_db_bytes": 1048576}`)
	if err := json.Unmarshal(r.body, &g); err != nil || r.status != 201 || g != (cinch.Group{Name: "gold", MaxDBBytes: 1 << 20}) {
		t.Errorf("create group: %v", r)
	}
	if r := e.do("POST", brPath+"/groups", key, `{"name": "gold"}`); r.status != 409 || r.code != "group_exists" {
		t.Errorf("create it again: %v", r)
	}
	if r := e.do("PUT", brPath+"/groups/gold", key, `{"max_concurrent": -1}`); r.code != "invalid_input" {
		t.Errorf("negative limit: %v", r)
	}
	r = e.do("PUT", brPath+"/groups/gold", key, `{"max_concurrent": 2}`)
	if err := json.Unmarshal(r.body, &g); err != nil || g != (cinch.Group{Name: "gold", MaxConcurrent: 2}) {
		t.Errorf("set limits (max_db_bytes left out is 0): %v", r)
	}
	if r := e.do("GET", brPath+"/groups/Bad", key, nil); r.code != "invalid_name" {
		t.Errorf("bad group name: %v", r)
	}
	if r := e.do("GET", brPath+"/groups/nope", key, nil); r.status != 404 || r.code != "group_not_found" {
		t.Errorf("unknown group: %v", r)
	}
	if r := e.do("PUT", brPath+"/tenants/acme/group", key, `{"group": "gold"}`); r.status != 204 {
		t.Errorf("set group: %v", r)
	}
	var info cinch.TenantInfo
	json.Unmarshal(e.do("GET", brPath+"/tenants/acme", key, nil).body, &info)
	if info.Group != "gold" {
		t.Errorf("acme's group = %q", info.Group)
	}
	if r := e.do("POST", brPath+"/tenants/main/archive", key, nil); r.status != 409 || r.code != "protected" {
		t.Errorf("archive main: %v", r)
	}
}
