package server_test

// Row filters over HTTP (issue 15, item 3): GET, PATCH and DELETE on
// .../tables/{table}/rows with where parameters; who may call them; what
// an empty filter, a bad one and an unknown column answer.

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/server"
)

const acmeRows = "/v1/databases/main/branches/main/tenants/acme/tables/users/rows"

// whereURL is the rows path of tenant with the given query parameters
// (name, value, name, value, ...).
func whereURL(tenant string, kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Add(kv[i], kv[i+1])
	}
	p := "/v1/databases/main/branches/main/tenants/" + tenant + "/tables/users/rows"
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	return p
}

// seedUsers inserts Alice 31, Bob 25, Carol 31, Dan (no age) on acme.
func seedUsers(t *testing.T, e *env) {
	t.Helper()
	r := e.do("POST", acmeRows, e.keys["full"], `[{"name": "Alice", "age": 31}, {"name": "Bob", "age": 25}, {"name": "Carol", "age": 31}, {"name": "Dan"}]`)
	if r.status != 201 {
		t.Fatalf("seed: %v", r)
	}
}

// selected decodes a select answer into the names, in order.
func selected(t *testing.T, r response) []string {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("select: %v", r)
	}
	var res server.QueryResult
	if err := json.Unmarshal(r.body, &res); err != nil {
		t.Fatalf("select answer %s: %v", r.body, err)
	}
	col := -1
	for i, c := range res.Columns {
		if c == "name" {
			col = i
		}
	}
	out := []string{}
	for _, row := range res.Rows {
		out = append(out, row[col].(string))
	}
	return out
}

// TestRowsWhere_Scopes: a read-only key may select but not update or
// delete by filter; a tenant key reaches only its tenant.
func TestRowsWhere_Scopes(t *testing.T) {
	e := newEnv(t, server.Config{})
	seedUsers(t, e)
	const ok, denied = 200, 403
	cases := []struct {
		method, path, body string
		want               map[string]int // key kind → status
	}{
		{"GET", whereURL("acme", "where", "age>30"), "",
			map[string]int{"full": ok, "read_only": ok, "tenant_acme": ok, "tenant_other": denied, "other_db": denied}},
		{"GET", whereURL("main", "where", "age>30"), "",
			map[string]int{"full": ok, "read_only": ok, "tenant_acme": denied, "tenant_other": denied}},
		{"PATCH", whereURL("acme", "where", "name=Nobody"), `{"age": 1}`,
			map[string]int{"full": ok, "read_only": denied, "tenant_acme": ok, "tenant_other": denied, "other_db": denied}},
		{"PATCH", whereURL("main", "where", "name=Nobody"), `{"age": 1}`,
			map[string]int{"full": ok, "read_only": denied, "tenant_acme": denied}},
		{"DELETE", whereURL("acme", "where", "name=Nobody"), "",
			map[string]int{"full": ok, "read_only": denied, "tenant_acme": ok, "tenant_other": denied, "other_db": denied}},
		{"DELETE", whereURL("main", "all", "true"), "",
			map[string]int{"read_only": denied, "tenant_acme": denied}},
	}
	for _, tc := range cases {
		for kind, want := range tc.want {
			var body any
			if tc.body != "" {
				body = tc.body
			}
			r := e.do(tc.method, tc.path, e.keys[kind], body)
			if r.status != want {
				t.Errorf("%s %s with %s key: %v, want %d", tc.method, tc.path, kind, r, want)
			}
			if want == denied && (strings.Contains(string(r.body), `"rows"`) || strings.Contains(string(r.body), "Alice")) {
				t.Errorf("%s %s with %s key: refused with data: %s", tc.method, tc.path, kind, r.body)
			}
			if kind == "read_only" && want == denied && r.code != "read_only" {
				t.Errorf("%s %s with read-only key: code %q, want read_only", tc.method, tc.path, r.code)
			}
		}
	}
	if got := selected(t, e.do("GET", whereURL("acme"), e.keys["full"], nil)); len(got) != 4 {
		t.Errorf("refused writes changed rows: %v", got)
	}
	for _, kind := range []string{"none", "wrong", "revoked", "expired"} {
		if r := e.do("GET", whereURL("acme"), e.keys[kind], nil); r.status != 401 {
			t.Errorf("select with %s key: %v, want 401", kind, r)
		}
	}
}

