package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/cinchdb/cinch"
	"github.com/ncruces/go-sqlite3"
)

// Query runs one guarded user statement with positional params and
// returns every row (see QueryTo).
func (c *Conn) Query(ctx context.Context, opts cinch.QueryOptions, sql string, params ...any) (*cinch.Result, error) {
	return cinch.CollectRows(func(w cinch.RowWriter) (*cinch.Result, error) {
		return c.QueryTo(ctx, opts, w, sql, params...)
	})
}

// QueryTo runs one guarded user statement with positional params and hands
// its column names, then each row, to w as they are read. opts.Limit and
// opts.MaxBytes stop it early (Truncated); a first row alone over MaxBytes
// is ErrTooLarge.
//
// A statement that leaves a transaction open (BEGIN) is rolled back and
// refused: connections are shared, and each Query is its own transaction.
func (c *Conn) QueryTo(ctx context.Context, opts cinch.QueryOptions, w cinch.RowWriter, sql string, params ...any) (*cinch.Result, error) {
	s, err := c.prepare(sql)
	if err != nil {
		return nil, err
	}
	c.guard.Denied = "" // a reason left by an earlier refusal must not name this error
	c.guard.Stepping = true
	defer func() { c.guard.Stepping = false }()
	if opts.ReadOnly && !s.ReadOnly() {
		return nil, &cinch.Error{Err: cinch.ErrReadOnly, Message: "query rejected: this statement writes, and only reads are allowed here"}
	}
	if ctx.Done() != nil {
		old := c.raw.SetInterrupt(ctx)
		defer c.raw.SetInterrupt(old)
	}
	defer s.Reset()
	if err := bindParams(s, params); err != nil {
		return nil, err
	}
	res := &cinch.Result{}
	before := c.raw.TotalChanges()
	// Column names are read after the first step: a cached statement whose
	// schema changed since it was prepared is re-prepared by that step, and
	// "SELECT *" then names the current columns, not the old ones.
	more := s.Step()
	m := c.columns(s)
	if err := w.WriteColumns(slices.Clone(m.cols)); err != nil {
		c.abandon()
		return nil, err
	}
	var rows int
	var bytes int64
	for ; more; more = s.Step() {
		if opts.Limit > 0 && rows >= opts.Limit {
			res.Truncated = true
			break
		}
		row, size := scanRow(s, m.bools)
		if opts.MaxBytes > 0 && bytes+size > opts.MaxBytes {
			if rows == 0 {
				c.abandon()
				return nil, cinch.Errorf(cinch.ErrTooLarge, "the first row of the result is %d bytes, over the limit of %d bytes", size, opts.MaxBytes).
					WithHint("select fewer or smaller columns (substr, length) or raise the limit")
			}
			res.Truncated = true
			break
		}
		bytes += size
		rows++
		if err := w.WriteRow(row); err != nil {
			c.abandon()
			return nil, err
		}
	}
	if err := s.Err(); err != nil {
		c.abandon()
		return nil, c.userError(err)
	}
	if !c.inTx && !c.raw.GetAutocommit() {
		c.Rollback()
		return nil, cinch.Errorf(cinch.ErrQueryRejected, "query rejected: transaction control (BEGIN, COMMIT, SAVEPOINT) is not available in queries").
			WithHint("each query is its own transaction; use InsertMany or the guarded *sql.DB for multi-statement transactions")
	}
	if !s.ReadOnly() && c.raw.TotalChanges() != before {
		// Changes counts the rows the statement itself changed; the total
		// also counts trigger (updated_at) and foreign key action changes.
		res.RowsAffected = c.raw.Changes()
	}
	return res, nil
}

// abandon undoes a statement that stopped with an error, unless it runs
// inside a transaction its caller owns (which rolls back itself).
func (c *Conn) abandon() {
	if !c.inTx {
		c.Rollback()
	}
}

// Run runs a guarded statement that returns no rows (an INSERT) and
// reports the rows it changed, without building a Result: the hot path of
// the data API. It follows Query's rules except that it may run inside an
// Update transaction.
func (c *Conn) Run(ctx context.Context, sql string, params ...any) (int64, error) {
	s, err := c.prepare(sql)
	if err != nil {
		return 0, err
	}
	c.guard.Denied = ""
	c.guard.Stepping = true
	defer func() { c.guard.Stepping = false }()
	if ctx.Done() != nil {
		old := c.raw.SetInterrupt(ctx)
		defer c.raw.SetInterrupt(old)
	}
	defer s.Reset()
	if err := bindParams(s, params); err != nil {
		return 0, err
	}
	for s.Step() {
	}
	if err := s.Err(); err != nil {
		return 0, c.userError(err)
	}
	return c.raw.Changes(), nil
}

// QueryRow runs a guarded statement that returns one row (an INSERT ...
// RETURNING) and returns that row, without the bookkeeping of Query: the
// hot path of the data API.
func (c *Conn) QueryRow(ctx context.Context, sql string, params ...any) (cinch.Record, error) {
	s, err := c.prepare(sql)
	if err != nil {
		return nil, err
	}
	c.guard.Denied = ""
	c.guard.Stepping = true
	defer func() { c.guard.Stepping = false }()
	if ctx.Done() != nil {
		old := c.raw.SetInterrupt(ctx)
		defer c.raw.SetInterrupt(old)
	}
	defer s.Reset()
	if err := bindParams(s, params); err != nil {
		return nil, err
	}
	if !s.Step() {
		if err := s.Err(); err != nil {
			return nil, c.userError(err)
		}
		return nil, fmt.Errorf("%w: %s returned no row", cinch.ErrInternal, sql)
	}
	m := c.columns(s)
	row := make(cinch.Record, len(m.cols))
	for i, name := range m.cols {
		row[name] = columnValue(s, i, false)
	}
	// Finish the statement (RETURNING completes the write on the last step).
	for s.Step() {
	}
	if err := s.Err(); err != nil {
		return nil, c.userError(err)
	}
	return row, nil
}

