package server

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cinchdb/cinch"
)

// openAPI builds the OpenAPI 3 document from the route table: the same
// table the mux was built from, so every path and method in the document is
// served and every served route is documented (TestOpenAPI_MatchesRoutes).
//
// The document is written for code generators as much as for people
// (docs/design.md, "The OpenAPI document"): every schema is named, unions
// (SQLValue, RowOrRows) are named schemas, schema names never end the way
// generators name their per-operation types, and each operation lists the
// 4xx responses the server can give it.
func (s *Server) openAPI() map[string]any {
	g := &schemaGen{defs: map[string]any{}}
	paths := map[string]map[string]any{}
	tags := map[string]bool{}
	used := map[int]bool{}
	for _, rt := range s.routes {
		tag := tagOf(rt.path)
		tags[tag] = true
		op := map[string]any{
			"operationId": rt.op,
			"summary":     rt.summary,
			"tags":        []string{tag},
		}
		var params []any
		for _, n := range wildcards(rt.path) {
			params = append(params, map[string]any{
				"name": n, "in": "path", "required": true,
				"description": paramDescription(n),
				"schema":      map[string]any{"type": "string", "minLength": 1},
			})
		}
		for _, q := range rt.query {
			p := map[string]any{"name": q.name, "in": "query", "required": q.required,
				"description": q.desc, "schema": map[string]any{"type": "string"}}
			if q.list {
				p["schema"] = map[string]any{"type": "array", "items": map[string]any{"type": "string"}}
				p["style"], p["explode"] = "form", true
			}
			if q.count {
				p["schema"] = map[string]any{"type": "integer", "minimum": 0}
			}
			params = append(params, p)
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.body != nil {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.body))}}}
		}
		responses := map[string]any{}
		okResp := map[string]any{"description": http.StatusText(rt.status)}
		switch {
		case rt.op == "metrics":
			okResp["content"] = map[string]any{"text/plain": map[string]any{"schema": map[string]any{"type": "string"}}}
		case rt.resp != nil:
			okResp["content"] = map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.resp))}}
		}
		if h := responseHeaders[rt.op]; h != nil {
			okResp["headers"] = h
		}
		responses[strconv.Itoa(rt.status)] = okResp
		for _, st := range errorStatuses(rt) {
			used[st] = true
			responses[strconv.Itoa(st)] = map[string]any{"$ref": "#/components/responses/" + errorResponseName(st)}
		}
		responses["default"] = map[string]any{"$ref": "#/components/responses/" + errorResponseName(0)}
		op["responses"] = responses
		desc := ""
		if rt.access == public {
			op["security"] = []any{}
		} else {
			desc = "Key scope needed: " + rt.access.String() + "." + map[bool]string{true: " Refused for read-only keys.", false: ""}[rt.write]
		}
		if more := opDescriptions[rt.op]; more != "" {
			desc = strings.TrimSpace(desc + " " + more)
		}
		if desc != "" {
			op["description"] = desc
		}
		if paths[rt.path] == nil {
			paths[rt.path] = map[string]any{}
		}
		paths[rt.path][strings.ToLower(rt.method)] = op
	}
	errSchema := g.schema(reflect.TypeOf(ErrorBody{}))
	responses := map[string]any{}
	for st := range used {
		responses[errorResponseName(st)] = errorResponse(st, errSchema)
	}
	responses[errorResponseName(0)] = errorResponse(0, errSchema)
	var tagList []any
	for _, t := range slices.Sorted(func(yield func(string) bool) {
		for t := range tags {
			if !yield(t) {
				return
			}
		}
	}) {
		tagList = append(tagList, map[string]any{"name": t, "description": tagDescriptions[t]})
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":   "cinch",
			"version": "1",
			"description": "The HTTP API of cinch serve (SPEC §7): many SQLite tenants sharing one schema. " +
				"Every route but health and this document needs Authorization: Bearer <key> (cinch key create). " +
				"Request bodies are JSON (Content-Type: application/json, or none; anything else is 415). " +
				"JSON responses are gzipped when the request sends Accept-Encoding: gzip. " +
				"Every response carries X-Request-Id (the request's own when it sends a sane one). " +
				"An encrypted tenant's key goes in the " + cinch.TenantKeyHeader + " header. " +
				"Errors are {\"error\": {\"code\", \"message\"}}; each code has one status.",
		},
		"servers": []any{map[string]any{
			"url":         "{scheme}://{address}",
			"description": "A cinch serve process (its --addr; https when started with --tls-cert).",
			"variables": map[string]any{
				"scheme":  map[string]any{"default": "http", "enum": []string{"http", "https"}},
				"address": map[string]any{"default": "127.0.0.1:8080", "description": "HOST:PORT the server listens on"},
			},
		}},
		"tags":     tagList,
		"paths":    paths,
		"security": []any{map[string]any{"bearer": []any{}}},
		"components": map[string]any{
			"schemas":         g.defs,
			"responses":       responses,
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer", "description": "An API key from cinch key create."}},
		},
	}
}

