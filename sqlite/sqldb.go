package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime/debug"

	"github.com/cinchdb/cinch"
	"github.com/ncruces/go-sqlite3"
	sqlitedriver "github.com/ncruces/go-sqlite3/driver"
)

// OpenDB returns a database/sql handle on the SQLite file at path, for
// sqlc, sqlx and GORM users. Its connections are opened the way Open opens
// one (same VFS and key, pragmas, busy timeout, load_extension stand-in)
// and carry the guard, and the driver (github.com/ncruces/go-sqlite3/driver)
// is wrapped so that:
//
//   - a refused statement fails with the same error DB.Query gives (it
//     wraps cinch.ErrQueryRejected, and still sqlite3.AUTH);
//   - SQL with a NUL byte is refused (CheckSQL);
//   - read-only transactions (sql.TxOptions{ReadOnly: true}) work, and a
//     write inside one fails with cinch.ErrReadOnly;
//   - a statement that fails never leaves the connection inside a
//     transaction it opened itself ("BEGIN; CREATE TABLE ..."), and a
//     connection left inside one by a bare BEGIN outside a *sql.Tx or
//     *sql.Conn is rolled back before database/sql hands it out again;
//   - a driver panic is an error wrapping cinch.ErrInvalidInput (as with
//     Conn.Do), and database/sql then discards the connection.
//
// The file must exist (it is opened with mode=rw, never created). Other
// driver errors are returned as the driver gives them. VACUUM is refused
// here (see Guard.Stepping). Close the *sql.DB when done.
func OpenDB(path string, opts Options) (*sql.DB, error) {
	if opts.Memory {
		return nil, fmt.Errorf("%w: OpenDB opens files, not in-memory databases", cinch.ErrInternal)
	}
	mode := "mode=rw"
	if opts.ReadOnly {
		mode = "mode=ro"
	}
	name := fileName(path, len(opts.Key) > 0, mode, "_txlock=immediate")
	inner, err := (&sqlitedriver.SQLite{}).OpenConnector(name)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return sql.OpenDB(&connector{inner: inner, path: path, opts: opts}), nil
}

type connector struct {
	inner driver.Connector
	path  string
	opts  Options
}

func (n *connector) Driver() driver.Driver { return n.inner.Driver() }

func (n *connector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := n.inner.Connect(ctx)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", n.path, err)
	}
	inner, ok := dc.(sqlitedriver.Conn)
	if !ok {
		dc.Close()
		return nil, fmt.Errorf("%w: unexpected driver connection %T", cinch.ErrInternal, dc)
	}
	c := &dbConn{inner: inner, raw: inner.Raw()}
	if err := configure(c.raw, &c.guard, n.opts); err != nil {
		dc.Close()
		return nil, openError(n.path, err)
	}
	return c, nil
}

// dbConn is one connection of an OpenDB handle.
type dbConn struct {
	inner    sqlitedriver.Conn
	raw      *sqlite3.Conn
	guard    Guard
	readOnly bool  // inside a read-only transaction
	failed   error // the driver panicked: every use returns this
}

var (
	_ driver.Conn               = (*dbConn)(nil)
	_ driver.ConnBeginTx        = (*dbConn)(nil)
	_ driver.ConnPrepareContext = (*dbConn)(nil)
	_ driver.ExecerContext      = (*dbConn)(nil)
	_ driver.NamedValueChecker  = (*dbConn)(nil)
	_ driver.SessionResetter    = (*dbConn)(nil)
	_ driver.Validator          = (*dbConn)(nil)
)

// do runs fn, turning a driver panic into c.failed (see Conn.Do). The
// connection is not closed here: database/sql closes it when it comes
// back, since IsValid then reports false.
func (c *dbConn) do(fn func() error) (err error) {
	if c.failed != nil {
		return c.failed
	}
	defer func() {
		if r := recover(); r != nil {
			c.failed = panicError(&DriverPanic{Value: r, Stack: debug.Stack()})
			err = c.failed
		}
	}()
	c.guard.Denied = ""
	return fn()
}