// stmtMeta is what Query needs to know about a statement's columns.
type stmtMeta struct {
	cols   []string
	bools  []bool // BOOLEAN declared type: read back as bool
	reprep int    // SQLITE_STMTSTATUS_REPREPARE when cols were read
}

// columns returns a statement's column names and BOOLEAN flags, read from
// the driver once per statement and again only when SQLite re-prepared it
// (a schema change can change what "SELECT *" names). Call after the first
// Step, which is when a re-prepare happens.
func (c *Conn) columns(s *sqlite3.Stmt) *stmtMeta {
	rp := s.Status(sqlite3.STMTSTATUS_REPREPARE, false)
	m := c.meta[s]
	if m != nil && m.reprep == rp && len(m.cols) == s.ColumnCount() {
		return m
	}
	n := s.ColumnCount()
	m = &stmtMeta{cols: make([]string, n), bools: make([]bool, n), reprep: rp}
	for i := range n {
		m.cols[i] = s.ColumnName(i)
		m.bools[i] = strings.EqualFold(s.ColumnDeclType(i), "BOOLEAN")
	}
	if _, cached := c.stmts[s.SQL()]; cached {
		c.meta[s] = m
	}
	return m
}

// scanRow reads the current row and its size (strings and blobs by
// length, anything else 8 bytes); BOOLEAN columns come back as bool.
func scanRow(s *sqlite3.Stmt, bools []bool) ([]any, int64) {
	row := make([]any, len(bools))
	var size int64
	for i := range bools {
		row[i] = columnValue(s, i, bools[i])
		size += cinch.ValueSize(row[i])
	}
	return row, size
}

func columnValue(s *sqlite3.Stmt, i int, boolean bool) any {
	switch s.ColumnType(i) {
	case sqlite3.INTEGER:
		v := s.ColumnInt64(i)
		if boolean {
			return v != 0
		}
		return v
	case sqlite3.FLOAT:
		return s.ColumnFloat(i)
	case sqlite3.TEXT:
		return s.ColumnText(i)
	case sqlite3.BLOB:
		if b := s.ColumnBlob(i, nil); b != nil {
			return b
		}
		return []byte{} // a zero-length blob is not NULL
	default:
		return nil
	}
}

// bindParams binds positional parameters; the count must match.
func bindParams(s *sqlite3.Stmt, params []any) error {
	if want := s.BindCount(); want != len(params) {
		return cinch.Errorf(cinch.ErrInvalidInput, "query has %d parameter(s) but %d value(s) were given", want, len(params)).
			WithHint("give one value per ? placeholder")
	}
	for i, p := range params {
		if err := bindValue(s, i+1, p); err != nil {
			return err
		}
	}
	return nil
}

func bindValue(s *sqlite3.Stmt, i int, v any) error {
	var err error
	switch v := v.(type) {
	case nil:
		err = s.BindNull(i)
	case bool:
		err = s.BindBool(i, v)
	case int:
		err = s.BindInt64(i, int64(v))
	case int8:
		err = s.BindInt64(i, int64(v))
	case int16:
		err = s.BindInt64(i, int64(v))
	case int32:
		err = s.BindInt64(i, int64(v))
	case int64:
		err = s.BindInt64(i, v)
	case uint8:
		err = s.BindInt64(i, int64(v))
	case uint16:
		err = s.BindInt64(i, int64(v))
	case uint32:
		err = s.BindInt64(i, int64(v))
	case uint:
		if uint64(v) > math.MaxInt64 {
			return cinch.Errorf(cinch.ErrInvalidInput, "parameter %d: %d does not fit in a 64-bit integer", i, v)
		}
		err = s.BindInt64(i, int64(v))
	case uint64:
		if v > math.MaxInt64 {
			return cinch.Errorf(cinch.ErrInvalidInput, "parameter %d: %d does not fit in a 64-bit integer", i, v)
		}
		err = s.BindInt64(i, int64(v))
	case float32:
		err = s.BindFloat(i, float64(v))
	case float64:
		err = s.BindFloat(i, v)
	case string:
		err = s.BindText(i, v)
	case []byte:
		err = s.BindBlob(i, v)
	case json.Number:
		if n, e := v.Int64(); e == nil {
			err = s.BindInt64(i, n)
		} else if f, e := v.Float64(); e == nil {
			err = s.BindFloat(i, f)
		} else {
			return cinch.Errorf(cinch.ErrInvalidInput, "parameter %d: bad number %q", i, v)
		}
	case time.Time:
		err = s.BindText(i, v.UTC().Format(cinch.TimeFormat))
	default:
		return cinch.Errorf(cinch.ErrInvalidInput, "parameter %d: unsupported type %T", i, v).
			WithHint("use nil, bool, integers, floats, strings, []byte or time.Time")
	}
	return translate(err)
}

// Exists reports whether a row with id exists in table (trusted names).
func (c *Conn) scalarInt(sql string, args ...any) (int64, error) {
	s, _, err := c.raw.Prepare(sql)
	if err != nil {
		return 0, translate(err)
	}
	defer s.Close()
	if err := bindParams(s, args); err != nil {
		return 0, err
	}
	if !s.Step() {
		if err := s.Err(); err != nil {
			return 0, translate(err)
		}
		return 0, fmt.Errorf("%w: no row from %s", cinch.ErrInternal, sql)
	}
	return s.ColumnInt64(0), nil
}
