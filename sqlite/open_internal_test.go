package sqlite

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/cinchdb/cinch/schema"
)

// A VFS chosen in fileName reaches the files VacuumInto writes: SQLite
// reads a URI there (the driver builds it with SQLITE_USE_URI), so a target
// naming adiantum comes out encrypted.
func TestFileName_VFSReachesVacuumInto(t *testing.T) {
	ctx := context.Background()
	key := bytes.Repeat([]byte{9}, 32)
	tmpl, err := Open(ctx, "", Options{Memory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer tmpl.Close()
	if err := tmpl.Exec("CREATE TABLE t (v TEXT)"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"plain", "per%cent", "ques?tion", "ha#sh", "quo'te"} {
		path := filepath.Join(t.TempDir(), name+".db")
		uri := fileName(path, true, fmt.Sprintf("hexkey=%x", key))
		if err := tmpl.Exec("VACUUM INTO " + schema.QuoteLiteral(uri)); err != nil {
			t.Fatalf("VACUUM INTO %s: %v", uri, err)
		}
		c, err := Open(ctx, path, Options{Key: key})
		if err != nil {
			t.Fatalf("%s: open with the key: %v", name, err)
		}
		if _, err := c.scalarInt("SELECT count(*) FROM t"); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		c.Close()
		if c, err := Open(ctx, path, Options{}); err == nil {
			c.Close()
			t.Errorf("%s: opens without the key: VACUUM INTO did not use the VFS fileName named", name)
		}
	}
}
