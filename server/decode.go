package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/internal/wire"
)

// Request bodies. Unknown fields, trailing data and wrong types are
// refused with invalid_input (400).
type (
	// QueryRequest is the body of POST .../query.
	QueryRequest struct {
		SQL      string `json:"sql"`
		Params   []any  `json:"params,omitempty"`
		Limit    int    `json:"limit,omitempty"`     // at most Config.MaxRows
		ReadOnly bool   `json:"read_only,omitempty"` // refuse writes even for a writing key
	}
	// TenantCreateRequest is the body of POST .../tenants.
	TenantCreateRequest struct {
		Name string `json:"name"`
		Lazy bool   `json:"lazy,omitempty"`
		From string `json:"from,omitempty"`
		// Encrypt stores the tenant encrypted under the key in the
		// X-Cinch-Tenant-Key header (never in the body, never stored).
		Encrypt bool `json:"encrypt,omitempty"`
	}
	// TenantBatchRequest is the body of POST .../tenants:batch.
	TenantBatchRequest struct {
		Names []string `json:"names"`
		Lazy  bool     `json:"lazy,omitempty"`
	}
	// RenameRequest renames a tenant (PATCH .../tenants/{tenant}) or a
	// column (PATCH .../columns/{column}).
	RenameRequest struct {
		Name string `json:"name"`
	}
	// CopyRequest is the body of POST .../tenants/{tenant}/copy and
	// POST .../tables/{table}/copy.
	CopyRequest struct {
		Target string `json:"target"`
		NoData bool   `json:"no_data,omitempty"`
	}
	// ColumnSpec is a column in a request. Nullable defaults to true (SPEC
	// §4: columns are nullable unless not null).
	ColumnSpec struct {
		Name       string            `json:"name"`
		Type       string            `json:"type"`
		Nullable   *bool             `json:"nullable,omitempty"`
		Unique     bool              `json:"unique,omitempty"`
		Default    *string           `json:"default,omitempty"`
		ForeignKey *cinch.ForeignKey `json:"foreign_key,omitempty"`
	}
	// TableCreateRequest is the body of POST .../tables.
	TableCreateRequest struct {
		Name    string       `json:"name"`
		Columns []ColumnSpec `json:"columns"`
	}
	// ColumnPatchRequest renames a column (name) or changes its
	// nullability (nullable, with fill_value for existing NULLs): one of
	// the two per request.
	ColumnPatchRequest struct {
		Name      *string `json:"name,omitempty"`
		Nullable  *bool   `json:"nullable,omitempty"`
		FillValue *string `json:"fill_value,omitempty"`
	}
	// ViewRequest is the body of POST .../views (name and sql) and PUT
	// .../views/{view} (sql).
	ViewRequest struct {
		Name string `json:"name,omitempty"`
		SQL  string `json:"sql"`
	}
	// IndexCreateRequest is the body of POST .../indexes.
	IndexCreateRequest struct {
		Name    string   `json:"name,omitempty"`
		Table   string   `json:"table"`
		Columns []string `json:"columns"`
		Unique  bool     `json:"unique,omitempty"`
	}
	// BranchCreateRequest is the body of POST /v1/databases/{db}/branches.
	BranchCreateRequest struct {
		Name string `json:"name"`
		From string `json:"from,omitempty"` // default main
	}
	// MergeRequest is the body of POST .../branches/{source}/merge.
	MergeRequest struct {
		Target string `json:"target"` // default main
		DryRun bool   `json:"dry_run"`
	}
	// RowsDeleteRequest is the body of POST .../rows/delete.
	RowsDeleteRequest struct {
		IDs []string `json:"ids"`
	}
	// DeleteResult says how many rows a delete removed.
	DeleteResult struct {
		Deleted int64 `json:"deleted"`
	}
	// Health is the body of GET /v1/health.
	Health struct {
		Status string `json:"status"`
	}
	// QueryResult is the body of a query response (SPEC §7): the columns
	// in order, each row as an array of values in column order (null,
	// boolean, integer, real or text), the rows a write changed, and
	// whether a limit (--max-rows, --max-result-bytes) cut the rows short.
	QueryResult struct {
		Columns      []string `json:"columns"`
		Rows         [][]any  `json:"rows"`
		RowsAffected int64    `json:"rows_affected"`
		Truncated    bool     `json:"truncated"`
	}
)

// Response and request types are named for what they hold, never
// <operation>Response or <operation>Request: OpenAPI generators name their
// own per-operation types that way (oapi-codegen makes HealthResponse for
// the health operation), and a schema of the same name does not compile.

// rowsBody marks the row insert body (an object or an array of objects)
// in the route table and the OpenAPI document.
type rowsBody struct{}

// openAPIDoc marks the OpenAPI document itself in the route table.
type openAPIDoc struct{}

func invalid(format string, args ...any) error {
	return &cinch.Error{Err: cinch.ErrInvalidInput, Message: fmt.Sprintf(format, args...)}
}

// decodeStrict decodes one JSON value from data into v: unknown fields,
// trailing data, wrong types and an empty body are invalid_input.
func decodeStrict(data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return invalid("request body is empty: send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalid("invalid JSON body: unexpected data after the JSON value")
	}
	return nil
}

// jsonError turns an encoding/json error into a clear invalid_input.
func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return invalid("invalid JSON body at byte %d: %v", se.Offset, se)
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return invalid("invalid JSON body: %s must be %s, not %s", field, jsonType(te.Type.Kind().String()), te.Value)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return invalid("invalid JSON body: it ends too early")
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return invalid("invalid JSON body: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return invalid("invalid JSON body: %s", strings.TrimPrefix(err.Error(), "json: "))
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	case "int", "int64", "float64", "uint", "uint64":
		return "a number"
	}
	return kind
}