// errorStatuses are the 4xx statuses a route can answer with, by what it
// checks: keys (401, 403, 429), names in the path (400, 404), a body (400,
// 413, 415), work under the time limit (408), writes (409).
func errorStatuses(rt route) []int {
	if rt.access == public {
		return nil
	}
	handled := rt.op != "metrics"
	var out []int
	if len(wildcards(rt.path)) > 0 || rt.body != nil || rt.query != nil {
		out = append(out, http.StatusBadRequest)
	}
	out = append(out, http.StatusUnauthorized, http.StatusForbidden)
	if handled && len(wildcards(rt.path)) > 0 {
		out = append(out, http.StatusNotFound)
	}
	if handled {
		out = append(out, http.StatusRequestTimeout)
	}
	if rt.write || rt.op == "query" || rt.op == "mergeBranch" || rt.op == "checkTenants" {
		out = append(out, http.StatusConflict)
	}
	if rt.body != nil {
		out = append(out, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType)
	}
	return append(out, http.StatusTooManyRequests)
}

// errorResponseName names the shared response of an error status (0: the
// default, 5xx).
func errorResponseName(status int) string {
	if status == 0 {
		return "ServerError"
	}
	return strings.ReplaceAll(http.StatusText(status), " ", "")
}

// errorResponse is the shared response of an error status, listing the
// codes it carries.
func errorResponse(status int, schema map[string]any) map[string]any {
	var codes []string
	for code, st := range statusByCode {
		if st == status || (status == 0 && st >= 500) {
			codes = append(codes, code)
		}
	}
	slices.Sort(codes)
	desc := http.StatusText(status) + ": code " + strings.Join(codes, ", ")
	if status == 0 {
		desc = "Server error: code " + strings.Join(codes, ", ") + " (internal errors never show details; the server log has them, under the X-Request-Id)"
	}
	if status == http.StatusTooManyRequests {
		desc += " (Retry-After says when to retry)"
	}
	return map[string]any{"description": desc, "content": map[string]any{"application/json": map[string]any{"schema": schema}}}
}

var tagDescriptions = map[string]string{
	"service":  "Health, this document, metrics and the caller's key scope (whoami).",
	"branches": "Branches of a database: create, describe, delete, merge.",
	"changes":  "A branch's schema change records.",
	"codegen":  "Typed models of a branch's tables and views (cinch codegen).",
	"tenants":  "Tenants of a branch, and SQL on one tenant.",
	"rows":     "Rows of one tenant's table.",
	"tables":   "Tables of the branch schema (every tenant has them).",
	"columns":  "Columns of a table.",
	"views":    "Views of the branch schema.",
	"indexes":  "Indexes of the branch schema.",
	"fleet":    "Many tenants of a branch at once: fan-out query, stats, check, vacuum, analyze, archive.",
	"groups":   "Tenant groups and their limits.",
	"kv":       "A tenant's key-value store: typed values, optional expiry, in the tenant's own file.",
}

