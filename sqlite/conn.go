// Package sqlite is cinch's adapter for SQLite (github.com/ncruces/go-sqlite3):
// opening tenant files with the right pragmas, the query guard, running
// statements into cinch.Result, applying planned changes (package schema)
// transactionally, and consistent copies via the backup API.
package sqlite

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/ncruces/go-sqlite3"
	_ "github.com/ncruces/go-sqlite3/vfs/adiantum" // registers the "adiantum" VFS (encryption at rest)
)

// Defaults for Options.
const (
	DefaultBusyTimeout = 10 * time.Second
	DefaultStmtCache   = 32
)

// Options tune how a connection is opened.
type Options struct {
	BusyTimeout time.Duration // how long to wait for another writer; DefaultBusyTimeout if zero
	ReadOnly    bool          // open the file read-only
	Immutable   bool          // with ReadOnly: no locks, no -wal or -shm created (immutable=1); only for a file no one writes meanwhile
	Memory      bool          // path is ignored: a private in-memory database (the schema template)
	StmtCache   int           // prepared statements kept per connection; DefaultStmtCache if zero
	// Exclusive opens the file in EXCLUSIVE locking mode, for a connection
	// that only migrates the file and closes (a rollout's): its WAL index
	// is kept in memory, so no -shm file is created, mapped and locked.
	// It holds the file's EXCLUSIVE lock from its first access to its
	// close: opening fails with ErrBusy when another connection has the
	// file open (the caller then opens it normally).
	Exclusive bool
	// NoCreate fails the open when the file does not exist, instead of
	// creating an empty database there.
	NoCreate bool
	// Key, when set, opens the file encrypted at rest with the adiantum
	// VFS under this 32-byte key. It is given by PRAGMA hexkey right after
	// open, never in the URI, so it does not show in filenames.
	Key []byte
}

// Conn is one SQLite connection with the guard installed and a small cache
// of prepared statements. A Conn is used by one goroutine at a time.
type Conn struct {
	raw   *sqlite3.Conn
	guard Guard
	inTx  bool // inside Update: Query leaves the transaction alone
	stmts map[string]*sqlite3.Stmt
	kv    map[string]*sqlite3.Stmt    // the KV store's own statements (kv.go), apart from user ones
	meta  map[*sqlite3.Stmt]*stmtMeta // column metadata of cached statements
	order []string                    // insertion order, for eviction
	limit int
	path  string

	broken bool // Do closed it after a driver panic
	// unchecked: cached statements SQLite does not re-check against the
	// schema, with the schema version they were compiled from (fresh.go).
	unchecked map[string]int64
}

// Open opens (creating if needed) the SQLite file at path in WAL mode with
// a busy timeout, foreign keys on and synchronous=NORMAL (durable in WAL
// mode except for the last transactions on power loss; see docs/design.md).
func Open(ctx context.Context, path string, opts Options) (*Conn, error) {
	if capturing() {
		opts.Exclusive = false // a cluster node's files: keep to the locking its replication expects
	}
	raw, err := open(path, opts)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	c := &Conn{raw: raw, stmts: map[string]*sqlite3.Stmt{}, meta: map[*sqlite3.Stmt]*stmtMeta{}, limit: opts.StmtCache, path: path}
	if c.limit == 0 {
		c.limit = DefaultStmtCache
	}
	if err := configure(raw, &c.guard, opts); err != nil {
		raw.Close()
		return nil, openError(path, err)
	}
	return c, nil
}

