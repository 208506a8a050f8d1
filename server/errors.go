package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/cinchdb/cinch"
)

// Transport-level codes that have no sentinel in cinch.Codes: no route
// matches the path, or the route exists for other methods.
const (
	CodeRouteNotFound    = "route_not_found"
	CodeMethodNotAllowed = "method_not_allowed"
)

// statusByCode is the one table from error code (cinch.Code) to HTTP
// status. Every code of cinch.Codes has a row (a test checks it); the
// client maps statuses back only through the code, never the status.
//
// Choices worth knowing:
//   - read_only is 403: the key (or the request's read_only flag) does not
//     permit writing; the statement itself was fine. encryption_key (an
//     encrypted tenant without its key) is 403 too.
//   - query_rejected is 400: the SQL is refused by the guard (SPEC §5).
//   - protected, constraint_failed, rollout_failed and schema_drift are 409:
//     the request conflicts with the state of the data (main cannot be
//     deleted, a UNIQUE constraint, tenant data a change cannot apply to).
//   - disk_full is 507 (Insufficient Storage): nothing was lost, the write
//     can be retried once space is freed.
//   - canceled is 408: the query ran past Config.QueryTimeout and SQLite
//     was interrupted.
var statusByCode = map[string]int{
	"invalid_name":           http.StatusBadRequest,
	"invalid_input":          http.StatusBadRequest,
	"query_rejected":         http.StatusBadRequest,
	"limit_exceeded":         http.StatusBadRequest,
	"confirmation_needed":    http.StatusBadRequest,
	"tenant_required":        http.StatusBadRequest,
	"unauthorized":           http.StatusUnauthorized,
	"forbidden":              http.StatusForbidden,
	"read_only":              http.StatusForbidden,
	"encryption_key":         http.StatusForbidden,
	"database_not_found":     http.StatusNotFound,
	"branch_not_found":       http.StatusNotFound,
	"tenant_not_found":       http.StatusNotFound,
	"table_not_found":        http.StatusNotFound,
	"column_not_found":       http.StatusNotFound,
	"view_not_found":         http.StatusNotFound,
	"index_not_found":        http.StatusNotFound,
	"row_not_found":          http.StatusNotFound,
	"key_not_found":          http.StatusNotFound,
	"group_not_found":        http.StatusNotFound,
	CodeRouteNotFound:        http.StatusNotFound,
	CodeMethodNotAllowed:     http.StatusMethodNotAllowed,
	CodeUnsupportedMediaType: http.StatusUnsupportedMediaType,
	"canceled":               http.StatusRequestTimeout,
	"project_exists":         http.StatusConflict,
	"database_exists":        http.StatusConflict,
	"branch_exists":          http.StatusConflict,
	"tenant_exists":          http.StatusConflict,
	"table_exists":           http.StatusConflict,
	"column_exists":          http.StatusConflict,
	"view_exists":            http.StatusConflict,
	"index_exists":           http.StatusConflict,
	"group_exists":           http.StatusConflict,
	"tenant_archived":        http.StatusConflict,
	"protected":              http.StatusConflict,
	"constraint_failed":      http.StatusConflict,
	"rollout_failed":         http.StatusConflict,
	"schema_drift":           http.StatusConflict,
	"conflict":               http.StatusConflict,
	"busy":                   http.StatusConflict,
	"too_large":              http.StatusRequestEntityTooLarge,
	"disk_full":              http.StatusInsufficientStorage,
	"rate_limited":           http.StatusTooManyRequests,
	"not_implemented":        http.StatusNotImplemented,
	"not_owner":              http.StatusServiceUnavailable,
	"unavailable":            http.StatusServiceUnavailable,
	"no_project":             http.StatusInternalServerError,
	"internal":               http.StatusInternalServerError,
}

// Status returns the HTTP status for an error code; 500 for unknown codes.
func Status(code string) int {
	if s, ok := statusByCode[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// ErrorBody is the JSON of every error response:
// {"error": {"code": "tenant_not_found", "message": "..."}}.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the error object: a stable code (cinch.Code), a message
// for humans, and for some errors details (a merge's conflicts).
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details any    `json:"details,omitempty"`
}

// normalize turns context and body-size errors into the vocabulary. The
// messages name the cinch serve flag that sets each limit.
func normalize(err error) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return &cinch.Error{Err: cinch.ErrTooLarge,
			Message: "request body is larger than the server's limit of " + formatBytes(mbe.Limit),
			Hint:    "send less data per request, or raise the limit: cinch serve --max-body"}
	case errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, cinch.ErrCanceled):
		return &cinch.Error{Err: cinch.ErrCanceled, Message: "the request ran past the server's time limit and was interrupted",
			Hint: "make the query cheaper or ask for fewer rows, or raise the limit: cinch serve --query-timeout"}
	case errors.Is(err, context.Canceled) && !errors.Is(err, cinch.ErrCanceled):
		return &cinch.Error{Err: cinch.ErrCanceled, Message: "request canceled"}
	}
	return err
}

// tenantKeyHint replaces the hint of an encryption_key error: the engine's
// names the CLI's --key flag, over HTTP the key goes in a header.
const tenantKeyHint = "send the tenant's key (the one it was created or last rotated with) in the " +
	cinch.TenantKeyHeader + " header; cinch never stores it"

// httpMessage is the message of err as an HTTP client should read it.
func httpMessage(err error, code string) string {
	if code != "encryption_key" {
		return err.Error()
	}
	var ce *cinch.Error
	if errors.As(err, &ce) {
		c := *ce
		c.Hint = tenantKeyHint
		return c.Error()
	}
	return err.Error() + " (" + tenantKeyHint + ")"
}

// formatBytes writes a byte count the way the serve flags take it: 4 MiB,
// 512 KiB, 1000 bytes.
func formatBytes(n int64) string {
	for _, u := range []struct {
		size int64
		name string
	}{{1 << 40, "TiB"}, {1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
		if n >= u.size {
			if n%u.size == 0 {
				return strconv.FormatInt(n/u.size, 10) + " " + u.name
			}
			return strconv.FormatFloat(float64(n)/float64(u.size), 'f', 1, 64) + " " + u.name
		}
	}
	if n == 1 {
		return "1 byte"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// WriteError writes err as the JSON error body with the status of its code.
// Internal errors are logged in full and shown without detail: no paths,
// no stack traces.
func WriteError(w http.ResponseWriter, err error) { writeError(w, nil, err, nil) }

func writeError(w http.ResponseWriter, log *slog.Logger, err error, details any) {
	status, detail := errorDetail(log, err)
	detail.Details = details
	writeJSON(w, status, ErrorBody{Error: detail})
}

// errorDetail is err as the status and error object the server answers.
func errorDetail(log *slog.Logger, err error) (int, ErrorDetail) {
	err = normalize(err)
	code := cinch.Code(err)
	msg := httpMessage(err, code)
	if code == "internal" {
		if log != nil {
			log.Error("internal error", "err", err)
		}
		msg = "internal error (details are in the server log)"
	}
	return Status(code), ErrorDetail{Code: code, Message: msg}
}

func writeErrorCode(w http.ResponseWriter, code, msg string, details any) {
	writeJSON(w, Status(code), ErrorBody{Error: ErrorDetail{Code: code, Message: msg, Details: details}})
}

// writeJSON writes v as the response body with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		data = []byte(`{"error":{"code":"internal","message":"internal error: response could not be encoded"}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(data, '\n'))
}