func TestRowsWhere_RoundTrip(t *testing.T) {
	e := newEnv(t, server.Config{MaxRows: 3})
	seedUsers(t, e)
	key := e.keys["tenant_acme"]
	get := func(kv ...string) []string {
		t.Helper()
		return selected(t, e.do("GET", whereURL("acme", kv...), key, nil))
	}
	eq := func(what string, got, want []string) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: %v, want %v", what, got, want)
		}
	}
	eq("where age>30", get("where", "age>30"), []string{"Alice", "Carol"})
	eq("two wheres", get("where", "age=31", "where", "name like c%"), []string{"Carol"})
	eq("in", get("where", "name in (Dan, 'Bob')"), []string{"Bob", "Dan"})
	eq("is null", get("where", "age is null"), []string{"Dan"})
	eq("order_by desc", get("where", "age is not null", "order_by", "age:desc", "order_by", "name"), []string{"Alice", "Carol", "Bob"})
	eq("limit offset", get("limit", "2", "offset", "1"), []string{"Bob", "Carol"})

	// The server's row limit still holds, and says it cut.
	r := e.do("GET", whereURL("acme"), key, nil)
	var res server.QueryResult
	json.Unmarshal(r.body, &res)
	if len(res.Rows) != 3 || !res.Truncated {
		t.Errorf("past --max-rows: %d rows, truncated %v", len(res.Rows), res.Truncated)
	}

	// Update and delete by filter.
	r = e.do("PATCH", whereURL("acme", "where", "age=31"), key, `{"age": 32}`)
	if r.status != 200 || strings.TrimSpace(string(r.body)) != `{"updated":2}` {
		t.Errorf("update: %v", r)
	}
	eq("after update", get("where", "age=32"), []string{"Alice", "Carol"})
	r = e.do("DELETE", whereURL("acme", "where", "age<30"), key, nil)
	if r.status != 200 || strings.TrimSpace(string(r.body)) != `{"deleted":1}` {
		t.Errorf("delete: %v", r)
	}

	// Refusals: nothing changes.
	bad := []struct {
		method, path, body string
		status             int
		code, msg          string
	}{
		{"PATCH", whereURL("acme"), `{"age": 1}`, 400, "invalid_input", "all=true"},
		{"DELETE", whereURL("acme"), "", 400, "invalid_input", "all=true"},
		{"DELETE", whereURL("acme", "all", "false"), "", 400, "invalid_input", "no where"},
		{"DELETE", whereURL("acme", "all", "yes"), "", 400, "invalid_input", "all must be"},
		{"DELETE", whereURL("acme", "wehre", "name=Alice", "all", "true"), "", 400, "invalid_input", `unknown query parameter "wehre"`},
		{"DELETE", whereURL("acme", "limit", "1", "all", "true"), "", 400, "invalid_input", `unknown query parameter "limit"`},
		{"DELETE", whereURL("acme", "where", "name"), "", 400, "invalid_input", "no operator"},
		{"DELETE", whereURL("acme", "where", "nope=1"), "", 404, "column_not_found", "nope"},
		{"PATCH", whereURL("acme", "where", "name=Alice"), `{"nope": 1}`, 404, "column_not_found", "nope"},
		{"PATCH", whereURL("acme", "where", "name=Alice"), `{}`, 400, "invalid_input", "nothing to update"},
		{"PATCH", whereURL("acme", "where", "name=Alice"), `{"id": "x"}`, 400, "invalid_input", "automatically"},
		{"GET", whereURL("acme", "where", "Name=x"), "", 400, "invalid_name", "column name"},
		{"GET", whereURL("acme", "where", `name" OR 1=1 --=x`), "", 400, "invalid_name", "column name"},
		{"GET", whereURL("acme", "order_by", "nope"), "", 404, "column_not_found", "nope"},
		{"GET", whereURL("acme", "order_by", "name:sideways"), "", 400, "invalid_input", "asc or desc"},
		{"GET", whereURL("acme", "limit", "-1"), "", 400, "invalid_input", "limit"},
		{"GET", whereURL("acme", "limit", "x"), "", 400, "invalid_input", "limit"},
		{"GET", whereURL("acme", "limit", "1", "limit", "2"), "", 400, "invalid_input", "once"},
		{"GET", whereURL("acme", "all", "true"), "", 400, "invalid_input", `unknown query parameter "all"`},
		{"GET", strings.Replace(whereURL("acme"), "/users/", "/nope/", 1), "", 404, "table_not_found", "nope"},
		{"GET", whereURL("ghost"), "", 404, "tenant_not_found", "ghost"},
	}
	for _, tc := range bad {
		var body any
		if tc.body != "" {
			body = tc.body
		}
		r := e.do(tc.method, tc.path, e.keys["full"], body)
		if r.status != tc.status || r.code != tc.code || !strings.Contains(r.msg, tc.msg) {
			t.Errorf("%s %s %s: %v, want %d %s with %q", tc.method, tc.path, tc.body, r, tc.status, tc.code, tc.msg)
		}
	}
	eq("after refusals", get(), []string{"Alice", "Carol", "Dan"})

	// Hostile values are data: matched exactly, never SQL.
	const evil = `x' OR '1'='1`
	if r := e.do("POST", acmeRows, key, map[string]any{"name": evil}); r.status != 201 {
		t.Fatal(r)
	}
	eq("hostile value", get("where", "name="+evil), []string{evil})
	eq("hostile in", get("where", "name in ('"+strings.ReplaceAll(evil, "'", "''")+"')"), []string{evil})
	eq("injection attempt", get("where", `name=Alice' OR 'a'='a`), []string{})

	r = e.do("DELETE", whereURL("acme", "all", "true"), key, nil)
	if r.status != 200 || strings.TrimSpace(string(r.body)) != `{"deleted":4}` {
		t.Errorf("delete all: %v", r)
	}
}

