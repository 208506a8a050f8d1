package sqlite_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/sqlite"
)

// SQLite stops reading SQL at a NUL byte; cinch refuses such SQL instead
// of running the part before it.
func TestPrepareRefusesNUL(t *testing.T) {
	tn := newGuardTenant(t)
	ctx := context.Background()
	refused := func(how, sql string, err error) {
		t.Helper()
		if !errors.Is(err, cinch.ErrInvalidInput) || !strings.Contains(err.Error(), "NUL byte") {
			t.Errorf("%s(%q) = %v, want ErrInvalidInput naming the NUL byte", how, sql, err)
		}
	}
	for _, sql := range []string{
		"DELETE FROM t\x00 WHERE name = 'alice'",
		"SELECT 1\x00; DROP TABLE t",
		"\x00",
		"SELECT name FROM t WHERE name = 'a\x00b'",
	} {
		_, err := tn.conn.IsReadOnly(sql)
		refused("IsReadOnly", sql, err)
		_, err = tn.conn.Query(ctx, cinch.QueryOptions{}, sql)
		refused("Query", sql, err)
		_, err = tn.conn.Run(ctx, sql)
		refused("Run", sql, err)
		_, err = tn.conn.QueryRow(ctx, sql)
		refused("QueryRow", sql, err)
	}
	res, err := tn.conn.Query(ctx, cinch.QueryOptions{}, "SELECT count(*) AS n FROM t")
	if err != nil {
		t.Fatal(err)
	}
	if n := res.Value(0, "n"); n != int64(3) {
		t.Errorf("%v rows left, want 3: a statement cut at its NUL ran", n)
	}
	// A NUL in a bound value is data, not SQL.
	if _, err := tn.conn.Query(ctx, cinch.QueryOptions{}, "SELECT ? AS v", "a\x00b"); err != nil {
		t.Errorf("NUL in a parameter: %v", err)
	}
}

// hugeName is longer than the driver reads back a name (1,000,000 bytes).
var hugeName = strings.Repeat("x", 1<<20)

// The driver panics on a name it cannot read back; Do makes that an error
// and closes the connection, which then answers errors, not panics.
func TestDoRecoversDriverPanic(t *testing.T) {
	ctx := context.Background()
	for _, sql := range []string{
		`SELECT 1 AS "` + hugeName + `"`, // column name, read after the first step
		`SELECT '` + hugeName + `'`,      // an unaliased expression names its column
		`PRAGMA "` + hugeName + `"`,      // read by the authorizer, while SQLite parses
	} {
		tn := newGuardTenant(t)
		c := tn.conn
		err := c.Do(func() error {
			_, err := c.Query(ctx, cinch.QueryOptions{}, sql)
			return err
		})
		if !errors.Is(err, cinch.ErrInvalidInput) || !strings.Contains(err.Error(), "too long") {
			t.Errorf("%.40q: %v, want ErrInvalidInput saying the name is too long", sql, err)
		}
		var dp *sqlite.DriverPanic
		if !errors.As(err, &dp) || len(dp.Stack) == 0 {
			t.Errorf("%.40q: %v does not carry the panic", sql, err)
		}
		if !c.Broken() {
			t.Errorf("%.40q: the connection is not marked broken", sql)
		}
		// Closed: every use is an error.
		if _, err := c.Query(ctx, cinch.QueryOptions{}, "SELECT 1"); err == nil {
			t.Errorf("Query on a broken connection succeeded")
		}
		if err := c.Exec("SELECT 1"); err == nil {
			t.Errorf("Exec on a broken connection succeeded")
		}
		if err := c.Close(); err != nil {
			t.Errorf("Close of a broken connection: %v", err)
		}
		// The file is fine: a new connection reads it.
		c2, err := sqlite.Open(ctx, tn.path, sqlite.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if res, err := c2.Query(ctx, cinch.QueryOptions{}, "SELECT count(*) AS n FROM t"); err != nil || res.Value(0, "n") != int64(3) {
			t.Errorf("a new connection after the panic: %v, %v", res, err)
		}
		c2.Close()
	}
	// Without a panic, Do is fn.
	tn := newGuardTenant(t)
	want := errors.New("x")
	if err := tn.conn.Do(func() error { return want }); err != want || tn.conn.Broken() {
		t.Errorf("Do(error) = %v, broken %v", err, tn.conn.Broken())
	}
}

// TestTooBigIsTooLarge: a value over SQLite's length limit, or one SQLite
// cannot allocate (the driver panics on that; Do recovers), is too_large:
// the request asked too much. Not internal, not invalid input.
func TestTooBigIsTooLarge(t *testing.T) {
	for _, q := range []string{
		"SELECT zeroblob(2000000000)",
		"SELECT randomblob(1500000000)",
		"SELECT printf('%.*c', 1500000000, 'x')",
	} {
		tn := newGuardTenant(t)
		err := tn.conn.Do(func() error {
			_, err := gQuery(tn.conn, q)
			return err
		})
		if !errors.Is(err, cinch.ErrTooLarge) {
			t.Errorf("%s: %v (code %s), want ErrTooLarge", q, err, cinch.Code(err))
		}
	}
}
