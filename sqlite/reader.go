package sqlite

import (
	"context"
	"errors"
	"strings"

	"github.com/cinchdb/cinch"
	"github.com/ncruces/go-sqlite3"
)

// readerSchema is the name under which a Reader attaches each file. User
// SQL that spells it (in any ASCII case) is never run on a Reader, so no
// query can tell it is there.
const readerSchema = "cinch_reader_file"

// Reader reads many database files in turn on one connection, for
// fan-outs over files nobody writes meanwhile: each file is ATTACHed
// read-only and immutable to a connection whose own main database is an
// empty in-memory one, queried, and DETACHed. Opening a connection (the
// driver's WebAssembly instance, sqlite3_open, the pragmas, the guard)
// is paid once per Reader instead of once per file.
//
// With main empty, unqualified names resolve to the attached file, so a
// statement reads there what it would read on a connection to that file,
// except what names main or temp explicitly or implicitly: the
// unqualified sqlite_schema, a PRAGMA, a table-valued function
// (pragma_table_info and json_each live in main), "main.t", EXPLAIN. The
// guard records any such access while the statement is prepared (and
// re-prepared), and QueryTo then reports foreign=true: the caller drops
// what it got and reads the file on a connection of its own. That is
// the whole classification; it errs only towards the slower path.
type Reader struct {
	c *Conn
}

// OpenReader opens a Reader with the options of a read-only tenant
// connection (opts.Key must be empty: encrypted files are not read here).
func OpenReader(ctx context.Context, opts Options) (*Reader, error) {
	if len(opts.Key) > 0 {
		return nil, cinch.Errorf(cinch.ErrInternal, "a Reader does not read encrypted files")
	}
	// OPEN_URI: ATTACH then reads "file:...?mode=ro&immutable=1" as a URI.
	raw, err := sqlite3.OpenFlags(":memory:", sqlite3.OPEN_READWRITE|sqlite3.OPEN_CREATE|sqlite3.OPEN_URI)
	if err != nil {
		return nil, err
	}
	c := &Conn{raw: raw, stmts: map[string]*sqlite3.Stmt{}, meta: map[*sqlite3.Stmt]*stmtMeta{}, limit: DefaultStmtCache, path: ":memory:"}
	opts.ReadOnly, opts.Memory = true, false
	if err := configure(raw, &c.guard, opts); err != nil {
		raw.Close()
		return nil, err
	}
	return &Reader{c: c}, nil
}

// Close closes the Reader's connection.
func (r *Reader) Close() error {
	if r == nil {
		return nil
	}
	return r.c.Close()
}

// Broken reports whether a driver panic closed the Reader's connection
// (Conn.Do): its owner drops it.
func (r *Reader) Broken() bool { return r.c.Broken() }

// usesReaderSchema reports whether sql spells the name under which a
// Reader attaches files; such SQL is not run on a Reader.
func usesReaderSchema(sql string) bool {
	return strings.Contains(strings.ToLower(sql), readerSchema)
}

// QueryTo attaches the file at path (read-only, immutable: the caller
// makes sure no one writes it meanwhile), checks its user_version against
// version, runs the read-only query sql on it as Conn.QueryTo does, and
// detaches it. behind reports a file at another version (nothing run);
// foreign reports a statement that reached beyond the attached file, or
// any failure: what w got is then to be dropped and the file read on a
// connection of its own, which gives the answer (or the error) a user
// sees. The only error returned is one w returned (it stopped the
// query). A Reader whose detach failed is Broken.
func (r *Reader) QueryTo(ctx context.Context, path string, version int, opts cinch.QueryOptions, w cinch.RowWriter, sql string, params ...any) (res *cinch.Result, behind, foreign bool, err error) {
	c := r.c
	if c.raw == nil || usesReaderSchema(sql) {
		return nil, false, true, nil
	}
	if err := r.attach(path); err != nil {
		return nil, false, true, nil
	}
	defer r.detach()
	v, err := c.scalarInt("PRAGMA " + readerSchema + ".user_version")
	if err != nil {
		return nil, false, true, nil
	}
	if int(v) != version {
		return nil, true, false, nil
	}
	c.guard.Reading, c.guard.Foreign, c.guard.Unqualified = readerSchema, false, c.guard.Unqualified[:0]
	defer func() { c.guard.Reading, c.guard.Foreign, c.guard.Unqualified = "", false, c.guard.Unqualified[:0] }()
	ew := &errWriter{w: w}
	w = ew
	err = c.Do(func() error {
		s, err := c.prepare(sql)
		if err != nil {
			return err
		}
		if isExplain(s) {
			// Its program names databases by number; main's is not the file's.
			c.guard.Foreign = true
			return nil
		}
		if !r.resolved() {
			return nil
		}
		res, err = c.QueryTo(ctx, opts, w, sql, params...)
		if err == nil {
			r.resolved() // a re-prepare while stepping named the same tables
		}
		return err
	})
	switch {
	case c.guard.Foreign:
		return nil, false, true, nil
	case err != nil && ew.err != nil && errors.Is(err, ew.err):
		return nil, false, false, err // the caller's writer stopped the query
	case err != nil:
		return nil, false, true, nil
	}
	return res, false, false, nil
}

// resolved checks the tables the guard saw named without a schema and
// without a column read (Guard.Unqualified): each must be a table or view
// of the attached file, which is then where SQLite found it (main and
// temp hold only their sqlite_schema tables and the eponymous virtual
// tables: pragma_*, json_each, dbstat, ...). Any other name sets
// Guard.Foreign. It reports whether all were found.
func (r *Reader) resolved() bool {
	c := r.c
	for _, name := range c.guard.Unqualified {
		if c.guard.Foreign {
			break
		}
		var n int64
		err := c.System(func() (err error) {
			n, err = c.scalarInt("SELECT count(*) FROM "+readerSchema+".sqlite_schema WHERE type IN ('table', 'view') AND name = ?1 COLLATE NOCASE", name)
			return err
		})
		if err != nil || n == 0 {
			c.guard.Foreign = true
		}
	}
	c.guard.Unqualified = c.guard.Unqualified[:0]
	return !c.guard.Foreign
}

// errWriter passes rows on to w and remembers the error w returned.
type errWriter struct {
	w   cinch.RowWriter
	err error
}

func (ew *errWriter) WriteColumns(names []string) error {
	ew.err = ew.w.WriteColumns(names)
	return ew.err
}

func (ew *errWriter) WriteRow(values []any) error {
	ew.err = ew.w.WriteRow(values)
	return ew.err
}

// attach attaches the file at path as readerSchema.
func (r *Reader) attach(path string) error {
	return r.c.System(func() error {
		s, _, err := r.c.raw.Prepare("ATTACH ?1 AS " + readerSchema)
		if err != nil {
			return err
		}
		defer s.Close()
		if err := s.BindText(1, fileName(path, false, "mode=ro", "immutable=1")); err != nil {
			return err
		}
		return s.Exec()
	})
}

// detach drops the statements compiled against the attached file and
// detaches it; a Reader that cannot detach is closed (Broken).
func (r *Reader) detach() {
	c := r.c
	if c.raw == nil {
		return
	}
	c.Rollback()
	for sql, s := range c.stmts {
		s.Close()
		delete(c.stmts, sql)
	}
	clear(c.meta)
	clear(c.unchecked)
	c.order = c.order[:0]
	if err := c.Exec("DETACH " + readerSchema); err != nil {
		c.broken = true
		c.Close()
	}
}