// FuzzDecodeSelection: any query string is refused with a 4xx error or
// read into a selection whose names are valid identifiers; the same for
// the writes' filters, which are never empty.
func FuzzDecodeSelection(f *testing.F) {
	for _, s := range []string{
		"where=age%3E30&order_by=name:desc&limit=10&offset=2", "where=name%3DAlice&where=id+in+(a,b)",
		"where=phone+is+null", "all=true", "all=true&where=x%3D1", "limit=-1", "limit=9999999999999999999999",
		"order_by=", "where=", "x=1", "where=%ZZ", "where=name%3D%27it%27%27s%27", "limit=1&limit=2",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		check := func(what string, where []cinch.Filter, err error) {
			if err != nil {
				if st := server.Status(cinch.Code(err)); st < 400 || st > 499 {
					t.Fatalf("%s(%q): status %d for %v", what, raw, st, err)
				}
				return
			}
			for _, f := range where {
				if err := f.Validate(); err != nil {
					t.Fatalf("%s(%q): invalid filter %#v: %v", what, raw, f, err)
				}
			}
		}
		sel, err := server.DecodeSelection(q)
		check("DecodeSelection", sel.Where, err)
		if err == nil {
			if err := sel.Validate(); err != nil {
				t.Fatalf("DecodeSelection(%q) = %+v: %v", raw, sel, err)
			}
		}
		where, err := server.DecodeWriteFilters(q)
		check("DecodeWriteFilters", where, err)
		if err == nil && len(where) == 0 {
			t.Fatalf("DecodeWriteFilters(%q): no filter accepted", raw)
		}
	})
}
