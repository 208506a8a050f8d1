package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cinchdb/cinch"
)

// errorInfo is how the CLI reports one error code: the process exit code and
// a hint added to the message when the error does not carry its own.
type errorInfo struct {
	exit int
	hint string // placeholders: see entityHint
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
	"column_not_found":    {1, "run `cinch column list {table}` to see the columns"},
	"column_exists":       {1, "choose another name"},
	"view_not_found":      {1, "run `cinch view list` to see the views"},
	"view_exists":         {1, "use `cinch view update` to change it"},
	"index_not_found":     {1, "run `cinch index list` to see the indexes"},
	"index_exists":        {1, "choose another name with --name"},
	"row_not_found":       {1, `check the id with: cinch query "SELECT id FROM {table}"`},
	"key_not_found":       {1, "see the keys with: cinch kv keys --tenant TENANT"},
	"tenant_archived":     {1, "restore it with: cinch tenant restore {name}"},
	"tenant_required":     {1, "pass --tenant NAME (strict_tenant is on: cinch config get strict_tenant)"},
	"group_not_found":     {1, "run `cinch group list` to see the groups"},
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
	"unauthorized":        {1, "check --api-key or " + EnvAPIKey},
	"forbidden":           {1, ""},
	"too_large":           {1, ""},
	"disk_full":           {1, "free disk space and run the command again; nothing was lost"},
	"rate_limited":        {1, "try again later"},
	"not_implemented":     {1, ""},
	"not_owner":           {1, "retry: another node owns the tenant"},
	"unavailable":         {1, "retry in a moment; a cluster answers while a majority of its nodes is up"},
	"canceled":            {1, ""},
	"confirmation_needed": {1, "pass --force to do it without asking"},
	"internal":            {1, ""},
}

// commandHints gives the CLI's words for hints of the engine (packages
// local, sqlite, apikey). Those say what to do without naming a cinch
// command or flag, since they reach HTTP and Go users too; on the command
// line the hint names the command or flag that does it. Keys are the
// engine's hints exactly (TestRun_CommandHints runs each case end to end);
// a hint not listed is shown as the engine gives it.
var commandHints = map[string]string{
	"check the name, or create the tenant first":                            "see the tenants with: cinch tenant list, or create it with: cinch tenant create {name}",
	"restore it first":                                                      "restore it first: cinch tenant restore {name}",
	"restore it before renaming":                                            "restore it before renaming: cinch tenant restore {name}",
	"copy it to a new name instead":                                         "copy it instead: cinch tenant copy main NEW",
	"switch to another database first":                                      "switch to another database first: cinch db switch NAME",
	"fix the file, or set the active database and branch again":             "fix the file or set active_database and active_branch again with cinch db switch",
	"create the view first":                                                 "create it with: cinch view create",
	"delete the index first":                                                "delete the index first: cinch index delete {name}",
	"give one value per ? placeholder":                                      "give one --param per ? in the query",
	"the tenant reached its group's max database size; nothing was written": "the tenant reached its group's max database size (cinch group limits); nothing was written",
	"give the tenant's key":                                                 "give the tenant's key with --key or " + EnvTenantKey,
	"give the tenant's key; in Go, DB.WithKey":                              "give its key with --key or " + EnvTenantKey,
	"give the key to encrypt it with; it is never stored":                   "pass --key KEY or set " + EnvTenantKey + "; cinch never stores it",
	"give the key to re-encrypt the tenant with":                            "give the new key with --new-key",
	"list the keys to see their ids":                                        "see the keys with: cinch key list",
	"give it a default value, or add it nullable and make it NOT NULL later with a value for the NULLs":                        "add :default=VALUE, or add it nullable and use column alter-nullable --not-null --fill-value V later",
	"change one side so both agree (e.g. drop or rename on one branch), then merge again; a dry run lists each side's changes": "change one side so both agree (e.g. drop or rename on one branch), then merge again; --dry-run lists each side's changes",
	"fix the cause; the next operation on this branch (a tenant check, for one) finishes the change":                           "fix the cause and run any cinch command on this branch (e.g. cinch tenant check --all) to finish",
}

