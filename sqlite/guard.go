package sqlite

import (
	"strings"

	"github.com/ncruces/go-sqlite3"
)

// Guard is the query guard of SPEC §5, enforced by SQLite's authorizer: it
// sees every action a statement takes after parsing, so no spelling,
// comment, CTE or case trick reaches around it.
//
// One policy serves every interface. It stays installed on every tenant
// connection; cinch's own schema work flips the connection into system
// mode (Conn.System), which is never reachable from user SQL.
type Guard struct {
	// Denied records the reason for the last denial, for the error message.
	Denied string
	// Stepping is true while a statement the guard already authorized at
	// prepare time runs. Only then is an ATTACH with an empty filename
	// allowed: that is VACUUM attaching its private scratch database, which
	// happens when VACUUM runs, never when a statement is prepared. An ATTACH
	// statement is always authorized at prepare time, and there its filename
	// may be an expression (SQLite then reports it as empty), so every
	// ATTACH seen while not Stepping is refused. Connections that cannot
	// tell (the database/sql driver prepares and steps on its own) leave it
	// false: VACUUM is then refused there too, and runs through Query.
	Stepping bool

	// driverTx is true while the database/sql driver of OpenDB begins or
	// ends a transaction: for a read-only one (sql.TxOptions.ReadOnly) it
	// runs PRAGMA query_only=on after BEGIN, and =off after COMMIT or
	// ROLLBACK. query_only only ever restricts, but users may not set it:
	// on a shared connection it would outlive their statement.
	driverTx bool

	// Pragma is set when a PRAGMA is authorized: such a statement may be
	// compiled from the connection's copy of the schema and never check it
	// when run, so cached ones are re-checked (fresh.go).
	Pragma bool

	// kv is true while cinch's own statements on its key-value table run
	// (kv.go): writes to that table, and no other, are allowed then.
	kv bool

	// Reading, when set, is the only schema a statement may reach (a
	// Reader's attached file): an action on any other schema (main, temp:
	// the unqualified sqlite_schema, a table-valued function) or any
	// PRAGMA sets Foreign. Nothing is denied for it; the Reader drops the
	// result and the file is read on a connection of its own.
	Reading string
	// Foreign records such an action since Reading was set.
	Foreign bool
	// Unqualified holds the tables a statement names without a schema
	// and reads no column of ("SELECT count(*) FROM t"): SQLite then
	// reports the name as written, not the schema it resolved to, so the
	// Reader checks them itself.
	Unqualified []string
}

// readPragmas may be run with or without an argument; they read only.
var readPragmas = map[string]bool{
	"integrity_check": true, "quick_check": true, "foreign_key_check": true,
	"table_info": true, "table_xinfo": true, "table_list": true,
	"index_list": true, "index_info": true, "index_xinfo": true,
	"foreign_key_list": true, "collation_list": true, "function_list": true,
	"pragma_list": true, "module_list": true, "compile_options": true,
}

// queryPragmas may be read (no argument) but not set.
var queryPragmas = map[string]bool{
	"user_version": true, "schema_version": true, "data_version": true,
	"application_id": true, "page_count": true, "page_size": true,
	"freelist_count": true, "encoding": true, "foreign_keys": true,
	"journal_mode": true, "synchronous": true, "auto_vacuum": true,
	"max_page_count": true, "cache_size": true, "busy_timeout": true,
	// database/sql's driver reads it on every new connection (SQLDB).
	"query_only": true,
}

// maintenancePragmas change no schema or durability and are allowed.
var maintenancePragmas = map[string]bool{"optimize": true}