// responseHeaders are the headers of an operation's success response
// beyond the ones every response has.
var responseHeaders = map[string]map[string]any{
	"listTenants": {TotalCountHeader: map[string]any{
		"description": "how many tenants matched the filters in all; sent when any query parameter is given",
		"schema":      map[string]any{"type": "integer", "minimum": 0}}},
}

// opDescriptions add to an operation's description what the server
// enforces beyond the schemas.
var opDescriptions = map[string]string{
	"listTenants": "Without query parameters every tenant comes, in name order. With any, the answer is one page: filtered by prefix, state and behind, sorted by sort, " +
		"cut by offset and limit, and the " + TotalCountHeader + " header says how many tenants matched in all. Unknown query parameters are refused (400).",
	"whoami": "Any valid key may ask; the answer holds only the key's own scope, never names outside it.",
	"query": "The statement runs under the query guard (SPEC §5); a statement that writes is refused (403 read_only) for a key created with --read-only or with read_only: true. " +
		"Rows come as arrays in column order; at most --max-rows rows and --max-result-bytes of values are returned, and truncated says a limit cut them.",
	"insertRows": "The body is one row (an object; the response is the stored row) or an array of rows (all or none; the response is the stored rows). " +
		"A row needs at least one column: an empty object or an empty array is refused (400).",
	"updateRow":   "The body gives at least one column and its new value; id, created_at and updated_at cannot be set.",
	"alterColumn": "Give either name (rename) or nullable with an optional fill_value for existing NULLs, not both (400).",
	"mergeBranch": "A conflicting merge is refused (409 conflict) with the plan in error.details.",
	"getBranch":   "For a key limited to one tenant the tenant count is left out.",
	"createTenant": "With encrypt: true the tenant is encrypted under the key in the " + cinch.TenantKeyHeader +
		" header, which every later request on it must send; cinch never stores it.",
	"fanOutQuery": "The statement runs read-only on every served tenant of the branch (or the tenants named, or a group's), in parallel; " +
		"a statement that writes fails on each tenant with read_only. The answer lists every tenant in order, each with its rows or its own error. " +
		"It is bounded like a query: each tenant returns at most limit rows (at most --max-rows), and all tenants together at most --max-rows rows " +
		"and --max-result-bytes of values (total_rows and total_bytes lower these); a tenant whose rows were cut says truncated. " +
		"An unknown tenant or group fails the whole request (404).",
	"checkTenants":  "Catches each tenant up to the branch's schema (as opening it would) and runs PRAGMA integrity_check; a read-only key may run it.",
	"archiveTenant": "An archived tenant is not served (409 tenant_archived) and fan-out skips it.",
	"restoreTenant": "A corrupt archive is refused (400) and the tenant stays archived.",
	"generateModels": "The same source as cinch codegen LANG: one Go struct (db and json tags), TypeScript interface or Python dataclass per table and view, " +
		"with nullable columns optional, BOOLEAN as a boolean and created_at/updated_at as the language's time type; " +
		"TypeScript and Python also get a function that builds each model from a record, checking types. " +
		"View columns are read on tenant main (PRAGMA table_info) and are all nullable. See docs/clients.md, \"Code generation\".",
	"selectRows": "Every where filter must match; filter columns and order_by columns are checked against the table (404 column_not_found) and values are bound as parameters, compared with the column's type. " +
		"Rows come as a query's do: arrays in column order, at most --max-rows rows and --max-result-bytes of values (truncated says a limit cut them). Unknown query parameters are refused (400).",
	"updateRowsWhere": "Sets the body's columns (and updated_at) on every row matching all where filters; id, created_at and updated_at cannot be set. " +
		"Without a where it is refused (400) unless all=true. Unknown query parameters are refused (400).",
	"deleteRowsWhere": "Deletes every row matching all where filters. Without a where it is refused (400) unless all=true. " +
		"Unknown query parameters are refused (400).",
}