// DecodeQueryRequest decodes and checks a query body: sql is required,
// params must be scalars (numbers become int64 or float64), limit >= 0.
func DecodeQueryRequest(data []byte) (QueryRequest, error) {
	q, ok := fastQueryRequest(data)
	if !ok {
		if err := decodeStrict(data, &q); err != nil {
			return QueryRequest{}, err
		}
	}
	if strings.TrimSpace(q.SQL) == "" {
		return QueryRequest{}, invalid("sql is required: give one SQL statement")
	}
	if q.Limit < 0 {
		return QueryRequest{}, invalid("limit must be 0 (the server's maximum) or positive, not %d", q.Limit)
	}
	if err := scalarParams(q.Params); err != nil {
		return QueryRequest{}, err
	}
	return q, nil
}

// scalarParams checks query params in place: scalars only, numbers become
// int64 or float64.
func scalarParams(params []any) error {
	for i, p := range params {
		v, err := scalar(p)
		if err != nil {
			return invalid("params[%d]: %v", i, err)
		}
		params[i] = v
	}
	return nil
}

// DecodeRows decodes a row body: one object (many=false) or an array of
// objects (many=true), each with at least one column, and at least one
// object in an array. Values must be scalars: null, booleans, numbers
// (int64 when integral without a fraction or exponent, else float64) and
// strings.
func DecodeRows(data []byte) (recs []cinch.Record, many bool, err error) {
	var v any
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, false, invalid("request body is empty: send a JSON object or an array of objects")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, false, jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, false, invalid("invalid JSON body: unexpected data after the JSON value")
	}
	switch v := v.(type) {
	case map[string]any:
		if len(v) == 0 {
			return nil, false, invalid("the row has no columns: give at least one column and its value " +
				"(an empty object would store a row of NULLs)")
		}
		rec, err := toRecord(v, "")
		if err != nil {
			return nil, false, err
		}
		return []cinch.Record{rec}, false, nil
	case []any:
		if len(v) == 0 {
			return nil, true, invalid("the array of rows is empty")
		}
		recs := make([]cinch.Record, len(v))
		for i, e := range v {
			obj, ok := e.(map[string]any)
			if !ok {
				return nil, true, invalid("row %d must be an object", i+1)
			}
			if len(obj) == 0 {
				return nil, true, invalid("row %d has no columns: give at least one column and its value "+
					"(an empty object would store a row of NULLs)", i+1)
			}
			if recs[i], err = toRecord(obj, fmt.Sprintf("row %d: ", i+1)); err != nil {
				return nil, true, err
			}
		}
		return recs, true, nil
	}
	return nil, false, invalid("the body must be a JSON object or an array of objects")
}

// DecodeRow decodes a single row object (PATCH): at least one column.
func DecodeRow(data []byte) (cinch.Record, error) {
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' {
		var obj map[string]json.RawMessage
		if json.Unmarshal(t, &obj) == nil && len(obj) == 0 {
			return nil, invalid("nothing to update: give at least one column and its new value")
		}
	}
	recs, many, err := DecodeRows(data)
	if err != nil {
		return nil, err
	}
	if many {
		return nil, invalid("the body must be one JSON object")
	}
	return recs[0], nil
}

func toRecord(obj map[string]any, where string) (cinch.Record, error) {
	rec := make(cinch.Record, len(obj))
	for k, v := range obj {
		if err := cinch.ValidateIdentifier(cinch.KindColumn, k); err != nil && k != "id" {
			return nil, fmt.Errorf("%s%w", where, err)
		}
		s, err := scalar(v)
		if err != nil {
			return nil, invalid("%scolumn %q: %v", where, k, err)
		}
		rec[k] = s
	}
	return rec, nil
}

// scalar checks a decoded JSON value and turns json.Number into int64 or
// float64.
func scalar(v any) (any, error) {
	switch s := v.(type) {
	case nil, bool:
		return v, nil
	case string:
		if !utf8.ValidString(s) {
			return nil, errors.New("string is not valid UTF-8")
		}
		return v, nil // the same interface value: no new allocation
	case json.Number:
		num := string(s)
		if !strings.ContainsAny(num, ".eE") {
			if n, err := strconv.ParseInt(num, 10, 64); err == nil {
				return n, nil
			}
			return nil, fmt.Errorf("integer %s does not fit in 64 bits", num)
		}
		// Past float64's range a number reads as ±Inf (or 0), as SQLite
		// reads 1e999: the server writes infinities as ±9e999, so they
		// come back in as they went out.
		f, err := strconv.ParseFloat(num, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, fmt.Errorf("bad number %s", num)
		}
		return f, nil
	case map[string]any:
		return nil, errors.New("value is an object; store nested data as a JSON string in a TEXT column")
	case []any:
		return nil, errors.New("value is an array; store nested data as a JSON string in a TEXT column")
	}
	return nil, fmt.Errorf("unsupported value %T", v)
}

// jsonFloat encodes a float64 so that it reads back as a float (see
// wire.AppendFloat).
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) { return wire.AppendFloat(nil, float64(f)), nil }

// encodeRecords prepares rows for JSON: floats keep their type across the
// wire (see jsonFloat).
func encodeRecords(rows []cinch.Record) {
	for _, r := range rows {
		for k, v := range r {
			if f, ok := v.(float64); ok {
				r[k] = jsonFloat(f)
			}
		}
	}
}
