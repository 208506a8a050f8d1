package sqlite_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/sqlite"
)

// Every way this package opens a file (Open, OpenDB, BackupToTemp's
// destination, VacuumInto's target) names it the same way, so a file name
// with URI characters in it is the same file to all of them.
func TestOpen_EveryWayOpensTheSameFile(t *testing.T) {
	ctx := context.Background()
	key := bytes.Repeat([]byte{7}, 32)
	for _, name := range []string{"plain", "per%cent", "ques?tion", "ha#sh", "sp ace", "quo'te", "é"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			at := func(suffix string) string { return filepath.Join(dir, name+suffix) }

			// The template writes a new file.
			tmpl, err := sqlite.Open(ctx, "", sqlite.Options{Memory: true})
			if err != nil {
				t.Fatal(err)
			}
			defer tmpl.Close()
			if err := tmpl.Exec("CREATE TABLE t (v TEXT)"); err != nil {
				t.Fatal(err)
			}
			if err := tmpl.VacuumInto(at(".db")); err != nil {
				t.Fatalf("VacuumInto: %v", err)
			}
			if got, want := dirFiles(t, dir), []string{name + ".db"}; !slices.Equal(got, want) {
				t.Fatalf("VacuumInto wrote %q, want %q", got, want)
			}

			// Open writes it; Checkpoint empties the WAL into it.
			c, err := sqlite.Open(ctx, at(".db"), sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Run(ctx, "INSERT INTO t VALUES ('x')"); err != nil {
				t.Fatal(err)
			}
			if fileSize(t, at(".db-wal")) == 0 {
				t.Fatal("no WAL after an insert")
			}
			if err := c.Checkpoint(); err != nil {
				t.Fatalf("Checkpoint: %v", err)
			}
			if n := fileSize(t, at(".db-wal")); n != 0 {
				t.Errorf("WAL is %d bytes after Checkpoint, want 0 (truncated)", n)
			}

			// A backup to an encrypted copy, read back by Open and OpenDB.
			if err := c.BackupToTemp(ctx, at(".enc"), key); err != nil {
				t.Fatalf("BackupToTemp: %v", err)
			}
			enc, err := sqlite.Open(ctx, at(".enc"), sqlite.Options{Key: key})
			if err != nil {
				t.Fatal(err)
			}
			defer enc.Close()
			if got := countRows(t, enc); got != 1 {
				t.Errorf("encrypted copy holds %d rows, want 1", got)
			}
			if plain, err := sqlite.Open(ctx, at(".enc"), sqlite.Options{}); err == nil {
				plain.Close()
				t.Errorf("the encrypted copy opens without its key")
			}
			for _, tc := range []struct {
				file string
				opts sqlite.Options
			}{{at(".db"), sqlite.Options{}}, {at(".db"), sqlite.Options{ReadOnly: true}}, {at(".enc"), sqlite.Options{Key: key}}} {
				db, err := sqlite.OpenDB(tc.file, tc.opts)
				if err != nil {
					t.Fatal(err)
				}
				var n int
				if err := db.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n); err != nil || n != 1 {
					t.Errorf("OpenDB(%s, %+v): %d rows, %v; want 1", filepath.Base(tc.file), tc.opts, n, err)
				}
				db.Close()
			}
			for _, f := range dirFiles(t, dir) {
				if base := strings.TrimSuffix(strings.TrimSuffix(f, "-wal"), "-shm"); base != name+".db" && base != name+".enc" {
					t.Errorf("stray file %q: some open took another name for %q", f, name)
				}
			}
		})
	}
}

func countRows(t *testing.T, c *sqlite.Conn) int64 {
	t.Helper()
	res, err := c.Query(context.Background(), cinch.QueryOptions{}, "SELECT count(*) AS n FROM t")
	if err != nil {
		t.Fatal(err)
	}
	return res.Value(0, "n").(int64)
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