// error turns a driver error into the one DB.Query gives, where cinch has
// one: a guard refusal, a write in a read-only transaction. The driver's
// error stays in the chain, for errors.Is and errors.As on its codes.
func (c *dbConn) error(err error) error {
	if err == nil || err == driver.ErrSkip || err == io.EOF || err == c.failed {
		return err
	}
	if why := c.guard.Denied; why != "" {
		c.guard.Denied = ""
		return &driverError{err: rejected(why), cause: err}
	}
	if c.readOnly && errors.Is(err, sqlite3.READONLY) {
		return &driverError{cause: err, err: &cinch.Error{Err: cinch.ErrReadOnly,
			Message: "query rejected: this transaction is read-only (sql.TxOptions{ReadOnly: true}), and the statement writes"}}
	}
	return err
}

// driverError is a cinch error with the driver's error behind it.
type driverError struct {
	err   *cinch.Error
	cause error
}

func (e *driverError) Error() string   { return e.err.Error() }
func (e *driverError) Unwrap() []error { return []error{e.err, e.cause} }

// quietly runs a cleanup that may panic on a connection a panic broke.
func quietly(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: closing after a driver failure: %v", cinch.ErrInternal, r)
		}
	}()
	return fn()
}

// rollbackOpened rolls back a transaction that a failed statement opened:
// it began in autocommit mode and the connection is no longer in it.
func (c *dbConn) rollbackOpened(wasAuto bool) {
	if wasAuto && c.failed == nil && !c.raw.GetAutocommit() {
		c.endTx(false)
	}
}

// endTx commits or rolls back through the driver, which also switches
// query_only off after a read-only transaction.
func (c *dbConn) endTx(commit bool) error {
	tx := c.inner.(driver.Tx)
	c.guard.driverTx = true
	defer func() { c.guard.driverTx = false }()
	c.readOnly = false
	if commit {
		return tx.Commit()
	}
	return tx.Rollback()
}

func (c *dbConn) Close() error {
	return quietly(c.inner.Close)
}

func (c *dbConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *dbConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	err := c.do(func() error {
		wasAuto := c.raw.GetAutocommit()
		c.guard.driverTx = true
		_, err := c.inner.BeginTx(ctx, opts)
		c.guard.driverTx = false
		if err != nil {
			// BEGIN may have run before what failed (query_only, an
			// interrupt): never hand the connection back inside it.
			c.rollbackOpened(wasAuto)
		}
		return err
	})
	if err != nil {
		return nil, c.error(err)
	}
	c.readOnly = opts.ReadOnly
	return dbTx{c}, nil
}

// dbTx ends a transaction begun by BeginTx.
type dbTx struct{ c *dbConn }

func (t dbTx) Commit() error {
	return t.c.error(t.c.do(func() error { return t.c.endTx(true) }))
}

func (t dbTx) Rollback() error {
	return t.c.error(t.c.do(func() error { return t.c.endTx(false) }))
}

func (c *dbConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *dbConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if err := CheckSQL(query); err != nil {
		return nil, err
	}
	var s driver.Stmt
	err := c.do(func() error {
		var err error
		s, err = c.inner.PrepareContext(ctx, query)
		return err
	})
	if err != nil {
		return nil, c.error(err)
	}
	return &dbStmt{inner: s, c: c}, nil
}

func (c *dbConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if err := CheckSQL(query); err != nil {
		return nil, err
	}
	var res driver.Result
	err := c.do(func() error {
		wasAuto := c.raw.GetAutocommit()
		var err error
		res, err = c.inner.(driver.ExecerContext).ExecContext(ctx, query, args)
		if err != nil && err != driver.ErrSkip {
			// "BEGIN; INSERT ...; CREATE TABLE ..." ran BEGIN and INSERT
			// before the refusal: undo them, and leave no transaction open.
			c.rollbackOpened(wasAuto)
		}
		return err
	})
	if err != nil {
		return nil, c.error(err)
	}
	return res, nil
}

func (c *dbConn) CheckNamedValue(v *driver.NamedValue) error {
	return c.inner.(driver.NamedValueChecker).CheckNamedValue(v)
}

