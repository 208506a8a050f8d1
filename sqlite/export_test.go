package sqlite

import "github.com/ncruces/go-sqlite3"

// RawConn is c's driver connection, for tests that look at SQLite directly.
// Only tests have it: outside this package nothing reaches the driver.
func RawConn(c *Conn) *sqlite3.Conn { return c.raw }

// KVSetSQL is the statement KVSet runs, for the test that a user query of
// the same text is still refused.
const KVSetSQL = kvSetSQL