// open opens a driver connection on the file at path, named by fileName,
// or with opts.Memory on a private in-memory database (the template).
func open(path string, opts Options) (*sqlite3.Conn, error) {
	if opts.Memory {
		// Not OPEN_MEMORY: with it, VACUUM INTO would write to the in-memory VFS.
		return sqlite3.OpenFlags(":memory:", sqlite3.OPEN_READWRITE|sqlite3.OPEN_CREATE)
	}
	flags := sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE | sqlite3.OPEN_URI | sqlite3.OPEN_NOFOLLOW
	if opts.NoCreate {
		flags &^= sqlite3.OPEN_CREATE
	}
	var query []string
	if opts.ReadOnly {
		flags = sqlite3.OPEN_READONLY | sqlite3.OPEN_URI | sqlite3.OPEN_NOFOLLOW
		if opts.Immutable {
			query = append(query, "immutable=1")
		}
	}
	return sqlite3.OpenFlags(fileName(path, len(opts.Key) > 0, query...), flags)
}

// fileName is the URI by which every file of this package is opened: by
// open (the connections of Open), by the driver itself (the connections of
// OpenDB, a backup's destination) and by SQLite (VacuumInto's target). It is
// the single place a tenant file's VFS is chosen (adiantum when encrypted,
// else the default), so the one place a VFS wrapper (replication) would go.
// query holds further URI parameters ("mode=rw"), kept in order.
func fileName(path string, encrypted bool, query ...string) string {
	if encrypted {
		query = append([]string{"vfs=adiantum"}, query...)
	} else if capturing() {
		query = append([]string{"vfs=" + CaptureVFS}, query...)
	}
	if len(query) == 0 {
		return FileURI(path)
	}
	return FileURI(path) + "?" + strings.Join(query, "&")
}

// openError describes a failure to configure a new connection.
func openError(path string, err error) error {
	if errors.Is(err, cinch.ErrEncryptionKey) {
		return err
	}
	return fmt.Errorf("open %s: %w", path, translateAt(err, path))
}

// configure sets up a new connection the way every tenant connection is:
// busy timeout, encryption key, pragmas, and the guard g as authorizer.
func configure(raw *sqlite3.Conn, g *Guard, opts Options) error {
	bt := opts.BusyTimeout
	if bt == 0 {
		bt = DefaultBusyTimeout
	}
	if opts.Exclusive {
		bt = time.Millisecond // never wait for another connection: the caller opens normally instead
	}
	// busy_timeout first, so the pragmas below wait for other processes.
	if err := raw.BusyTimeout(bt); err != nil {
		return err
	}
	if len(opts.Key) > 0 {
		if len(opts.Key) != 32 {
			return fmt.Errorf("%w: encryption key must be 32 bytes", cinch.ErrInternal)
		}
		if err := raw.Exec(fmt.Sprintf("PRAGMA hexkey='%x'", opts.Key)); err != nil {
			return err
		}
		// Touch the schema: a wrong key reads garbage, which SQLite reports
		// as "file is not a database" here, before anything else runs.
		if err := raw.Exec("SELECT count(*) FROM sqlite_schema"); err != nil {
			if errors.Is(err, sqlite3.NOTADB) {
				return &cinch.Error{Err: cinch.ErrEncryptionKey, Message: "wrong encryption key, or the file is not encrypted with one",
					Hint: "give the tenant's key"}
			}
			return err
		}
	}
	pragmas := "PRAGMA foreign_keys=ON; PRAGMA trusted_schema=OFF; PRAGMA temp_store=MEMORY;"
	if opts.Exclusive && !opts.ReadOnly && !opts.Memory {
		// Before the first access: then SQLite never uses shared memory.
		pragmas = "PRAGMA locking_mode=EXCLUSIVE; " + pragmas
	}
	if opts.Memory {
		// The template: VACUUM INTO from it would otherwise fsync the new
		// file 4 times; Publish fsyncs it once before it becomes visible.
		pragmas += "PRAGMA synchronous=OFF;"
	}
	if !opts.Memory && !opts.ReadOnly {
		pragmas += "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
	}
	if err := raw.Exec(pragmas); err != nil {
		return err
	}
	// load_extension is not compiled into the driver. A stand-in that
	// always fails makes "SELECT load_extension(...)" reach the authorizer,
	// which refuses it with the guard's message instead of "no such function".
	if err := raw.CreateFunction("load_extension", -1, sqlite3.DIRECTONLY, func(ctx sqlite3.Context, _ ...sqlite3.Value) {
		ctx.ResultError(errors.New("load_extension is not allowed"))
	}); err != nil {
		return err
	}
	return raw.SetAuthorizer(g.Authorize)
}