// ResetSession runs before database/sql reuses the connection, which is
// then outside any *sql.Tx or *sql.Conn: a transaction still open there
// was left by a bare BEGIN, and holding it would lock other writers out.
func (c *dbConn) ResetSession(ctx context.Context) error {
	if c.failed != nil {
		return driver.ErrBadConn
	}
	if !c.raw.GetAutocommit() {
		if err := c.do(func() error { return c.endTx(false) }); err != nil || !c.raw.GetAutocommit() {
			return driver.ErrBadConn
		}
	}
	return nil
}

// IsValid is false once the driver panicked: database/sql then closes the
// connection instead of reusing it.
func (c *dbConn) IsValid() bool { return c.failed == nil }

// dbStmt is a prepared statement of a dbConn.
type dbStmt struct {
	inner driver.Stmt
	c     *dbConn
}

var (
	_ driver.StmtExecContext   = (*dbStmt)(nil)
	_ driver.StmtQueryContext  = (*dbStmt)(nil)
	_ driver.NamedValueChecker = (*dbStmt)(nil)
)

func (s *dbStmt) Close() error { return quietly(s.inner.Close) }

func (s *dbStmt) NumInput() int {
	n := -1 // unknown: database/sql leaves the count to the driver
	s.c.do(func() error {
		n = s.inner.NumInput()
		return nil
	})
	return n
}

func (s *dbStmt) CheckNamedValue(v *driver.NamedValue) error {
	return s.inner.(driver.NamedValueChecker).CheckNamedValue(v)
}

func (s *dbStmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.ExecContext(context.Background(), namedValues(args))
}

func (s *dbStmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.QueryContext(context.Background(), namedValues(args))
}

func (s *dbStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	var res driver.Result
	err := s.c.do(func() error {
		var err error
		res, err = s.inner.(driver.StmtExecContext).ExecContext(ctx, args)
		return err
	})
	if err != nil {
		return nil, s.c.error(err)
	}
	return res, nil
}

func (s *dbStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	var rows driver.Rows
	err := s.c.do(func() error {
		var err error
		rows, err = s.inner.(driver.StmtQueryContext).QueryContext(ctx, args)
		return err
	})
	if err != nil {
		return nil, s.c.error(err)
	}
	return &dbRows{inner: rows, c: s.c}, nil
}

func namedValues(args []driver.Value) []driver.NamedValue {
	named := make([]driver.NamedValue, len(args))
	for i, v := range args {
		named[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return named
}

// dbRows are the rows of a dbStmt query. The driver reads the column
// names when database/sql first asks for them, which is where a name too
// long for it panics; without an error to return there, the panic is
// returned by the next call to Next.
type dbRows struct {
	inner driver.Rows
	c     *dbConn
}

// The optional interfaces of the driver's rows, passed through.
type (
	typeNamer  = driver.RowsColumnTypeDatabaseTypeName
	nullabler  = driver.RowsColumnTypeNullable
	scanTyper  = driver.RowsColumnTypeScanType
	rowsTypers interface {
		typeNamer
		nullabler
		scanTyper
	}
)

var _ rowsTypers = (*dbRows)(nil)

func (r *dbRows) Close() error { return quietly(r.inner.Close) }

func (r *dbRows) Columns() []string {
	var cols []string
	if r.c.do(func() error {
		cols = r.inner.Columns()
		return nil
	}) != nil {
		return []string{}
	}
	return cols
}

func (r *dbRows) Next(dest []driver.Value) error {
	return r.c.error(r.c.do(func() error { return r.inner.Next(dest) }))
}

func (r *dbRows) ColumnTypeDatabaseTypeName(i int) string {
	var name string
	r.c.do(func() error {
		if t, ok := r.inner.(typeNamer); ok {
			name = t.ColumnTypeDatabaseTypeName(i)
		}
		return nil
	})
	return name
}

func (r *dbRows) ColumnTypeNullable(i int) (nullable, ok bool) {
	r.c.do(func() error {
		if t, is := r.inner.(nullabler); is {
			nullable, ok = t.ColumnTypeNullable(i)
		}
		return nil
	})
	return nullable, ok
}

func (r *dbRows) ColumnTypeScanType(i int) reflect.Type {
	typ := reflect.TypeFor[any]()
	r.c.do(func() error {
		if t, ok := r.inner.(scanTyper); ok {
			typ = t.ColumnTypeScanType(i)
		}
		return nil
	})
	return typ
}