func tagOf(path string) string {
	if strings.Contains(path, "/fleet/") {
		return "fleet"
	}
	if strings.HasSuffix(path, "/kv") || strings.Contains(path, "/kv/") {
		return "kv"
	}
	if strings.HasPrefix(path, "/v1/cluster/") {
		return "cluster"
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i := len(segs) - 1; i >= 0; i-- {
		if s := segs[i]; !strings.HasPrefix(s, "{") && !slices.Contains(verbSegments, s) {
			if s == "openapi.json" || s == "health" || s == "metrics" || s == "whoami" {
				return "service"
			}
			return s
		}
	}
	return "service"
}

// verbSegments are path segments that name an action or a part of a
// resource, not a resource: the tag is the resource before them.
var verbSegments = []string{"v1", "delete", "copy", "merge", "query", "archive", "restore", "group"}

func paramDescription(n string) string {
	switch n {
	case "db":
		return "database name (SPEC §3)"
	case "branch", "source":
		return "branch name (SPEC §3)"
	case "tenant":
		return "tenant name (SPEC §3)"
	case "id":
		return "row id"
	}
	return n + " name (SPEC §3)"
}

// schemaGen derives JSON schemas from Go types by their json tags.
type schemaGen struct{ defs map[string]any }

var (
	timeType   = reflect.TypeOf(time.Time{})
	rawType    = reflect.TypeOf(json.RawMessage{})
	recordType = reflect.TypeOf(cinch.Record{})
	rowsType   = reflect.TypeOf(rowsBody{})
	docType    = reflect.TypeOf(openAPIDoc{})
)

// ref returns a $ref to the named schema, building it on first use.
func (g *schemaGen) ref(name string, build func() map[string]any) map[string]any {
	if _, ok := g.defs[name]; !ok {
		g.defs[name] = map[string]any{} // break cycles
		g.defs[name] = build()
	}
	return map[string]any{"$ref": "#/components/schemas/" + name}
}

// sqlValue is a SQL value on the wire: null, a boolean, an integer, a real
// or text. anyOf, not oneOf: an integer is also a number, and null fits
// every branch (OpenAPI 3.0 has no null type, only nullable beside a type),
// so under oneOf integers and nulls would match more than one branch. The
// branches are named schemas so generated code reads well (oapi-codegen:
// SQLValue.AsSQLInteger, FromSQLText, ...).
func (g *schemaGen) sqlValue() map[string]any {
	branch := func(name, typ, format, desc string) map[string]any {
		return g.ref(name, func() map[string]any {
			s := map[string]any{"type": typ, "nullable": true, "description": desc + "; null is SQL NULL"}
			if format != "" {
				s["format"] = format
			}
			return s
		})
	}
	return g.ref("SQLValue", func() map[string]any {
		return map[string]any{
			"description": "A SQL value: null, a boolean, an integer (a JSON number without fraction or exponent, 64-bit), " +
				"a real (a number with a fraction or exponent) or text. Never an object or an array: " +
				"store nested data as JSON text.",
			"anyOf": []any{
				branch("SQLText", "string", "", "Text"),
				branch("SQLInteger", "integer", "int64", "A 64-bit integer"),
				branch("SQLReal", "number", "double", "A real number"),
				branch("SQLBoolean", "boolean", "", "A boolean (stored as 0 or 1, read back as false or true in BOOLEAN columns)"),
			},
		}
	})
}

func (g *schemaGen) row() map[string]any {
	return g.ref("Row", func() map[string]any {
		return map[string]any{"type": "object", "minProperties": 1, "additionalProperties": g.sqlValue(),
			"description": "A row: column name to value. Stored rows also have id, created_at and updated_at."}
	})
}

func (g *schemaGen) rowList() map[string]any {
	return g.ref("RowList", func() map[string]any {
		return map[string]any{"type": "array", "minItems": 1, "items": g.row(), "description": "Rows, in order."}
	})
}

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch t {
	case timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case rawType:
		return map[string]any{"description": "any JSON value"}
	case recordType:
		return g.row()
	case rowsType:
		return g.ref("RowOrRows", func() map[string]any {
			return map[string]any{"oneOf": []any{g.row(), g.rowList()},
				"description": "One row (an object) or several (an array of objects)."}
		})
	case docType:
		return map[string]any{"type": "object", "additionalProperties": true, "description": "an OpenAPI 3.0 document"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		s := g.schema(t.Elem())
		if _, ref := s["$ref"]; !ref {
			s["nullable"] = true
		}
		return s
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int64:
		return map[string]any{"type": "integer", "format": "int64"}
	case reflect.Int, reflect.Int32:
		return map[string]any{"type": "integer"}
	case reflect.Uint64:
		return map[string]any{"type": "integer", "format": "int64", "minimum": 0}
	case reflect.Uint, reflect.Uint32:
		return map[string]any{"type": "integer", "minimum": 0}
	case reflect.Float64, reflect.Float32:
		return map[string]any{"type": "number", "format": "double"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Interface:
		return map[string]any{"description": "any JSON value"}
	case reflect.Struct:
		name := t.Name()
		if name == "" {
			return g.object(t)
		}
		return g.ref(name, func() map[string]any { return g.object(t) })
	}
	return map[string]any{}
}

// fieldDoc says what the server does with a field that its Go type does
// not show: optional despite no omitempty, a default, bounds.
type fieldDoc struct {
	optional bool
	schema   func(g *schemaGen) map[string]any // replaces the derived schema
	set      map[string]any
}

// fieldDocs are keyed by "Type.json_name".
var fieldDocs = map[string]fieldDoc{
	"QueryRequest.sql": {set: map[string]any{"minLength": 1, "description": "one SQL statement (SPEC §5)"}},
	"QueryRequest.params": {schema: func(g *schemaGen) map[string]any {
		return map[string]any{"type": "array", "items": g.sqlValue()}
	}, set: map[string]any{"description": "values for the ? placeholders, in order: scalars only"}},
	"QueryRequest.limit":            {set: map[string]any{"minimum": 0, "description": "most rows to return; 0 or absent means the server's --max-rows, which also caps larger values"}},
	"QueryRequest.read_only":        {set: map[string]any{"description": "refuse a statement that writes, even with a key that may write (403 read_only)"}},
	"MergeRequest.target":           {optional: true, set: map[string]any{"default": cinch.DefaultBranch, "description": "the branch to merge into"}},
	"MergeRequest.dry_run":          {optional: true, set: map[string]any{"default": false, "description": "only plan: nothing is applied"}},
	"ColumnPatchRequest.name":       {set: map[string]any{"description": "the column's new name (rename); not with nullable"}},
	"ColumnPatchRequest.nullable":   {set: map[string]any{"description": "allow NULLs (true) or not (false); not with name"}},
	"ColumnPatchRequest.fill_value": {set: map[string]any{"description": "with nullable: false, the value existing NULLs become"}},
	"ColumnSpec.type":               {set: map[string]any{"description": "TEXT, INTEGER, REAL, BLOB, NUMERIC or BOOLEAN, in any case"}},
	"ColumnSpec.nullable":           {set: map[string]any{"description": "false for NOT NULL; columns are nullable by default"}},
	"TenantBatchRequest.names":      {set: map[string]any{"description": "the new tenants' names: distinct, none taken (else nothing is created); at most 100000", "minItems": 1}},
	"TenantBatchRequest.lazy":       {set: map[string]any{"description": "only register the tenants: each file appears on its first write"}},
	"TenantCreateRequest.lazy":      {set: map[string]any{"description": "only register the tenant: its file appears on first write"}},
	"TenantCreateRequest.from":      {set: map[string]any{"description": "copy data and schema from this template tenant"}},
	"TenantCreateRequest.encrypt":   {set: map[string]any{"description": "encrypt under the key in the " + cinch.TenantKeyHeader + " header (never in the body, never stored)"}},
	"BranchCreateRequest.from":      {set: map[string]any{"default": cinch.DefaultBranch, "description": "the branch to start from"}},
	"BranchInfo.tenants":            {optional: true, set: map[string]any{"description": "the branch's tenants; left out for keys limited to one tenant"}},
	"BranchInfo.behind":             {optional: true, set: map[string]any{"description": "materialized tenants whose file lacks some of the branch's changes (caught up on their next request or by the server's converger); left out for keys limited to one tenant"}},
	"QueryResult.columns":           {set: map[string]any{"description": "column names, in order"}},
	"QueryResult.rows": {schema: func(g *schemaGen) map[string]any {
		return map[string]any{"type": "array", "items": map[string]any{"type": "array", "items": g.sqlValue()}}
	}, set: map[string]any{"description": "each row's values in column order"}},
	"QueryResult.rows_affected": {set: map[string]any{"description": "rows a write changed (0 for reads)"}},
	"QueryResult.truncated":     {set: map[string]any{"description": "true when --max-rows, --max-result-bytes or limit cut the rows short"}},
	"FanOutRequest.sql":         {set: map[string]any{"minLength": 1, "description": "one read-only SQL statement (SPEC §5)"}},
	"FanOutRequest.params": {schema: func(g *schemaGen) map[string]any {
		return map[string]any{"type": "array", "items": g.sqlValue()}
	}, set: map[string]any{"description": "values for the ? placeholders, in order: scalars only"}},
	"FanOutRequest.tenants":     {set: map[string]any{"description": "only these tenants (all must exist; archived ones answer with an error); none: every served tenant"}},
	"FanOutRequest.group":       {set: map[string]any{"description": "only the tenants of this group"}},
	"FanOutRequest.limit":       {set: map[string]any{"minimum": 0, "description": "most rows per tenant; 0 or absent means the server's --max-rows, which also caps larger values"}},
	"FanOutRequest.total_rows":  {set: map[string]any{"minimum": 0, "description": "most rows of all tenants together; 0 or absent means --max-rows, which also caps larger values"}},
	"FanOutRequest.total_bytes": {set: map[string]any{"minimum": 0, "description": "most bytes of values of all tenants together; 0 or absent means --max-result-bytes, which also caps larger values"}},
	"TenantQueryResult.columns": {set: map[string]any{"description": "column names, in order (not with error)"}},
	"TenantQueryResult.rows": {schema: func(g *schemaGen) map[string]any {
		return map[string]any{"type": "array", "items": map[string]any{"type": "array", "items": g.sqlValue()}}
	}, set: map[string]any{"description": "each row's values in column order (not with error)"}},
	"TenantQueryResult.truncated":       {set: map[string]any{"description": "true when a limit cut this tenant's rows short (not with error)"}},
	"TenantQueryResult.error":           {set: map[string]any{"description": "this tenant's error; the other tenants' answers stand"}},
	"TenantSelection.tenants":           {set: map[string]any{"description": "the tenants (all must exist); none: every served tenant (check: every tenant)"}},
	"TenantGroupRequest.group":          {set: map[string]any{"description": "the group, or \"\" to take the tenant out of its group"}},
	"GroupLimits.max_db_bytes":          {set: map[string]any{"minimum": 0, "description": "largest database a tenant of the group may grow to, in bytes (at least 65536); 0 or absent: no limit"}},
	"GroupLimits.max_concurrent":        {set: map[string]any{"minimum": 0, "description": "queries at once on one tenant of the group; 0 or absent: no limit"}},
	"GroupCreateRequest.max_db_bytes":   {set: map[string]any{"minimum": 0, "description": "largest database a tenant of the group may grow to, in bytes (at least 65536); 0 or absent: no limit"}},
	"GroupCreateRequest.max_concurrent": {set: map[string]any{"minimum": 0, "description": "queries at once on one tenant of the group; 0 or absent: no limit"}},
	"ErrorDetail.code":                  {set: map[string]any{"description": "stable error code; each has one HTTP status"}},
	"ErrorDetail.details":               {set: map[string]any{"description": "more about some errors (a refused merge's plan)"}},
	"Change.details":                    {set: map[string]any{"description": "type-specific details of the change"}},
	"KVEntry.type":                      {set: map[string]any{"enum": kvTypeNames(), "description": "the value's type, as it was set"}},
	"KVEntry.value":                     {set: map[string]any{"description": kvValueDoc}},
	"KVItem.type":                       {set: map[string]any{"enum": kvTypeNames(), "description": "the value's type; absent: decided by the JSON value"}},
	"KVItem.value":                      {set: map[string]any{"description": kvValueDoc}},
	"KVSetRequest.type":                 {set: map[string]any{"enum": kvTypeNames(), "description": "the value's type; absent: decided by the JSON value"}},
	"KVSetRequest.value":                {set: map[string]any{"description": kvValueDoc}},
	"KVSetRequest.ttl_ms":               {set: map[string]any{"minimum": 0, "description": "milliseconds until the key expires; 0 or absent: never"}},
	"KVSetRequest.nx":                   {set: map[string]any{"description": "only set the key if it is not set (set: false otherwise)"}},
	"KVMSetRequest.ttl_ms":              {set: map[string]any{"minimum": 0, "description": "milliseconds until the keys expire; 0 or absent: never"}},
	"KVExpireRequest.ttl_ms":            {set: map[string]any{"minimum": 1, "description": "milliseconds until the key expires"}},
	"KVTTL.ttl_ms":                      {set: map[string]any{"description": "milliseconds left (with expires: true)"}},
	"KVIncrRequest.by": {schema: func(g *schemaGen) map[string]any { return map[string]any{"type": "number"} },
		set: map[string]any{"default": 1, "description": "an integer adds to an integer; a number with a fraction or exponent makes the value a float"}},
}

// kvValueDoc describes a KV value on the wire (internal/wire/kv.go).
const kvValueDoc = "the value as JSON: text a string, int an integer, float a number with a fraction or exponent (±9e999 for infinities), " +
	"bool true or false, bytes a base64 string, json any JSON value, null null"

func kvTypeNames() []string {
	out := make([]string, len(cinch.KVTypes))
	for i, t := range cinch.KVTypes {
		out[i] = string(t)
	}
	return out
}

// schemaDocs are set on a whole object schema, keyed by type name.
var schemaDocs = map[string]map[string]any{
	"ColumnPatchRequest": {"minProperties": 1, "description": "Either name (rename) or nullable with an optional fill_value, not both."},
	"MergeRequest":       {"description": "Every field is optional: {} merges into main."},
	"TenantQueryResult":  {"description": "One tenant's answer to a fan-out query: columns, rows and truncated, or error."},
	"TenantSelection":    {"description": "Every field is optional: {} covers every served tenant of the branch."},
}

func (g *schemaGen) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" && f.Anonymous && f.Type.Kind() == reflect.Struct {
			// An embedded struct's fields are the object's own in JSON,
			// unless the outer type has a field of the same name.
			inner := g.object(f.Type)
			for n, p := range inner["properties"].(map[string]any) {
				if !hasJSONField(t, n) {
					props[n] = p
				}
			}
			if req, ok := inner["required"].([]string); ok {
				for _, n := range req {
					if !hasJSONField(t, n) {
						required = append(required, n)
					}
				}
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		doc := fieldDocs[t.Name()+"."+name]
		var prop map[string]any
		if doc.schema != nil {
			prop = doc.schema(g)
		} else {
			prop = g.schema(f.Type)
		}
		if len(doc.set) > 0 {
			if _, ref := prop["$ref"]; ref { // $ref siblings are ignored in 3.0: wrap it
				prop = map[string]any{"allOf": []any{prop}}
			}
			for k, v := range doc.set {
				prop[k] = v
			}
		}
		props[name] = prop
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") && f.Type.Kind() != reflect.Pointer && !doc.optional {
			required = append(required, name)
		}
	}
	obj := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if required != nil {
		obj["required"] = required
	}
	for k, v := range schemaDocs[t.Name()] {
		obj[k] = v
	}
	return obj
}

// hasJSONField reports whether struct t has a field of its own (not
// embedded) whose JSON name is name.
func hasJSONField(t reflect.Type, name string) bool {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous {
			continue
		}
		n, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if n == "" {
			n = f.Name
		}
		if n == name {
			return true
		}
	}
	return false
}
