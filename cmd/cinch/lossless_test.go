package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	_ "github.com/ncruces/go-sqlite3/driver" // the raw side: same driver, no cinch

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/client"
	"github.com/cinchdb/cinch/local"
)

// TestLosslessCorpus runs a few thousand generated queries (SELECT * over
// joins of tables that share id, created_at and updated_at, repeated
// aliases, unaliased repeated expressions, extreme numbers, text that
// needs escaping, blobs) through the library (DB.Query), the Go client
// against a real `cinch serve`, and the CLI's --format json and csv, and
// compares every value with raw SQLite reading the same file through the
// same driver. Nothing may be dropped, reordered or changed.
func TestLosslessCorpus(t *testing.T) {
	t.Parallel() // alongside the cluster tests, which mostly wait
	const (
		queries  = 3000
		cliEvery = 25 // the CLI is a process per query: a sample
	)
	dir := t.TempDir()
	c := runner{t: t, dir: dir}
	c.ok("init")
	c.ok("table", "create", "t1", "a:INTEGER", "b:TEXT", "c:REAL")
	c.ok("table", "create", "t2", "a:INTEGER", "b:TEXT", "d:REAL")
	c.ok("tenant", "create", "acme")
	rng := rand.New(rand.NewPCG(7, 11))
	for _, table := range []string{"t1", "t2"} {
		other := map[string]string{"t1": "c", "t2": "d"}[table]
		var recs []map[string]any
		for range 40 {
			recs = append(recs, map[string]any{"a": pick(rng, smallInts), "b": pick(rng, texts), other: pick(rng, reals)})
		}
		data, _ := json.Marshal(recs)
		c.ok("data", "insert", table, "--tenant", "acme", "--data", string(data))
	}
	apiKey := lastLine(c.ok("key", "create").stdout)
	base := startServe(t, dir).base

	ctx := context.Background()
	p, err := local.Open(ctx, local.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close(ctx)
	lib, err := p.Connect(cinch.Target{Database: "main", Branch: "main", Tenant: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := client.New(base, apiKey)
	if err != nil {
		t.Fatal(err)
	}
	remote := cl.Connect(cinch.Target{Tenant: "acme"})
	raw, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, ".cinchdb/databases/main/branches/main/tenants/acme.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()

	failures := 0
	fail := func(q, via string, format string, args ...any) {
		t.Helper()
		failures++
		if failures <= 20 {
			t.Errorf("%s via %s: %s", q, via, fmt.Sprintf(format, args...))
		}
	}
	for i := range queries {
		q := genQuery(rng)
		wantCols, wantRows := rawQuery(t, raw, q)

		res, err := lib.Query(ctx, q)
		if err != nil {
			fail(q, "library", "%v", err)
			continue
		}
		if d := cmp.Diff(wantCols, res.Columns); d != "" {
			fail(q, "library", "columns (-raw +cinch):\n%s", d)
		}
		if d := cmp.Diff(wantRows, res.Rows); d != "" {
			fail(q, "library", "rows (-raw +cinch):\n%s", d)
		}

		res, err = remote.Query(ctx, q)
		if err != nil {
			fail(q, "HTTP", "%v", err)
			continue
		}
		if d := cmp.Diff(wantCols, res.Columns); d != "" {
			fail(q, "HTTP", "columns (-raw +cinch):\n%s", d)
		}
		if d := cmp.Diff(overHTTP(wantRows), res.Rows); d != "" {
			fail(q, "HTTP", "rows (-raw +cinch):\n%s", d)
		}

		if i%cliEvery != 0 {
			continue
		}
		out := c.ok("query", q, "--tenant", "acme", "--format", "json").stdout
		if err := sameAsJSON(wantCols, wantRows, out); err != nil {
			fail(q, "CLI json", "%v\n%s", err, out)
		}
		out = c.ok("query", q, "--tenant", "acme", "--format", "csv").stdout
		if err := sameAsCSV(wantCols, wantRows, out); err != nil {
			fail(q, "CLI csv", "%v\n%s", err, out)
		}
	}
	if failures > 0 {
		t.Fatalf("%d of %d queries lost or changed a value", failures, queries)
	}
}

// TestQueryStreamsToStdout: `cinch query` writes rows as it reads them,
// so its memory does not grow with the result (3 M rows took 1.4 GB of
// RSS before; streamed they take ~24 MB). Peak RSS is read from the
// kernel's accounting of the process, not timed.
func TestQueryStreamsToStdout(t *testing.T) {
	dir := t.TempDir()
	c := runner{t: t, dir: dir}
	c.ok("init")
	for _, format := range []string{"csv", "json", "table"} {
		cmd := exec.Command(binary, "query", "SELECT value, 'row ' || value AS label FROM generate_series(1, 1000000)", "--format", format)
		cmd.Dir = dir
		peakFile := filepath.Join(t.TempDir(), "peak")
		cmd.Env = append(os.Environ(), "CINCH_PEAK_RSS_FILE="+peakFile)
		lines := &lineCounter{}
		cmd.Stdout = lines
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s: %v\n%s", format, err, stderr.String())
		}
		if lines.n < 1_000_000 {
			t.Errorf("%s: %d lines, want every row", format, lines.n)
		}
		// The process's own peak (VmHWM), not the rusage its parent sees:
		// that keeps the parent's peak across exec (this test binary's, after
		// the tests before it).
		peak, err := os.ReadFile(peakFile)
		if err != nil {
			t.Skip("no /proc/self/status on this system")
		}
		kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(string(peak)), " kB"), 10, 64)
		if err != nil {
			t.Fatalf("%s: peak RSS %q", format, peak)
		}
		if rss := kib << 10; rss > 150<<20 {
			t.Errorf("%s: peak RSS %d MiB for 1 M rows: the output is not streamed", format, rss>>20)
		}
	}
}

