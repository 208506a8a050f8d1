package cli

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/cinchdb/cinch"
	"github.com/cinchdb/cinch/internal/wire"
)

// tablePageRows is how many rows a text table holds before it is printed
// and a new one starts: a table needs all its rows to size its columns,
// and a result of millions of rows must not be held in memory.
const tablePageRows = 1000

// jsonKeys names the members of a row object in --format json: the column
// names, with a repeated name suffixed (id, id_2, id_3) so no value is
// dropped; a suffix never takes the name of another column.
func jsonKeys(columns []string) []string {
	taken := make(map[string]bool, len(columns))
	for _, c := range columns {
		taken[c] = true
	}
	seen := make(map[string]bool, len(columns))
	keys := make([]string, len(columns))
	for i, c := range columns {
		if !seen[c] {
			seen[c] = true
			keys[i] = c
			continue
		}
		for n := 2; ; n++ {
			k := c + "_" + strconv.Itoa(n)
			if !taken[k] {
				taken[k] = true
				keys[i] = k
				break
			}
		}
	}
	return keys
}

// appendRowObject appends one row as a JSON object with keys in column
// order (indented as json.MarshalIndent would inside an array).
func appendRowObject(b []byte, keys []string, row []any, indent string) []byte {
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '\n')
		b = append(b, indent...)
		b = append(b, "  "...)
		b = wire.AppendString(b, k)
		b = append(b, ": "...)
		var v any
		if i < len(row) {
			v = row[i]
		}
		b = wire.AppendValue(b, v)
	}
	if len(keys) > 0 {
		b = append(b, '\n')
		b = append(b, indent...)
	}
	return append(b, '}')
}

// rowPrinter is the cinch.RowWriter behind `cinch query`: rows reach
// stdout as they are read, in the chosen format, so memory does not grow
// with the result. Call close when the query returns.
type rowPrinter struct {
	out     *bufio.Writer
	format  string
	columns []string
	keys    []string // JSON member names (jsonKeys)
	csv     *csv.Writer
	page    [][]string // table rows not printed yet
	rows    int
	buf     []byte
}

var _ cinch.RowWriter = (*rowPrinter)(nil)

func newRowPrinter(w io.Writer, format string) *rowPrinter {
	return &rowPrinter{out: bufio.NewWriterSize(w, 64<<10), format: format}
}

func (p *rowPrinter) WriteColumns(names []string) error {
	p.columns = names
	switch p.format {
	case FormatJSON:
		p.keys = jsonKeys(names)
	case FormatCSV:
		if len(names) > 0 {
			p.csv = csv.NewWriter(p.out)
			return p.csv.Write(names)
		}
	}
	return nil
}

func (p *rowPrinter) WriteRow(values []any) error {
	p.rows++
	switch p.format {
	case FormatJSON:
		p.buf = p.buf[:0]
		if p.rows == 1 {
			p.buf = append(p.buf, "[\n  "...)
		} else {
			p.buf = append(p.buf, ",\n  "...)
		}
		p.buf = appendRowObject(p.buf, p.keys, values, "  ")
		_, err := p.out.Write(p.buf)
		return err
	case FormatCSV:
		return p.csv.Write(rowCells(values, true))
	default:
		p.page = append(p.page, rowCells(values, false))
		if len(p.page) >= tablePageRows {
			return p.flushPage()
		}
		return nil
	}
}

func (p *rowPrinter) flushPage() error {
	if len(p.page) == 0 {
		return nil
	}
	err := writeTable(p.out, p.columns, p.page)
	p.page = p.page[:0]
	return err
}

// close ends the output: the JSON array's end, the last table page and
// the row count, or for a statement without columns the rows affected.
// res is nil when the query failed; what was printed stays printed.
func (p *rowPrinter) close(res *cinch.Result) error {
	if res != nil && len(p.columns) == 0 && p.rows == 0 {
		n := res.RowsAffected
		switch p.format {
		case FormatJSON:
			fmt.Fprintf(p.out, "{\n  \"rows_affected\": %d\n}\n", n)
		case FormatCSV:
			fmt.Fprintf(p.out, "rows_affected\n%d\n", n)
		default:
			fmt.Fprintf(p.out, "%d %s affected\n", n, plural(n, "row", "rows"))
		}
		return p.out.Flush()
	}
	if res == nil && p.rows == 0 { // failed before any row: stdout stays empty
		return p.out.Flush()
	}
	switch p.format {
	case FormatJSON:
		if p.rows == 0 {
			p.out.WriteString("[]\n")
		} else { // ended even after a failure, so stdout stays valid JSON
			p.out.WriteString("\n]\n")
		}
	case FormatCSV:
		if p.csv != nil {
			p.csv.Flush()
			if err := p.csv.Error(); err != nil {
				return err
			}
		}
	default:
		if p.rows == 0 {
			p.flushEmpty()
		}
		if err := p.flushPage(); err != nil {
			return err
		}
		if res != nil {
			fmt.Fprintf(p.out, "(%d %s)\n", p.rows, plural(int64(p.rows), "row", "rows"))
		}
	}
	return p.out.Flush()
}

