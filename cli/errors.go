package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cinchdb/cinch"
)

// errorInfo is how the CLI reports one error code: the process exit code and
// a hint added to the message when the error does not carry its own.
type errorInfo struct {
	exit int
	hint string
}

// errorTable maps every stable error code (cinch.Code) to its exit code and
// fallback hint. All errors exit 1 (SPEC §6); the table is where a code
// would get its own exit status if that ever changes.
var errorTable = map[string]errorInfo{
	"invalid_name":        {1, ""},
	"invalid_input":       {1, ""},
	"no_project":          {1, "run `cinch init` to create one, or pass --project DIR"},
	"project_exists":      {1, "run commands inside it, or init another folder"},
	"database_not_found":  {1, "run `cinch db list` to see the databases"},
	"database_exists":     {1, "choose another name"},
	"branch_not_found":    {1, "run `cinch branch list` to see the branches"},
	"branch_exists":       {1, "choose another name"},
	"tenant_not_found":    {1, "run `cinch tenant list` to see the tenants"},
	"tenant_exists":       {1, "choose another name"},
	"table_not_found":     {1, "run `cinch table list` to see the tables"},
	"table_exists":        {1, "choose another name"},
	"column_not_found":    {1, "run `cinch column list TABLE` to see the columns"},
	"column_exists":       {1, "choose another name"},
	"view_not_found":      {1, "run `cinch view list` to see the views"},
	"view_exists":         {1, "use `cinch view update` to change it"},
	"index_not_found":     {1, "run `cinch index list` to see the indexes"},
	"index_exists":        {1, "choose another name with --name"},
	"row_not_found":       {1, ""},
	"tenant_archived":     {1, "restore it first"},
	"group_not_found":     {1, ""},
	"group_exists":        {1, "choose another name"},
	"limit_exceeded":      {1, ""},
	"encryption_key":      {1, "pass the tenant's key with --key or " + EnvTenantKey},
	"protected":           {1, ""},
	"query_rejected":      {1, ""},
	"read_only":           {1, ""},
	"constraint_failed":   {1, ""},
	"rollout_failed":      {1, "run `cinch tenant check --all` to see the state of every tenant"},
	"schema_drift":        {1, "run `cinch tenant check --all`"},
	"conflict":            {1, ""},
	"busy":                {1, "another process holds the lock; try again"},
	"unauthorized":        {1, ""},
	"forbidden":           {1, ""},
	"too_large":           {1, ""},
	"disk_full":           {1, "free disk space and run the command again; nothing was lost"},
	"rate_limited":        {1, "try again later"},
	"not_implemented":     {1, ""},
	"canceled":            {1, ""},
	"confirmation_needed": {1, "pass --force to do it without asking"},
	"internal":            {1, ""},
}

// usageError is a mistake in the command line itself: unknown command or
// flag, wrong number of arguments, invalid flag combination.
type usageError struct {
	err       error
	showUsage bool // print the command's usage line (argument-count errors)
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// errorMessage is the one line printed for err (without "Error: ").
func errorMessage(err error) string {
	msg := err.Error()
	if errors.Is(err, context.Canceled) && cinch.Code(err) == "internal" {
		msg = "interrupted (" + msg + ")"
	}
	info, ok := errorTable[cinch.Code(err)]
	if !ok {
		info = errorTable["internal"]
	}
	var ce *cinch.Error
	hasHint := errors.As(err, &ce) && ce.Hint != ""
	if info.hint != "" && !hasHint && !strings.Contains(msg, info.hint) {
		msg += " (" + info.hint + ")"
	}
	return oneLine(msg)
}

// exitCode is the process exit status for err.
func exitCode(err error) int {
	if info, ok := errorTable[cinch.Code(err)]; ok && info.exit != 0 {
		return info.exit
	}
	return 1
}

// oneLine folds a multi-line message into one line.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	lines := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, "; ")
}

// fail reports err on stderr and returns the exit code.
func (a *app) fail(cmd *cobra.Command, err error) int {
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintln(a.stderr, "Error: "+oneLine(ue.Error()))
		if ue.showUsage && cmd.Runnable() {
			fmt.Fprintln(a.stderr, "Usage: "+cmd.UseLine())
		}
		fmt.Fprintf(a.stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		return 1
	}
	fmt.Fprintln(a.stderr, "Error: "+errorMessage(err))
	return exitCode(err)
}
