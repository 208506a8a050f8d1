package local

import (
	"context"
	"fmt"
	"os"
	"sort"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/schema"
	"github.com/cinchdb/cinch/sqlite"
)

// Catalog answers which names exist in a project (databases, branches,
// tenants, groups, and the tables, columns, views and indexes of a
// branch's schema) for shell completion and other tools that must leave the
// project exactly as it was. Unlike the services of a DB it takes no lock,
// creates no file and loads no branch state, so it never finishes an
// interrupted rollout nor sweeps leftovers, as loading a branch does. A
// branch's registry is opened read-only, and immutable (no -wal or -shm
// file created) when no process has it open. Answers may lag a concurrent
// writer by a moment; a tool that acts on a name goes through the engine.
type Catalog struct{ p *Project }

// Databases returns the names of the project's databases, sorted.
func (c Catalog) Databases() ([]string, error) {
	return dirNames(databasesDir(c.p.root), cinch.ValidateDatabaseName)
}

// Branches returns the names of a database's branches, sorted.
func (c Catalog) Branches(database string) ([]string, error) {
	if err := cinch.ValidateDatabaseName(database); err != nil {
		return nil, err
	}
	if !exists(c.p.dbDir(database)) {
		return nil, notFoundDatabase(database)
	}
	return dirNames(branchesDir(c.p.dbDir(database)), cinch.ValidateBranchName)
}

// Tenants returns the names of a branch's tenants (archived ones too),
// sorted.
func (c Catalog) Tenants(ctx context.Context, database, branch string) ([]string, error) {
	return c.registryNames(ctx, database, branch, "tenants")
}

// Groups returns the names of a branch's tenant groups, sorted.
func (c Catalog) Groups(ctx context.Context, database, branch string) ([]string, error) {
	return c.registryNames(ctx, database, branch, "groups")
}

// Schema returns the model of a branch's schema, replayed from its change
// history: its TableNames, ViewNames, IndexNames, and each table's Columns.
func (c Catalog) Schema(database, branch string) (*schema.Schema, error) {
	dir, err := c.branchDir(database, branch)
	if err != nil {
		return nil, err
	}
	var changes []cinch.Change
	if err := readJSON(changesFile(dir), &changes); err != nil {
		return nil, err
	}
	model := schema.NewSchema()
	for i, ch := range changes {
		if err := model.Apply(ch); err != nil {
			return nil, fmt.Errorf("%w: %s: change %d does not replay: %v", cinch.ErrSchemaDrift, changesFile(dir), i+1, err)
		}
	}
	return model, nil
}

// branchDir checks the names and returns the folder of an existing branch.
func (c Catalog) branchDir(database, branch string) (string, error) {
	if err := cinch.ValidateDatabaseName(database); err != nil {
		return "", err
	}
	if err := cinch.ValidateBranchName(branch); err != nil {
		return "", err
	}
	dir := c.p.branchDir(database, branch)
	if !exists(dir) {
		if !exists(c.p.dbDir(database)) {
			return "", notFoundDatabase(database)
		}
		return "", notFoundBranch(branch)
	}
	return dir, nil
}

// registryNames reads the name column of a table of a branch's registry
// (tenants or groups) without writing to the registry or beside it.
func (c Catalog) registryNames(ctx context.Context, database, branch, table string) ([]string, error) {
	dir, err := c.branchDir(database, branch)
	if err != nil {
		return nil, err
	}
	path := registryFile(dir)
	// Without a -wal file every committed transaction is in the main file
	// and no process has it open, so it can be read as immutable: no lock,
	// no -wal or -shm created. With one, a reader of the live file must go
	// through the WAL, whose files already exist.
	opts := sqlite.Options{ReadOnly: true, Immutable: !exists(path + "-wal"), BusyTimeout: c.p.cfg.BusyTimeout}
	conn, err := sqlite.Open(ctx, path, opts)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	names := []string{}
	// Registries made before groups existed have no groups table.
	if conn.ObjectSQL(table) == "" {
		return names, nil
	}
	res, err := conn.Query(ctx, cinch.QueryOptions{}, "SELECT name FROM "+table+" ORDER BY name")
	if err != nil {
		return nil, err
	}
	for _, row := range res.Rows {
		if s, ok := row[0].(string); ok {
			names = append(names, s)
		}
	}
	return names, nil
}

// dirNames returns the names of the folders in dir that valid accepts,
// sorted; none when dir does not exist.
func dirNames(dir string, valid func(string) error) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	names := []string{}
	for _, e := range entries {
		if e.IsDir() && valid(e.Name()) == nil {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}
