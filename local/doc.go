// Package local is cinch's engine on local files: a project folder holding
// databases, branches, tenants (one SQLite file each), change histories and
// the rollout journal. It implements the interfaces of package cinch.
//
// # Reading order
//
// The files read top-down, from the entry points to the files on disk, and
// each type's methods are in one file (shape_test.go checks both: every
// file is named below, and no type has methods in two files).
//
// Entry points:
//
//	project.go     Project: Init, Open, Close, Connect; settings, databases, branch info; the cache of loaded branches
//	db.go          DB, the handle on one tenant (cinch.DB): queries, the data API, row filters, SQLDB, WithKey and RotateKey
//	strict.go      StrictTenant: whether data operations must name their tenant (config.toml strict_tenant)
//	catalog.go     Catalog: the names in a project, read without loading a branch (shell completion)
//
// The services of a DB, one type each:
//
//	tenants.go     cinch.TenantService: create (lazy, encrypted, copied), copy, rename, delete
//	batch.go       creating many tenants at once (CreateMany): shared lock, registry
//	               transaction and directory fsync per group; all or nothing per group
//	tables.go      cinch.TableService
//	columns.go     cinch.ColumnService
//	views.go       cinch.ViewService
//	indexes.go     cinch.IndexService
//	branches.go    cinch.BranchService: create, delete, merge
//	fleet.go       cinch.FleetService: fan-out query, stats, vacuum, analyze, check, archive, restore
//	fleet_reader.go the Readers of a fan-out: one connection per worker that attaches
//	               each quiet tenant file in turn (sqlite.Reader)
//	quiet_linux.go reading a tenant file no connection has open as immutable, under a
//	               SHARED lock, for fan-outs (quiet_other.go: never)
//	groups.go      cinch.GroupService: tenant groups and their limits
//	filter.go      cinch.FilterQuerier: select, update and delete by filters (SQL from checked names, values bound)
//	kv.go          cinch.KVService: the tenant's key-value store, and the sweep of expired keys
//	records.go     a record checked against its table, and the row as SQLite stores it
//
// The engine below the services:
//
//	branch.go      branch: the branch lock; the schema state (change history,
//	               model, template); the rollout of a change, its journal and
//	               crash recovery; creating tenant files; the sweep
//	converge.go    tenants behind their branch (a change that returned at its commit
//	               point): counting them, migrating them (Converge, tenant migrate),
//	               the background converger a server runs
//
// The tenant handle pool, and what it reads:
//
//	pool.go        pool: the open tenant handles of the process, bounded, least recently used closed first
//	checkpointer.go the background checkpoints of the handles the pool evicted for room
//	closer.go       the closes of retired handles, counted by file for forget and branch delete to wait for
//	handle.go      handle: one open tenant (a writer, readers, group limits, its key)
//	owner.go       Owner: who may open a tenant file (cluster mode acquires it first)
//	coordinate.go  Coordinator: a data-dependent change prepared by one process on tenants spread
//	               over several (cluster mode); plan probes; fixed change ids
//	crypto.go      tenant encryption keys: derivation and the cache of derived keys
//	registry.go    registry: a branch's tenants (registry.db) and groups
//
// Files:
//
//	staging.go     databases and branches built in staging folders and published complete
//	spares.go      ready-made new tenant files a lazy tenant's first write renames into place
//	files.go       atomic writes, JSON files, tenant file helpers, archive compression
//	layout.go      every path of a project (SPEC §2), built in one place
//	gen_unix.go    the generation counter shared by processes (gen_other.go without mmap)
//	errors.go      the not-found and disk-full errors
//
// docs/design.md explains the choices: the on-disk layout, the rollout
// protocol and its journal, the handle pool, encryption and the fleet.
package local
