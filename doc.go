// Package cinch is the vocabulary of cinch: many SQLite tenant files that
// share one schema, changed only through tracked changes.
//
// The root package holds the domain types (Target, Column, Change, Result,
// TenantInfo, ...), the name rules of SPEC §3, the column-spec parser, the
// error vocabulary (ErrTenantNotFound, ...) and the small interfaces that
// every implementation satisfies. It imports no adapter: the local engine
// lives in package local, the SQLite specifics in package sqlite, the CLI in
// package cli, and cmd/cinch wires them.
//
// The model in one paragraph: a project holds databases; a database holds
// branches; a branch holds an ordered list of changes (changes.json) and a
// set of tenants. Every tenant is one SQLite file whose PRAGMA user_version
// is the number of changes it has applied. A change is recorded once and
// then applied to each tenant in its own transaction, so each tenant is
// always either on the old or on the new schema, and a tenant that is
// behind catches up the next time it is opened.
package cinch