// lineCounter counts the lines written to it and keeps nothing.
type lineCounter struct{ n int }

func (l *lineCounter) Write(p []byte) (int, error) {
	l.n += bytes.Count(p, []byte{'\n'})
	return len(p), nil
}

var (
	smallInts = []any{0, 1, 2, 3, nil}
	texts     = []any{"", "plain", `quo"te`, "back\\slash", "line\nbreak", "tab\t", "ünïcødé", "emoji 🦫", "<html>&", "\u2028", nil}
	reals     = []any{0.0, 0.1, -2.5, 1e300, -1e-300, 3.0, 123456789.125, nil}
	literals  = []string{"1", "-1", "0", "9223372036854775807", "-9223372036854775808", "2.0", "0.1", "-0.0",
		"1e308", "1e999", "-1e999", "'x'", "''", "'it''s'", "NULL", "x'00ff'", "x''", "'ünï'", "char(10)", "1/0", "5/2", "5.0/2"}
	aliases = []string{"x", "x", "y", "id", "a", "b", `"x"`, `"a b"`, `""`}
)

func pick[T any](rng *rand.Rand, list []T) T { return list[rng.IntN(len(list))] }

// genQuery returns one query of a shape that repeats column names.
func genQuery(rng *rand.Rand) string {
	switch rng.IntN(9) {
	case 0:
		return "SELECT * FROM t1 JOIN t2 ON t1.a = t2.a ORDER BY t1.id, t2.id LIMIT " + strconv.Itoa(1+rng.IntN(30))
	case 1:
		return "SELECT * FROM t1 a1, t1 a2 WHERE a1.a = a2.a AND a1.id <= a2.id ORDER BY a1.id, a2.id LIMIT 25"
	case 2:
		return "SELECT t1.*, t2.* FROM t1 LEFT JOIN t2 ON t1.b = t2.b ORDER BY t1.id, t2.id LIMIT 30"
	case 3: // repeated aliases over expressions
		n := 1 + rng.IntN(6)
		cols := make([]string, n)
		for i := range cols {
			cols[i] = pick(rng, literals) + " AS " + pick(rng, aliases)
		}
		return "SELECT " + strings.Join(cols, ", ")
	case 4: // unaliased: SQLite names them by their text
		n := 1 + rng.IntN(5)
		cols := make([]string, n)
		for i := range cols {
			cols[i] = pick(rng, literals)
		}
		return "SELECT " + strings.Join(cols, ", ")
	case 5:
		return "SELECT t1.a AS a, t2.a AS a, t1.b AS b, t2.b AS b, t1.c * t2.d AS p FROM t1 JOIN t2 ON t1.id < t2.id ORDER BY t1.id, t2.id LIMIT 20"
	case 6:
		return "SELECT a, count(*), sum(c), avg(c), total(c), group_concat(b, '|'), min(b), max(c), a FROM t1 GROUP BY a ORDER BY a"
	case 7:
		return "VALUES (1, 'a', 2.5, NULL, x'01'), (9223372036854775807, '', -0.0, 1e999, x'')"
	default:
		return "WITH s AS (SELECT id, a, b FROM t1) SELECT * FROM s, s AS s2 WHERE s.id = s2.id ORDER BY s.id LIMIT 15"
	}
}