// Path is the file this connection was opened on.
func (c *Conn) Path() string { return c.path }

// Close finalizes cached statements and closes the connection.
func (c *Conn) Close() error {
	if c == nil || c.raw == nil {
		return nil
	}
	for _, s := range c.stmts {
		s.Close()
	}
	for _, s := range c.kv {
		s.Close()
	}
	c.stmts, c.kv = nil, nil
	err := c.raw.Close()
	c.raw = nil
	return err
}

// SkipCheckpointOnClose makes Close leave the WAL as it is, even when c is
// the file's last connection (SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE): the
// caller checkpoints it later, or the next connection does.
func (c *Conn) SkipCheckpointOnClose() error {
	if c == nil || c.raw == nil {
		return nil
	}
	_, err := c.raw.Config(sqlite3.DBCONFIG_NO_CKPT_ON_CLOSE, true)
	return err
}

// System runs fn with the guard stepped aside, for cinch's own schema work.
func (c *Conn) System(fn func() error) error {
	if c.raw == nil {
		return errClosed()
	}
	c.raw.SetAuthorizer(nil)
	defer func() {
		c.raw.SetAuthorizer(c.guard.Authorize)
	}()
	return fn()
}

// Exec runs trusted SQL (cinch's own), without the guard.
func (c *Conn) Exec(sql string) error {
	err := c.System(func() error { return c.raw.Exec(sql) })
	if err != nil && errors.Is(err, sqlite3.IOERR) {
		if ce := takeCaptureError(c.path); ce != nil {
			return ce
		}
	}
	return err
}

// SetMaxBytes caps the database file at about n bytes (PRAGMA
// max_page_count); a write past it fails with ErrLimitExceeded and is rolled
// back. 0 removes the cap.
func (c *Conn) SetMaxBytes(n int64) error {
	pageSize, err := c.scalarInt("PRAGMA page_size")
	if err != nil {
		return err
	}
	pages := int64(4294967294) // SQLite's maximum
	if n > 0 {
		pages = max(n/pageSize, 1)
	}
	return c.Exec(fmt.Sprintf("PRAGMA max_page_count=%d", pages))
}

// Checkpoint moves the whole WAL into the database file and truncates it.
func (c *Conn) Checkpoint() error {
	_, _, err := c.raw.WALCheckpoint("main", sqlite3.CHECKPOINT_TRUNCATE)
	return c.translate(err)
}

// CheckpointPassive copies what it can of the WAL into the database file
// without waiting for readers, and reports whether that was every frame
// (the file then holds every commit, though the WAL is not reset).
func (c *Conn) CheckpointPassive() (complete bool, err error) {
	nLog, nCkpt, err := c.raw.WALCheckpoint("main", sqlite3.CHECKPOINT_PASSIVE)
	if err != nil {
		return false, c.translate(err)
	}
	return nLog == nCkpt || nLog < 0, nil
}

// LastInsertRowID is the rowid of the last row inserted on this connection.
func (c *Conn) LastInsertRowID() int64 { return c.raw.LastInsertRowID() }

// UserVersion reads PRAGMA user_version: the number of changes applied.
func (c *Conn) UserVersion() (int, error) {
	s, _, err := c.raw.Prepare("PRAGMA user_version")
	if err != nil {
		return 0, err
	}
	defer s.Close()
	if !s.Step() {
		return 0, s.Err()
	}
	return s.ColumnInt(0), nil
}

