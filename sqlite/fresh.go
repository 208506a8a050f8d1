package sqlite

import (
	"slices"

	"github.com/ncruces/go-sqlite3"
)

// Pooled connections and schema changes.
//
// A tenant's connections stay open across schema changes made on other
// connections (its writer, another process). SQLite keeps a copy of the
// schema per connection and notices a change only when a statement starts
// a transaction and sees the file's schema cookie moved: then the statement
// is re-prepared against the new schema, transparently. That covers
// SELECT, INSERT, UPDATE, DELETE, ANALYZE, VACUUM, REINDEX once prepared,
// and cached statements of those kinds. It does not cover:
//
//   - names resolved at prepare time without that check: "REINDEX idx" of
//     an index created since the connection last read the schema fails to
//     prepare with "unable to identify the object to be reindexed" (SQLite
//     re-checks the schema after a failed prepare only for missing tables);
//   - statements compiled from the schema that never check it when run:
//     EXPLAIN and EXPLAIN QUERY PLAN (a stale plan, even one naming a
//     dropped index), and pragmas about an object the stale schema lacks
//     ("PRAGMA index_info(idx)" answers no rows).
//
// So a prepare that fails is retried once if the connection's schema was
// stale, a statement of the second kind is compiled against the current
// schema, and, cached, re-prepared when the file's schema version differs
// from the one it was compiled from. Statements SQLite re-checks by itself
// cost nothing extra, on a cache hit or a miss.

// refreshSchema brings the connection's copy of the schema up to date and
// reports whether it was stale. It steps a fresh statement that reads
// sqlite_schema: compiled against the copy, it is re-prepared by SQLite,
// which reloads the schema, exactly when the file's schema cookie moved.
func (c *Conn) refreshSchema() bool {
	s, _, err := c.raw.Prepare("SELECT 1 FROM sqlite_schema LIMIT 1")
	if err != nil || s == nil {
		return false
	}
	defer s.Close()
	s.Step()
	return s.Status(sqlite3.STMTSTATUS_REPREPARE, false) > 0
}

// prepareCurrent prepares user SQL so that it is correct for the current
// schema and, for a statement SQLite will not re-check, remembers the
// schema version it was compiled from. Ordinary statements cost nothing
// extra: SQLite re-checks them when they run.
func (c *Conn) prepareCurrent(sql string) (*sqlite3.Stmt, string, error) {
	c.guard.Pragma = false
	s, tail, err := c.raw.Prepare(sql)
	if err != nil {
		// A name the stale copy lacks (REINDEX idx): try once more
		// against the current schema, if it was stale.
		if c.guard.Denied != "" || !c.refreshSchema() {
			return s, tail, err
		}
		c.guard.Pragma = false
		s, tail, err = c.raw.Prepare(sql)
		if err != nil {
			return s, tail, err
		}
	}
	for q := range c.unchecked { // forget evicted statements
		if _, ok := c.stmts[q]; !ok {
			delete(c.unchecked, q)
		}
	}
	if s == nil || !(c.guard.Pragma || isExplain(s)) {
		return s, tail, nil
	}
	// Read the version before refreshing: a change in between only costs
	// one more re-prepare on the next use.
	version, verr := c.schemaVersion()
	if c.refreshSchema() {
		s.Close()
		c.guard.Pragma = false
		if s, tail, err = c.raw.Prepare(sql); err != nil {
			return s, tail, err
		}
	}
	if verr == nil {
		if c.unchecked == nil {
			c.unchecked = map[string]int64{}
		}
		c.unchecked[sql] = version
	}
	return s, tail, nil
}

// current reports whether a cached statement may be used as it is. One
// that SQLite does not re-check (a pragma, EXPLAIN) is dropped from the
// cache when the schema moved since it was compiled, so it is prepared
// anew.
func (c *Conn) current(sql string, s *sqlite3.Stmt) bool {
	version, unchecked := c.unchecked[sql]
	if !unchecked {
		return true
	}
	if now, err := c.schemaVersion(); err == nil && now == version {
		return true
	}
	delete(c.stmts, sql)
	delete(c.meta, s)
	delete(c.unchecked, sql)
	c.order = slices.DeleteFunc(c.order, func(q string) bool { return q == sql })
	s.Close()
	return false
}

// schemaVersion reads the file's schema cookie (PRAGMA schema_version),
// which every schema change moves.
func (c *Conn) schemaVersion() (int64, error) {
	return c.scalarInt("PRAGMA schema_version")
}

// isExplain reports whether s is an EXPLAIN or EXPLAIN QUERY PLAN, by the
// columns SQLite gives them (sqlite3_stmt_isexplain is not exported by the
// driver). A SELECT that happens to name its columns the same way is only
// checked more often than it needs to be.
func isExplain(s *sqlite3.Stmt) bool {
	names := make([]string, s.ColumnCount())
	for i := range names {
		names[i] = s.ColumnName(i)
	}
	return slices.Equal(names, []string{"addr", "opcode", "p1", "p2", "p3", "p4", "p5", "comment"}) ||
		slices.Equal(names, []string{"id", "parent", "notused", "detail"})
}