// flushEmpty prints the header of a result without rows.
func (p *rowPrinter) flushEmpty() { writeTable(p.out, p.columns, nil) }

// rowCells renders a row's values as text cells.
func rowCells(values []any, forCSV bool) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = formatValue(v, forCSV)
	}
	return out
}

// writeResult writes a whole query result in format, as rowPrinter would.
func writeResult(w io.Writer, format string, r *cinch.Result) error {
	p := newRowPrinter(w, format)
	if err := p.WriteColumns(r.Columns); err != nil {
		return err
	}
	for _, row := range r.Rows {
		if err := p.WriteRow(row); err != nil {
			return err
		}
	}
	return p.close(r)
}

// rowObjects encodes rows as a JSON array of objects (keys from jsonKeys),
// unindented.
func rowObjects(columns []string, rows [][]any) []byte {
	keys := jsonKeys(columns)
	var b bytes.Buffer
	b.WriteByte('[')
	var buf []byte
	for i, r := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		buf = appendRowObject(buf[:0], keys, r, "")
		b.Write(buf)
	}
	b.WriteByte(']')
	return b.Bytes()
}

// writeFanOut prints the answers of a fan-out query: table and CSV with a
// leading tenant column, JSON as [{"tenant": NAME, "rows": [...]}] or
// {"tenant": NAME, "error": MSG}. Notes on truncated answers and, outside
// JSON, the failed tenants (failed of them) follow on stderr.
func (a *app) writeFanOut(results []cinch.TenantResult, failed int) error {
	switch a.format {
	case FormatJSON:
		var js bytes.Buffer
		js.WriteByte('[')
		for i, r := range results {
			if i > 0 {
				js.WriteByte(',')
			}
			name, _ := json.Marshal(r.Tenant)
			if r.Err != nil {
				msg, _ := json.Marshal(errorMessage(r.Err))
				fmt.Fprintf(&js, `{"tenant":%s,"error":%s}`, name, msg)
				continue
			}
			res := r.Result
			if res == nil {
				res = &cinch.Result{}
			}
			fmt.Fprintf(&js, `{"tenant":%s,"rows":%s}`, name, rowObjects(res.Columns, res.Rows))
		}
		js.WriteByte(']')
		if err := writeRawJSON(a.stdout, js.Bytes()); err != nil {
			return err
		}
	default:
		// Tenants normally answer with the same columns; one whose schema
		// differs (a column only some tenants have) is lined up by name.
		var columns []string
		first := true
		for _, r := range results {
			if r.Err != nil || r.Result == nil {
				continue
			}
			if first {
				columns, first = slices.Clone(r.Result.Columns), false
				continue
			}
			for _, c := range r.Result.Columns {
				if !slices.Contains(columns, c) {
					columns = append(columns, c)
				}
			}
		}
		var lines [][]string
		for _, r := range results {
			if r.Err != nil || r.Result == nil {
				continue
			}
			for _, row := range r.Result.Rows {
				line := make([]string, 1, len(columns)+1)
				line[0] = r.Tenant
				for _, v := range alignRow(columns, r.Result.Columns, row) {
					line = append(line, formatValue(v, a.format == FormatCSV))
				}
				lines = append(lines, line)
			}
		}
		headers := append([]string{"tenant"}, columns...)
		if a.format == FormatCSV {
			if err := writeCSV(a.stdout, headers, lines); err != nil {
				return err
			}
		} else {
			if err := writeTable(a.stdout, headers, lines); err != nil {
				return err
			}
			ok := len(results) - failed
			fmt.Fprintf(a.stdout, "(%d %s from %d %s)\n", len(lines), plural(int64(len(lines)), "row", "rows"), ok, plural(int64(ok), "tenant", "tenants"))
		}
	}
	for _, r := range results {
		if r.Err == nil && r.Result != nil && r.Result.Truncated {
			a.note("(tenant %s: showing the first %d rows; raise --limit to see more)", r.Tenant, len(r.Result.Rows))
		}
	}
	if failed > 0 && a.format != FormatJSON {
		for _, r := range results {
			if r.Err != nil {
				a.note("tenant %s: %s", r.Tenant, errorMessage(r.Err))
			}
		}
	}
	return nil
}

// alignRow puts a row with the given columns under the table's columns:
// as it is when they are the same, else each table column takes the first
// of the row's columns of that name (nil when it has none).
func alignRow(table, columns []string, row []any) []any {
	if slices.Equal(table, columns) {
		return row
	}
	out := make([]any, len(table))
	for i, c := range table {
		if j := slices.Index(columns, c); j >= 0 && j < len(row) {
			out[i] = row[j]
		}
	}
	return out
}