// prepare returns a cached or newly prepared, guarded statement for user SQL.
func (c *Conn) prepare(sql string) (*sqlite3.Stmt, error) {
	if s, ok := c.stmts[sql]; ok && c.current(sql, s) {
		return s, nil
	}
	if c.raw == nil {
		return nil, errClosed()
	}
	if err := CheckSQL(sql); err != nil {
		return nil, err
	}
	c.guard.Denied = ""
	s, tail, err := c.prepareCurrent(sql)
	if err != nil {
		return nil, c.userError(err)
	}
	if s == nil {
		return nil, cinch.Errorf(cinch.ErrInvalidInput, "empty query").WithHint("give one SQL statement")
	}
	if strings.TrimSpace(tail) != "" {
		// Ask SQLite whether the tail holds a statement (it may be only comments).
		s2, _, err2 := c.raw.Prepare(tail)
		if s2 != nil || err2 != nil {
			s.Close()
			if s2 != nil {
				s2.Close()
			}
			return nil, cinch.Errorf(cinch.ErrQueryRejected, "more than one statement in a query").WithHint("run one statement at a time")
		}
	}
	if len(c.order) >= c.limit {
		old := c.order[0]
		c.order = c.order[1:]
		if os, ok := c.stmts[old]; ok {
			delete(c.meta, os)
			os.Close()
			delete(c.stmts, old)
		}
	}
	c.stmts[sql] = s
	c.order = append(c.order, sql)
	return s, nil
}

// CheckSQL refuses SQL that SQLite would read only in part. The driver
// hands SQLite the text as a C string, so whatever follows a NUL byte is
// never parsed: "DELETE FROM t\x00 WHERE id = 1" would delete every row.
func CheckSQL(sql string) error {
	if i := strings.IndexByte(sql, 0); i >= 0 {
		return cinch.Errorf(cinch.ErrInvalidInput, "the SQL contains a NUL byte (at byte %d), and SQLite would ignore everything after it", i).
			WithHint("remove the NUL byte from the SQL; pass binary data as a parameter")
	}
	return nil
}

// IsReadOnly reports whether sql only reads, preparing (and caching) it
// under the guard; it is how a tenant handle picks reader or writer.
func (c *Conn) IsReadOnly(sql string) (bool, error) {
	s, err := c.prepare(sql)
	if err != nil {
		return false, err
	}
	return s.ReadOnly(), nil
}

// userError turns a driver error for user SQL into the cinch vocabulary.
func (c *Conn) userError(err error) error {
	if err == nil {
		return nil
	}
	if c.guard.Denied != "" {
		why := c.guard.Denied
		c.guard.Denied = ""
		return rejected(why)
	}
	return c.translate(err)
}

// rejected is the error for a statement the guard refused, and why.
func rejected(why string) *cinch.Error {
	return &cinch.Error{Err: cinch.ErrQueryRejected, Message: "query rejected: " + why}
}

// FileURI turns a filesystem path into a file: URI, escaping the
// characters that URIs give meaning to.
func FileURI(p string) string {
	r := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
	return "file:" + r.Replace(p)
}

// Begin starts an IMMEDIATE transaction (takes the write lock now, so the
// busy timeout applies here and never mid-transaction).
func (c *Conn) Begin() error { return c.Exec("BEGIN IMMEDIATE") }

// Commit commits.
func (c *Conn) Commit() error { return c.Exec("COMMIT") }

// Rollback rolls back if a transaction is open.
func (c *Conn) Rollback() {
	if !c.raw.GetAutocommit() {
		c.Exec("ROLLBACK")
	}
}

// Update runs fn in an IMMEDIATE transaction, committing when fn returns nil.
func (c *Conn) Update(ctx context.Context, fn func() error) (err error) {
	old := c.raw.SetInterrupt(ctx)
	defer c.raw.SetInterrupt(old)
	if err := c.Begin(); err != nil {
		return c.translate(err)
	}
	c.inTx = true
	defer func() {
		c.inTx = false
		if err != nil {
			c.Rollback()
		}
	}()
	if err = fn(); err != nil {
		return c.translate(err)
	}
	if err = c.Commit(); err != nil {
		return c.translate(err)
	}
	return nil
}
