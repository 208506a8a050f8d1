package sqlite_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cinchdb/cinch"
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
