package local

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
)

// The layout of a project on disk (SPEC §2, docs/design.md "On disk").
// Every path the engine uses is built by a function of this file, from
// the folder that holds it:
//
//	<dir>/.cinchdb/                             stateDir(dir)
//	├── config.toml                             configFile(root)
//	├── generation                              generationFile(root)
//	├── .lock                                   projectLockFile(root)
//	├── keys.db                                 (package apikey)
//	└── databases/                              databasesDir(root)
//	    └── <db>/                               databaseDir(root, db)
//	        └── branches/                       branchesDir(dbDir)
//	            └── <branch>/                   branchDir(dbDir, branch)
//	                ├── metadata.json           metadataFile(dir)
//	                ├── changes.json            changesFile(dir)
//	                ├── registry.db             registryFile(dir)
//	                ├── journal.json            journalFile(dir)
//	                ├── .lock                   branchLockFile(dir)
//	                ├── tenants/<tenant>.db     tenantsDir(dir), tenantFile(dir, tenant)
//	                ├── archive/<tenant>.db.zst archiveDir(dir), archiveFile(dir, tenant)
//	                └── spares/                 sparesDir(dir): ready-made new tenant files (spares.go)
//
// Beside them, while an operation is in flight, live the temporary names
// the sweep (branch.sweep) recognizes and removes when a killed process
// left them: tempFile, rotateFile, the hidden files of writeFileAtomic
// (atomicTempPattern) and, in databases/ and branches/, the staging and
// trash folders with their lock (stagingPattern, trashDir,
// stagingLockFile; see staging.go).
const (
	// ProjectDirName is the folder that marks a project.
	ProjectDirName = ".cinchdb"

	configName      = "config.toml"
	generationName  = "generation"
	generationSize  = 16      // two counters (gen_unix.go)
	lockName        = ".lock" // the project lock and each branch lock
	databasesName   = "databases"
	branchesName    = "branches"
	metadataName    = "metadata.json"
	changesName     = "changes.json"
	registryName    = "registry.db"
	journalName     = "journal.json"
	tenantsName     = "tenants"
	archiveName     = "archive"
	sparesName      = "spares"
	tenantExt       = ".db"
	archiveExt      = ".db.zst"
	stagingLockName = ".staging.lock"
	tempExt         = ".tmp"
	rotateExt       = ".rotate"
)

// stateDir is the project's state folder in dir: the root of the others.
func stateDir(dir string) string { return filepath.Join(dir, ProjectDirName) }

func configFile(root string) string      { return filepath.Join(root, configName) }
func generationFile(root string) string  { return filepath.Join(root, generationName) }
func projectLockFile(root string) string { return filepath.Join(root, lockName) }
func databasesDir(root string) string    { return filepath.Join(root, databasesName) }

func databaseDir(root, database string) string { return filepath.Join(databasesDir(root), database) }
func branchesDir(dbDir string) string          { return filepath.Join(dbDir, branchesName) }
func branchDir(dbDir, branch string) string    { return filepath.Join(branchesDir(dbDir), branch) }

// Inside a branch folder.

func metadataFile(dir string) string   { return filepath.Join(dir, metadataName) }
func changesFile(dir string) string    { return filepath.Join(dir, changesName) }
func registryFile(dir string) string   { return filepath.Join(dir, registryName) }
func journalFile(dir string) string    { return filepath.Join(dir, journalName) }
func branchLockFile(dir string) string { return filepath.Join(dir, lockName) }
func tenantsDir(dir string) string     { return filepath.Join(dir, tenantsName) }
func archiveDir(dir string) string     { return filepath.Join(dir, archiveName) }

// sparesDir holds a branch's spare tenant files, beside tenants/ rather
// than in it: making a spare creates and fsyncs files, which holds its
// folder's lock, and every first write looks names up in tenants/
// (docs/benchmarks.md). A spare is renamed into tenants/ when used.
func sparesDir(dir string) string { return filepath.Join(dir, sparesName) }

// tenantFileName is the name of a tenant's file in tenants/.
func tenantFileName(tenant string) string { return tenant + tenantExt }

func tenantFile(dir, tenant string) string {
	return filepath.Join(tenantsDir(dir), tenantFileName(tenant))
}

// archiveFile is an archived tenant: a zstd stream of its database file.
func archiveFile(dir, tenant string) string {
	return filepath.Join(archiveDir(dir), tenant+archiveExt)
}

// Names beside a file.

// tempFile is where a file is built before it is renamed to path.
func tempFile(path string) string { return path + tempExt }

// seedName is the file name (under tenants/, as a temporary file) of a
// branch's new-tenant seed while it is made: no tenant can have it (names
// starting with "__" are refused).
const seedName = "__seed"

// spareFile is a new name for a spare tenant file (spares.go) in the
// spares folder dir: a temporary file, unique across processes.
func spareFile(dir string) string {
	return filepath.Join(dir, fmt.Sprintf("__spare.%d.%d%s", os.Getpid(), spareSeq.Add(1), tempExt))
}

// spareSeq numbers this process's spare files.
var spareSeq atomic.Uint64

// rotateFile is a tenant file re-encrypted under a new key, until the
// rotation renames it to path.
func rotateFile(path string) string { return path + rotateExt }

// walFile and shmFile are SQLite's companions of a database file.
func walFile(path string) string { return path + "-wal" }
func shmFile(path string) string { return path + "-shm" }

// atomicTempPattern is the os.CreateTemp pattern of writeFileAtomic's
// temporary file for path (in path's folder).
func atomicTempPattern(path string) string { return "." + filepath.Base(path) + ".*" + tempExt }

// isAtomicTemp reports whether a branch folder entry is a temporary file
// of writeFileAtomic.
func isAtomicTemp(name string) bool {
	return strings.HasPrefix(name, ".") && strings.HasSuffix(name, tempExt)
}

// isTempName reports whether an entry of tenants/ or archive/ is a
// temporary file (tempFile, rotateFile, and SQLite's companions of them).
func isTempName(name string) bool {
	return strings.Contains(name, tempExt) || strings.Contains(name, rotateExt)
}

// Staging (see staging.go).

// stagingLockFile is the lock of the staging and trash folders of parent.
func stagingLockFile(parent string) string { return filepath.Join(parent, stagingLockName) }

// stagingPattern is the os.MkdirTemp pattern of a folder being built for
// name: ".NAME.creating.<random>".
func stagingPattern(name string) string { return "." + name + ".creating." }

// trashDir is the folder final is renamed to while it is deleted:
// ".NAME.deleting.<random>" beside it.
func trashDir(final, random string) string {
	parent, name := filepath.Split(final)
	return filepath.Join(parent, "."+name+".deleting."+random)
}

// isStaging reports whether a folder entry is a staging or trash folder.
func isStaging(name string) bool {
	return strings.HasPrefix(name, ".") && (strings.Contains(name, ".creating") || strings.Contains(name, ".deleting"))
}
