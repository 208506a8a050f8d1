package server_test

// The OpenAPI document as code generators read it (issue 10, item 7). The
// generated client itself is compiled and run in internal/oapitest; these
// checks are the fast, offline part.

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode"

	"github.com/cinchdb/cinch/server"
)

type openAPIDoc struct {
	Servers    []map[string]any                                 `json:"servers"`
	Paths      map[string]map[string]map[string]any             `json:"paths"`
	Components map[string]map[string]map[string]json.RawMessage `json:"components"`
}

func fetchDoc(t *testing.T, e *env) (openAPIDoc, map[string]any) {
	t.Helper()
	r := e.do("GET", "/v1/openapi.json", "", nil)
	if r.status != 200 {
		t.Fatalf("openapi: %v", r)
	}
	var doc openAPIDoc
	var raw map[string]any
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(r.body, &raw)
	return doc, raw
}

// at walks a decoded JSON value by keys (and array indexes as numbers).
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}

func exported(s string) string {
	r := []rune(s)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

// TestOpenAPI_GeneratorNames: no schema or shared response is named like a
// type or function a generator makes per operation (oapi-codegen makes
// <Op>Response, <Op>Params, <Op>JSONBody, <Op>JSONRequestBody,
// New<Op>Request, Parse<Op>Response), nor like its fixed client types.
func TestOpenAPI_GeneratorNames(t *testing.T) {
	e := newEnv(t, server.Config{})
	doc, _ := fetchDoc(t, e)
	taken := map[string]string{}
	for _, name := range []string{"Client", "ClientOption", "ClientInterface", "ClientWithResponses",
		"ClientWithResponsesInterface", "HttpRequestDoer", "RequestEditorFn", "ServerInterface",
		"ServerInterfaceWrapper", "EchoRouter", "RegisterHandlers", "RegisterHandlersWithBaseURL",
		"GetSwagger", "PathToRawSpec", "NewClient", "NewClientWithResponses"} {
		taken[name] = "oapi-codegen"
	}
	for _, methods := range doc.Paths {
		for _, op := range methods {
			id := exported(op["operationId"].(string))
			for _, suffix := range []string{"Response", "Params", "JSONBody", "JSONRequestBody", "RequestObject", "ResponseObject"} {
				taken[id+suffix] = "operation " + id
			}
			taken["New"+id+"Request"] = "operation " + id
			taken["Parse"+id+"Response"] = "operation " + id
		}
	}
	for _, section := range []string{"schemas", "responses"} {
		for name := range doc.Components[section] {
			if by, ok := taken[exported(name)]; ok {
				t.Errorf("components/%s/%s collides with a name generated for %s", section, name, by)
			}
		}
	}
	if len(doc.Components["schemas"]) < 20 {
		t.Errorf("only %d schemas", len(doc.Components["schemas"]))
	}
}

// TestOpenAPI_SaysWhatServerEnforces: the document states the rules the
// server applies, so a generated client's types match what is accepted.
func TestOpenAPI_SaysWhatServerEnforces(t *testing.T) {
	e := newEnv(t, server.Config{})
	doc, raw := fetchDoc(t, e)
	schema := func(name string) map[string]any {
		t.Helper()
		v := at(raw, "components", "schemas", name)
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("no schema %s", name)
		}
		return m
	}
	const tn = "/v1/databases/{db}/branches/{branch}/tenants/{tenant}"
	ref := func(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }
	eq := func(what string, got, want any) {
		t.Helper()
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if string(g) != string(w) {
			t.Errorf("%s = %s, want %s", what, g, w)
		}
	}
	// The row insert body: a named union of named schemas, no empty rows.
	ins := tn + "/tables/{table}/rows"
	eq("insertRows body", at(raw, "paths", ins, "post", "requestBody", "content", "application/json", "schema"), ref("RowOrRows"))
	eq("insertRows 201", at(raw, "paths", ins, "post", "responses", "201", "content", "application/json", "schema"), ref("RowOrRows"))
	eq("RowOrRows.oneOf", schema("RowOrRows")["oneOf"], []any{ref("Row"), ref("RowList")})
	eq("Row.minProperties", schema("Row")["minProperties"], 1)
	eq("Row.additionalProperties", schema("Row")["additionalProperties"], ref("SQLValue"))
	eq("RowList.minItems", schema("RowList")["minItems"], 1)
	eq("updateRow body", at(raw, "paths", tn+"/tables/{table}/rows/{id}", "patch", "requestBody", "content", "application/json", "schema"), ref("Row"))
	// SQL values are scalars.
	eq("SQLValue.anyOf", schema("SQLValue")["anyOf"], []any{ref("SQLText"), ref("SQLInteger"), ref("SQLReal"), ref("SQLBoolean")})
	for name, typ := range map[string]string{"SQLText": "string", "SQLInteger": "integer", "SQLReal": "number", "SQLBoolean": "boolean"} {
		eq(name+".type", schema(name)["type"], typ)
	}
	// The query: params are scalars, limit has a minimum, the result is QueryResult.
	qr := schema("QueryRequest")
	eq("QueryRequest.params.items", at(qr, "properties", "params", "items"), ref("SQLValue"))
	eq("QueryRequest.limit.minimum", at(qr, "properties", "limit", "minimum"), 0)
	eq("QueryRequest.required", qr["required"], []string{"sql"})
	eq("query 200", at(raw, "paths", tn+"/query", "post", "responses", "200", "content", "application/json", "schema"), ref("QueryResult"))
	res := schema("QueryResult")
	eq("QueryResult.rows.items.items", at(res, "properties", "rows", "items", "items"), ref("SQLValue"))
	eq("QueryResult.required", res["required"], []string{"columns", "rows", "rows_affected", "truncated"})
	// Merge: nothing required (target defaults to main, dry_run to false).
	mr := schema("MergeRequest")
	if mr["required"] != nil {
		t.Errorf("MergeRequest.required = %v, want none", mr["required"])
	}
	eq("MergeRequest.target.default", at(mr, "properties", "target", "default"), "main")
	// Column patch: nothing required, but at least one field.
	cp := schema("ColumnPatchRequest")
	if cp["required"] != nil || cp["minProperties"] != float64(1) {
		t.Errorf("ColumnPatchRequest: required %v, minProperties %v", cp["required"], cp["minProperties"])
	}
	// The tenant count is optional: tenant keys do not get it.
	for _, f := range schema("BranchInfo")["required"].([]any) {
		if f == "tenants" {
			t.Error("BranchInfo.tenants is required, but tenant keys never get it")
		}
	}
	// Servers, and every operation's 4xx responses with the shared error body.
	if len(doc.Servers) == 0 || doc.Servers[0]["url"] == "" {
		t.Errorf("servers: %v", doc.Servers)
	}
	for path, methods := range doc.Paths {
		for m, op := range methods {
			responses := op["responses"].(map[string]any)
			var fours []string
			for st, r := range responses {
				if st == "default" || strings.HasPrefix(st, "4") {
					name := strings.TrimPrefix(at(r, "$ref").(string), "#/components/responses/")
					eq(path+" "+st+" schema", at(raw, "components", "responses", name, "content", "application/json", "schema"), ref("ErrorBody"))
				}
				if strings.HasPrefix(st, "4") {
					fours = append(fours, st)
				}
			}
			public := op["security"] != nil && len(op["security"].([]any)) == 0
			if !public && (!contains(fours, "401") || !contains(fours, "403") || !contains(fours, "429")) {
				t.Errorf("%s %s: 4xx responses %v lack 401, 403 or 429", m, path, fours)
			}
			if op["requestBody"] != nil && (!contains(fours, "400") || !contains(fours, "413") || !contains(fours, "415")) {
				t.Errorf("%s %s: has a body but 4xx responses %v lack 400, 413 or 415", m, path, fours)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestRows_EmptyRefused: a row without columns is refused, alone or in an
// array, and an empty array too; nothing is stored.
func TestRows_EmptyRefused(t *testing.T) {
	e := newEnv(t, server.Config{})
	key := e.keys["full"]
	const rows = "/v1/databases/main/branches/main/tenants/acme/tables/users/rows"
	count := func() string {
		r := e.do("POST", "/v1/databases/main/branches/main/tenants/acme/query", key, `{"sql": "SELECT count(*) AS n FROM users"}`)
		return string(r.body)
	}
	before := count()
	for _, tc := range []struct{ body, want string }{
		{`{}`, "no columns"},
		{` { } `, "no columns"},
		{`[]`, "empty"},
		{`[{}]`, "row 1 has no columns"},
		{`[{"name": "x"}, {}]`, "row 2 has no columns"},
		{`null`, "object or an array"},
	} {
		r := e.do("POST", rows, key, tc.body)
		if r.status != 400 || r.code != "invalid_input" || !strings.Contains(r.msg, tc.want) {
			t.Errorf("insert %s: %v, want 400 invalid_input with %q", tc.body, r, tc.want)
		}
	}
	if after := count(); after != before {
		t.Errorf("rows stored: before %s, after %s", before, after)
	}
	r := e.do("POST", rows, key, `{"name": "x"}`)
	var rec map[string]any
	json.Unmarshal(r.body, &rec)
	id, _ := rec["id"].(string)
	if r := e.do("PATCH", rows+"/"+id, key, `{}`); r.status != 400 || !strings.Contains(r.msg, "nothing to update") {
		t.Errorf("patch {}: %v", r)
	}
}