// Authorize is the authorizer callback. It returns AUTH_DENY with a reason
// in g.Denied for anything SPEC §5 forbids.
func (g *Guard) Authorize(action sqlite3.AuthorizerActionCode, name3, name4, schema, inner string) sqlite3.AuthorizerReturnCode {
	deny := func(reason string) sqlite3.AuthorizerReturnCode {
		if g.Denied == "" {
			g.Denied = reason
		}
		return sqlite3.AUTH_DENY
	}
	// VACUUM works by attaching a private scratch database named vacuum_*;
	// everything it does there is its own business.
	scratch := strings.HasPrefix(schema, "vacuum_")
	if g.Reading != "" {
		switch {
		case action == sqlite3.AUTH_PRAGMA, schema != "" && schema != g.Reading:
			g.Foreign = true
		case action == sqlite3.AUTH_READ && schema == "":
			g.Unqualified = append(g.Unqualified, name3)
		}
	}
	switch action {
	case sqlite3.AUTH_SELECT, sqlite3.AUTH_READ, sqlite3.AUTH_RECURSIVE,
		sqlite3.AUTH_TRANSACTION, sqlite3.AUTH_SAVEPOINT, sqlite3.AUTH_ANALYZE, sqlite3.AUTH_REINDEX:
		return sqlite3.AUTH_OK
	case sqlite3.AUTH_FUNCTION:
		if strings.EqualFold(name4, "load_extension") {
			return deny("load_extension is not allowed")
		}
		return sqlite3.AUTH_OK
	case sqlite3.AUTH_INSERT, sqlite3.AUTH_UPDATE, sqlite3.AUTH_DELETE:
		// sqlite_master is written only by DDL, which is authorized (and
		// denied) on its own action; SQLite refuses direct writes to it.
		if scratch || strings.HasPrefix(name3, "sqlite_stat") || name3 == "sqlite_master" || name3 == "sqlite_temp_master" {
			return sqlite3.AUTH_OK
		}
		if g.kv && name3 == KVTable {
			return sqlite3.AUTH_OK
		}
		if strings.HasPrefix(name3, "__") || strings.HasPrefix(name3, "sqlite_") {
			return deny("writes to system table " + name3 + " are not allowed")
		}
		return sqlite3.AUTH_OK
	case sqlite3.AUTH_ATTACH:
		// The only attach allowed is the empty filename: VACUUM's private
		// scratch database. VACUUM INTO and ATTACH of any file are denied.
		if name3 == "" && g.Stepping {
			return sqlite3.AUTH_OK
		}
		return deny("ATTACH and VACUUM INTO are not allowed: a query reaches exactly one tenant")
	case sqlite3.AUTH_DETACH:
		if strings.HasPrefix(name3, "vacuum_") {
			return sqlite3.AUTH_OK
		}
		return deny("DETACH is not allowed")
	case sqlite3.AUTH_PRAGMA:
		g.Pragma = true
		name := strings.ToLower(name3)
		switch {
		case readPragmas[name], maintenancePragmas[name]:
			return sqlite3.AUTH_OK
		case queryPragmas[name] && name4 == "":
			return sqlite3.AUTH_OK
		case name == "query_only" && g.driverTx:
			return sqlite3.AUTH_OK
		}
		return deny("PRAGMA " + name3 + " is not allowed (only read-only and maintenance pragmas are)")
	case sqlite3.AUTH_CREATE_TABLE:
		if scratch || strings.HasPrefix(name3, "sqlite_stat") { // VACUUM, ANALYZE
			return sqlite3.AUTH_OK
		}
	case sqlite3.AUTH_CREATE_INDEX, sqlite3.AUTH_CREATE_VIEW, sqlite3.AUTH_CREATE_TRIGGER,
		sqlite3.AUTH_DROP_INDEX, sqlite3.AUTH_DROP_TABLE, sqlite3.AUTH_DROP_VIEW, sqlite3.AUTH_DROP_TRIGGER,
		sqlite3.AUTH_ALTER_TABLE:
		if scratch {
			return sqlite3.AUTH_OK
		}
	}
	// Everything else is DDL (temp objects and virtual tables included) or unknown.
	return deny("schema changes (CREATE, ALTER, DROP) are not allowed in queries: use the table, column, view and index commands so the change is tracked and reaches every tenant")
}
