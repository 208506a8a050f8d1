package server

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/cinchdb/cinch"
)

// openAPI builds the OpenAPI 3 document from the route table: the same
// table the mux was built from, so every path and method in the document is
// served and every served route is documented (TestOpenAPI_MatchesRoutes).
func (s *Server) openAPI() map[string]any {
	g := &schemaGen{defs: map[string]any{}}
	paths := map[string]map[string]any{}
	for _, rt := range s.routes {
		op := map[string]any{
			"operationId": rt.op,
			"summary":     rt.summary,
			"tags":        []string{tagOf(rt.path)},
		}
		var params []any
		for _, n := range wildcards(rt.path) {
			params = append(params, map[string]any{
				"name": n, "in": "path", "required": true,
				"description": paramDescription(n),
				"schema":      map[string]any{"type": "string"},
			})
		}
		for _, q := range rt.query {
			params = append(params, map[string]any{"name": q, "in": "query", "required": false,
				"schema": map[string]any{"type": "string"}})
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
		responses[strconv.Itoa(rt.status)] = okResp
		responses["default"] = map[string]any{"description": "Error: " + errorStatusText(),
			"content": map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(ErrorBody{}))}}}
		op["responses"] = responses
		if rt.access == public {
			op["security"] = []any{}
		} else {
			op["description"] = "Key scope needed: " + rt.access.String() + "." + map[bool]string{true: " Refused for read-only keys.", false: ""}[rt.write]
		}
		if paths[rt.path] == nil {
			paths[rt.path] = map[string]any{}
		}
		paths[rt.path][strings.ToLower(rt.method)] = op
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":   "cinch",
			"version": "1",
			"description": "The HTTP API of cinch serve (SPEC §7): many SQLite tenants sharing one schema. " +
				"Every route but health and this document needs Authorization: Bearer <key> (cinch key create). " +
				"Errors are {\"error\": {\"code\", \"message\"}}; see the status of each code in the server package.",
		},
		"paths":      paths,
		"security":   []any{map[string]any{"bearer": []any{}}},
		"components": map[string]any{"schemas": g.defs, "securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}}},
	}
}

func tagOf(path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i := len(segs) - 1; i >= 0; i-- {
		if s := segs[i]; !strings.HasPrefix(s, "{") && s != "v1" && s != "delete" && s != "copy" && s != "merge" && s != "query" {
			if s == "openapi.json" || s == "health" || s == "metrics" {
				return "service"
			}
			return s
		}
	}
	return "service"
}

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

// errorStatusText lists the statuses of the error table, for the document.
func errorStatusText() string {
	seen := map[int]bool{}
	var out []string
	for _, c := range cinch.Codes {
		st := Status(c.Code)
		if !seen[st] {
			seen[st] = true
			out = append(out, strconv.Itoa(st))
		}
	}
	return strings.Join(out, ", ")
}

// schemaGen derives JSON schemas from Go types by their json tags.
type schemaGen struct{ defs map[string]any }

var (
	timeType   = reflect.TypeOf(time.Time{})
	rawType    = reflect.TypeOf(json.RawMessage{})
	recordType = reflect.TypeOf(cinch.Record{})
	rowsType   = reflect.TypeOf(rowsBody{})
)

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch t {
	case timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case rawType:
		return map[string]any{}
	case recordType:
		return map[string]any{"type": "object", "additionalProperties": true,
			"description": "a row: column name to value (null, boolean, number or string)"}
	case rowsType:
		rec := g.schema(recordType)
		return map[string]any{"oneOf": []any{rec, map[string]any{"type": "array", "items": rec}}}
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
	case reflect.Int, reflect.Int64, reflect.Int32:
		return map[string]any{"type": "integer"}
	case reflect.Float64, reflect.Float32:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		name := t.Name()
		if name == "" {
			return g.object(t)
		}
		if _, ok := g.defs[name]; !ok {
			g.defs[name] = map[string]any{} // break cycles
			g.defs[name] = g.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
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
		if name == "" {
			name = f.Name
		}
		props[name] = g.schema(f.Type)
		if !strings.Contains(opts, "omitempty") && f.Type.Kind() != reflect.Pointer {
			required = append(required, name)
		}
	}
	obj := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if required != nil {
		obj["required"] = required
	}
	return obj
}
