package sqlite

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/cinchdb/cinch"
)

// DriverPanic is a panic of the driver, recovered: the cause inside the
// error Conn.Do returns, for logs.
type DriverPanic struct {
	Value any    // what was passed to panic
	Stack []byte // where it happened
}

func (p *DriverPanic) Error() string { return fmt.Sprint(p.Value) }

// Do runs fn, which uses c, and turns a panic into an error.
//
// The driver panics on some inputs instead of returning an error: a name
// over 1,000,000 bytes (the column name of a result, which a long alias or
// a long unaliased expression gives, or a long pragma name, which it reads
// inside the authorizer while SQLite parses) and a value SQLite cannot
// allocate. Such a panic can leave the connection anywhere (a statement
// half stepped, a transaction open, SQLite's parser abandoned midway), so
// c is closed: Broken reports it, and its owner drops it and opens
// another. Using c afterwards returns an error, not a panic.
//
// The error wraps cinch.ErrInvalidInput (the statement is what was wrong),
// or cinch.ErrTooLarge when SQLite ran out of memory, and the *DriverPanic.
func (c *Conn) Do(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = c.fail(r, debug.Stack())
		}
	}()
	return fn()
}

// Broken reports whether Do closed c after a panic.
func (c *Conn) Broken() bool { return c.broken }

// fail closes c after a recovered panic and returns the error for it.
func (c *Conn) fail(v any, stack []byte) error {
	c.broken = true
	func() {
		// Closing runs SQLite code on the state the panic left: it may
		// panic again, and the connection is gone either way.
		defer func() {
			recover()
			c.raw, c.stmts, c.meta, c.order = nil, nil, nil, nil
		}()
		c.Close()
	}()
	return panicError(&DriverPanic{Value: v, Stack: stack})
}

// panicError describes a recovered driver panic for a user.
func panicError(p *DriverPanic) error {
	e := &cinch.Error{Err: fmt.Errorf("%w: %w", cinch.ErrInvalidInput, p),
		Message: fmt.Sprintf("the statement could not be run: the SQLite driver failed on it (%v)", p.Value)}
	switch s := p.Error(); {
	case strings.Contains(s, "missing NUL terminator"):
		// Every string the driver reads back from SQLite is capped at
		// 1,000,000 bytes; past that it finds no terminator.
		e.Message = "the statement could not be run: a name in it or a column name of its result is too long (over 1,000,000 bytes)"
		e.Hint = "give long expressions a short alias (SELECT ... AS x) and keep names short"
	case strings.Contains(s, "out of memory"):
		// The request asked for more than SQLite may allocate: too_large.
		e.Err = fmt.Errorf("%w: %w", cinch.ErrTooLarge, p)
		e.Message = "the statement could not be run: SQLite ran out of memory for it"
		e.Hint = "use smaller values or fewer rows per statement"
	}
	return e
}

// errClosed is what a closed connection answers.
func errClosed() error {
	return cinch.Errorf(cinch.ErrInternal, "the connection to the tenant is closed").WithHint("retry")
}
