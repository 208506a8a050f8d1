package cinch

import (
	"errors"
	"fmt"
)

// The error vocabulary. Every error cinch returns wraps one of these, so
// callers test with errors.Is, locally and (through the client) remotely.
// Each sentinel has a stable code (see Code) that the CLI and the HTTP
// server map to messages and statuses from one table.
var (
	ErrInvalidName  = errors.New("invalid name")
	ErrInvalidInput = errors.New("invalid input")
	//lint:ignore ST1005 SPEC §1 prescribes this exact message.
	ErrNoProject          = errors.New("No CinchDB project found")
	ErrProjectExists      = errors.New("project already exists")
	ErrDatabaseNotFound   = errors.New("database not found")
	ErrDatabaseExists     = errors.New("database already exists")
	ErrBranchNotFound     = errors.New("branch not found")
	ErrBranchExists       = errors.New("branch already exists")
	ErrTenantNotFound     = errors.New("tenant not found")
	ErrTenantExists       = errors.New("tenant already exists")
	ErrTableNotFound      = errors.New("table not found")
	ErrTableExists        = errors.New("table already exists")
	ErrColumnNotFound     = errors.New("column not found")
	ErrColumnExists       = errors.New("column already exists")
	ErrViewNotFound       = errors.New("view not found")
	ErrViewExists         = errors.New("view already exists")
	ErrIndexNotFound      = errors.New("index not found")
	ErrIndexExists        = errors.New("index already exists")
	ErrRowNotFound        = errors.New("row not found")
	ErrKeyNotFound        = errors.New("key not found")
	ErrTenantArchived     = errors.New("tenant archived")
	ErrTenantRequired     = errors.New("tenant required")
	ErrGroupNotFound      = errors.New("group not found")
	ErrGroupExists        = errors.New("group already exists")
	ErrLimitExceeded      = errors.New("limit exceeded")
	ErrEncryptionKey      = errors.New("missing or wrong encryption key")
	ErrProtected          = errors.New("protected")
	ErrQueryRejected      = errors.New("query rejected")
	ErrReadOnly           = errors.New("read-only")
	ErrConstraint         = errors.New("constraint failed")
	ErrRolloutFailed      = errors.New("schema change failed")
	ErrSchemaDrift        = errors.New("schema drift")
	ErrConflict           = errors.New("conflict")
	ErrBusy               = errors.New("busy")
	ErrUnauthorized       = errors.New("unauthorized")
	ErrForbidden          = errors.New("forbidden")
	ErrTooLarge           = errors.New("too large")
	ErrDiskFull           = errors.New("disk full")
	ErrRateLimited        = errors.New("rate limited")
	ErrNotImplemented     = errors.New("not implemented")
	ErrNotOwner           = errors.New("not the tenant's owner")
	ErrUnavailable        = errors.New("unavailable")
	ErrInternal           = errors.New("internal error")
	ErrCanceled           = errors.New("canceled")
	ErrConfirmationNeeded = errors.New("confirmation needed")
)

// Codes is the one table from sentinel to stable code. The CLI prints the
// message; the server turns the code into an HTTP status (server.Status) and
// the client turns the code back into the sentinel (FromCode).
var Codes = []struct {
	Err  error
	Code string
}{
	{ErrInvalidName, "invalid_name"},
	{ErrInvalidInput, "invalid_input"},
	{ErrNoProject, "no_project"},
	{ErrProjectExists, "project_exists"},
	{ErrDatabaseNotFound, "database_not_found"},
	{ErrDatabaseExists, "database_exists"},
	{ErrBranchNotFound, "branch_not_found"},
	{ErrBranchExists, "branch_exists"},
	{ErrTenantNotFound, "tenant_not_found"},
	{ErrTenantExists, "tenant_exists"},
	{ErrTableNotFound, "table_not_found"},
	{ErrTableExists, "table_exists"},
	{ErrColumnNotFound, "column_not_found"},
	{ErrColumnExists, "column_exists"},
	{ErrViewNotFound, "view_not_found"},
	{ErrViewExists, "view_exists"},
	{ErrIndexNotFound, "index_not_found"},
	{ErrIndexExists, "index_exists"},
	{ErrRowNotFound, "row_not_found"},
	{ErrKeyNotFound, "key_not_found"},
	{ErrTenantArchived, "tenant_archived"},
	{ErrTenantRequired, "tenant_required"},
	{ErrGroupNotFound, "group_not_found"},
	{ErrGroupExists, "group_exists"},
	{ErrLimitExceeded, "limit_exceeded"},
	{ErrEncryptionKey, "encryption_key"},
	{ErrProtected, "protected"},
	{ErrQueryRejected, "query_rejected"},
	{ErrReadOnly, "read_only"},
	{ErrConstraint, "constraint_failed"},
	{ErrRolloutFailed, "rollout_failed"},
	{ErrSchemaDrift, "schema_drift"},
	{ErrConflict, "conflict"},
	{ErrBusy, "busy"},
	{ErrUnauthorized, "unauthorized"},
	{ErrForbidden, "forbidden"},
	{ErrTooLarge, "too_large"},
	{ErrDiskFull, "disk_full"},
	{ErrRateLimited, "rate_limited"},
	{ErrNotImplemented, "not_implemented"},
	{ErrNotOwner, "not_owner"},
	{ErrUnavailable, "unavailable"},
	{ErrCanceled, "canceled"},
	{ErrConfirmationNeeded, "confirmation_needed"},
	{ErrInternal, "internal"},
}

// Code returns the stable code of err's sentinel, or "internal".
func Code(err error) string {
	for _, c := range Codes {
		if errors.Is(err, c.Err) {
			return c.Code
		}
	}
	return "internal"
}

// FromCode returns the sentinel for a stable code, or ErrInternal.
func FromCode(code string) error {
	for _, c := range Codes {
		if c.Code == code {
			return c.Err
		}
	}
	return ErrInternal
}

// Error is the rich error cinch returns: what was being done (Op), on what
// (Entity), the sentinel or cause (Err), a human message and a hint that
// says what to do. Error() is the one line a user sees.
type Error struct {
	Op      string // operation, e.g. "tenant create"
	Entity  string // what it was done on, e.g. `tenant "acme"`
	Err     error  // sentinel from the vocabulary above (or a cause wrapping one)
	Message string // what was wrong, for a human
	Hint    string // what to do about it
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.Err.Error()
		if e.Entity != "" {
			msg = e.Entity + ": " + msg
		}
	}
	if e.Hint != "" {
		msg += " (" + e.Hint + ")"
	}
	return msg
}

// Unwrap returns the sentinel or cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error around sentinel with a formatted message.
func Errorf(sentinel error, format string, args ...any) *Error {
	return &Error{Err: sentinel, Message: fmt.Sprintf(format, args...)}
}

// WithHint returns e with a hint added; it returns e for chaining.
func (e *Error) WithHint(hint string) *Error {
	e.Hint = hint
	return e
}

// NotFound builds the standard "X not found" error with a hint.
func NotFound(sentinel error, kind, name, hint string) *Error {
	return &Error{Err: sentinel, Entity: fmt.Sprintf("%s %q", kind, name), Message: fmt.Sprintf("%s %q not found", kind, name), Hint: hint}
}

// Exists builds the standard "X already exists" error.
func Exists(sentinel error, kind, name string) *Error {
	return &Error{Err: sentinel, Message: fmt.Sprintf("%s %q already exists", kind, name), Hint: "choose another name"}
}