// rawQuery runs q on the raw file: column names and values as the driver
// gives them (times formatted back, as cinch returns stored text).
func rawQuery(t *testing.T, db *sql.DB, q string) ([]string, [][]any) {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("raw %s: %v", q, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	out := [][]any{}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("raw %s: %v", q, err)
	}
	return cols, out
}

// overHTTP is what JSON can carry of rows: blobs as base64 text.
func overHTTP(rows [][]any) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = make([]any, len(r))
		for j, v := range r {
			if b, ok := v.([]byte); ok {
				v = base64.StdEncoding.EncodeToString(b)
			}
			out[i][j] = v
		}
	}
	return out
}

// sameAsJSON checks `cinch query --format json`: one object per row whose
// members are the columns in order (repeated names suffixed _2, _3, ...)
// with every value.
func sameAsJSON(cols []string, rows [][]any, out string) error {
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	var got []orderedObject
	if err := dec.Decode(&got); err != nil {
		return err
	}
	if len(got) != len(rows) {
		return fmt.Errorf("%d rows, want %d", len(got), len(rows))
	}
	for i, obj := range got {
		if len(obj) != len(cols) {
			return fmt.Errorf("row %d has %d members, want %d (one per column)", i, len(obj), len(cols))
		}
		for j, m := range obj {
			if !strings.HasPrefix(m.key, cols[j]) {
				return fmt.Errorf("row %d member %d is %q, want column %q (or a suffixed name)", i, j, m.key, cols[j])
			}
			if !sameJSONValue(rows[i][j], m.value) {
				return fmt.Errorf("row %d %q = %#v, raw %#v", i, m.key, m.value, rows[i][j])
			}
		}
	}
	return nil
}

type member struct {
	key   string
	value any
}

// orderedObject decodes a JSON object keeping its members in order.
type orderedObject []member

func (o *orderedObject) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return err
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return err
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return err
		}
		*o = append(*o, member{k.(string), v})
	}
	return nil
}

func sameJSONValue(raw, got any) bool {
	switch r := raw.(type) {
	case nil:
		return got == nil
	case int64:
		n, ok := got.(json.Number)
		return ok && n.String() == strconv.FormatInt(r, 10)
	case float64:
		n, ok := got.(json.Number)
		if !ok || !strings.ContainsAny(n.String(), ".eE") {
			return false // a float must read back as a float
		}
		f, _ := strconv.ParseFloat(n.String(), 64)
		return f == r || (math.IsInf(f, 1) && math.IsInf(r, 1)) || (math.IsInf(f, -1) && math.IsInf(r, -1))
	case string:
		return got == r
	case []byte:
		return got == base64.StdEncoding.EncodeToString(r)
	}
	return false
}

// sameAsCSV checks `cinch query --format csv`: the real column names as
// the header, then every value as text (NULL and ” are both empty).
func sameAsCSV(cols []string, rows [][]any, out string) error {
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		return err
	}
	if len(cols) == 0 {
		return nil
	}
	if len(recs) != len(rows)+1 {
		return fmt.Errorf("%d lines, want a header and %d rows", len(recs), len(rows))
	}
	if d := cmp.Diff(cols, recs[0]); d != "" {
		return fmt.Errorf("header (-want +got):\n%s", d)
	}
	for i, r := range rows {
		for j, v := range r {
			cell := recs[i+1][j]
			ok := false
			switch v := v.(type) {
			case nil:
				ok = cell == ""
			case int64:
				ok = cell == strconv.FormatInt(v, 10)
			case float64:
				f, err := strconv.ParseFloat(cell, 64)
				ok = (err == nil || math.IsInf(f, 0)) && (f == v || math.IsInf(f, 0) && math.IsInf(v, 0) && (f > 0) == (v > 0))
			case string:
				ok = cell == v
			case []byte:
				ok = cell == base64.StdEncoding.EncodeToString(v)
			}
			if !ok {
				return fmt.Errorf("row %d column %d = %q, raw %#v", i, j, cell, v)
			}
		}
	}
	return nil
}