// entityHint fills the placeholders of a hint from the entity an error is
// about (`tenant "acme"`, `column "users.email"`, `row "users/<id>"`):
// {name} is the name and {table} its table; without an entity they read
// NAME and TABLE.
func entityHint(hint, entity string) string {
	if !strings.Contains(hint, "{") {
		return hint
	}
	name, table := "NAME", "TABLE"
	kind, quoted, _ := strings.Cut(entity, " ")
	if n, err := strconv.Unquote(quoted); err == nil && n != "" {
		name = n
		switch kind {
		case cinch.KindColumn:
			table, _, _ = strings.Cut(n, ".")
		case "row":
			table, _, _ = strings.Cut(n, "/")
		}
	}
	return strings.NewReplacer("{name}", name, "{table}", table).Replace(hint)
}

// leadingEntity matches the entity a message starts with (`tenant "acme"
// not found`), as the engine writes it.
var leadingEntity = regexp.MustCompile(`^[a-z]+ "(?:[^"\\]|\\.)*"`)

// serverHints gives the CLI's words for hints the server puts in place of
// the engine's (server/errors.go), since over HTTP they name a header, not
// a flag. TestRemoteMode (cmd/cinch) runs them against a real server.
var serverHints = map[string]string{
	"send the tenant's key (the one it was created or last rotated with) in the " + cinch.TenantKeyHeader + " header; cinch never stores it": "give the tenant's key with --key or " + EnvTenantKey,
}

// messageHint returns the hint that msg ends its text with, as an error
// from a server does (package client keeps the message whole and has no
// Hint): the longest key of commandHints or serverHints found in msg, or "".
func messageHint(msg string) string {
	best := ""
	for _, hints := range []map[string]string{commandHints, serverHints} {
		for h := range hints {
			if len(h) > len(best) && strings.Contains(msg, " ("+h+")") {
				best = h
			}
		}
	}
	return best
}

// cliHint returns the CLI's words for hint, if it has some.
func cliHint(hint string) (string, bool) {
	if h, ok := commandHints[hint]; ok {
		return h, true
	}
	h, ok := serverHints[hint]
	return h, ok
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

// errorMessage is the one line printed for err (without "Error: "): the
// engine's hint in the CLI's words (commandHints), or the code's fallback
// hint (errorTable) when err has none.
func errorMessage(err error) string {
	msg := err.Error()
	if errors.Is(err, context.Canceled) && cinch.Code(err) == "internal" {
		msg = "interrupted (" + msg + ")"
	}
	var ue *url.Error
	if errors.As(err, &ue) && cinch.Code(err) == "internal" && !errors.Is(err, context.Canceled) {
		// The server did not answer (package client passes the transport's error on).
		where := ue.URL
		if u, perr := url.Parse(ue.URL); perr == nil {
			where = u.Scheme + "://" + u.Host
		}
		return oneLine(fmt.Sprintf("cannot reach the cinch server at %s: %v (check --server or %s, and that cinch serve runs there)", where, ue.Err, EnvServer))
	}
	info, ok := errorTable[cinch.Code(err)]
	if !ok {
		info = errorTable["internal"]
	}
	// The hint and entity: the error's own, or for an error from a server,
	// read back from its message.
	hint, entity := "", ""
	var ce *cinch.Error
	if errors.As(err, &ce) {
		hint, entity = ce.Hint, ce.Entity
	}
	if hint == "" {
		hint = messageHint(msg)
	}
	if entity == "" {
		entity = leadingEntity.FindString(msg)
	}
	if hint == "" {
		// A server's message may carry a hint the CLI has no words for;
		// one that says to retry already says what this fallback would.
		saysRetry := cinch.Code(err) == "unavailable" && strings.Contains(msg, "retry")
		if h := entityHint(info.hint, entity); h != "" && !strings.Contains(msg, h) && !saysRetry {
			msg += " (" + h + ")"
		}
	} else if h, ok := cliHint(hint); ok {
		if i := strings.LastIndex(msg, " ("+hint+")"); i >= 0 {
			msg = msg[:i] + " (" + entityHint(h, entity) + ")" + msg[i+len(hint)+3:]
		}
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
