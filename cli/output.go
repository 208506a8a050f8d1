package cli

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"

	"github.com/cinchdb/cinch"
)

// tableStyle is go-pretty's light style with headers shown as written
// (column names are case-sensitive data, not labels to upper-case).
var tableStyle = func() table.Style {
	s := table.StyleLight
	s.Format.Header = text.FormatDefault
	return s
}()

// writeTable renders headers and rows as a text table.
func writeTable(w io.Writer, headers []string, rows [][]string) error {
	t := table.NewWriter()
	t.SetStyle(tableStyle)
	h := make(table.Row, len(headers))
	for i, s := range headers {
		h[i] = s
	}
	t.AppendHeader(h)
	for _, r := range rows {
		row := make(table.Row, len(r))
		for i, s := range r {
			row[i] = s
		}
		t.AppendRow(row)
	}
	_, err := io.WriteString(w, t.Render()+"\n")
	return err
}

// writeCSV renders headers and rows as CSV.
func writeCSV(w io.Writer, headers []string, rows [][]string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(headers); err != nil {
		return err
	}
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	return cw.Error()
}

// writeJSON writes v as indented JSON followed by a newline.
func writeJSON(w io.Writer, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

// writeRawJSON indents already-encoded JSON and writes it with a newline.
func writeRawJSON(w io.Writer, raw []byte) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return err
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

// emit writes data in the chosen format: jsonValue for json, headers and
// rows for table and csv.
func (a *app) emit(jsonValue any, headers []string, rows [][]string) error {
	switch a.format {
	case FormatJSON:
		return writeJSON(a.stdout, jsonValue)
	case FormatCSV:
		return writeCSV(a.stdout, headers, rows)
	default:
		return writeTable(a.stdout, headers, rows)
	}
}

// rowsOf renders each item of a list as one table row.
func rowsOf[T any](list []T, row func(T) []string) [][]string {
	rows := make([][]string, len(list))
	for i, x := range list {
		rows[i] = row(x)
	}
	return rows
}

// emitList writes a list: the items themselves in JSON ([] when there are
// none), else one row per item under headers.
func emitList[T any](a *app, list []T, headers []string, row func(T) []string) error {
	return a.emit(orEmpty(list), headers, rowsOf(list, row))
}

// emitFields writes one object: as JSON, or as a two-column field/value
// table (or CSV).
func (a *app) emitFields(jsonValue any, fields [][2]string) error {
	rows := make([][]string, len(fields))
	for i, f := range fields {
		rows[i] = []string{f[0], f[1]}
	}
	return a.emit(jsonValue, []string{"field", "value"}, rows)
}

// done reports a successful mutation: jsonValue with --format json, else
// the short message.
func (a *app) done(jsonValue any, format string, args ...any) error {
	if a.format == FormatJSON {
		return writeJSON(a.stdout, jsonValue)
	}
	_, err := fmt.Fprintf(a.stdout, format+"\n", args...)
	return err
}

// note writes a remark for humans on stderr, so it never mixes with data.
func (a *app) note(format string, args ...any) {
	fmt.Fprintf(a.stderr, format+"\n", args...)
}

// formatValue renders one cell. Table cells show NULL for nil; CSV cells
// leave it empty. Blobs are base64, as in JSON.
func formatValue(v any, forCSV bool) string {
	switch x := v.(type) {
	case nil:
		if forCSV {
			return ""
		}
		return "NULL"
	case string:
		return x
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case float64:
		data, err := json.Marshal(x)
		if err != nil { // NaN, Inf
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
		return string(data)
	case json.Number:
		return x.String()
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	default:
		data, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(data)
	}
}

func orderedObject(buf *bytes.Buffer, columns []string, r cinch.Record) error {
	buf.WriteByte('{')
	for j, c := range columns {
		if j > 0 {
			buf.WriteByte(',')
		}
		k, err := json.Marshal(c)
		if err != nil {
			return err
		}
		v, err := json.Marshal(r[c])
		if err != nil {
			return fmt.Errorf("column %q: %w", c, err)
		}
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return nil
}

// recordColumns orders a stored record's keys: the automatic columns
// first, then the others by name.
func recordColumns(r cinch.Record) []string {
	var cols, rest []string
	for _, c := range cinch.ReservedColumns {
		if _, ok := r[c]; ok {
			cols = append(cols, c)
		}
	}
	for k := range r {
		reserved := false
		for _, c := range cinch.ReservedColumns {
			reserved = reserved || k == c
		}
		if !reserved {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	return append(cols, rest...)
}

// writeRecords writes stored records (insert, update): one object, or an
// array when many is set.
func writeRecords(w io.Writer, recs []cinch.Record, many bool) error {
	if !many && len(recs) == 1 {
		var buf bytes.Buffer
		if err := orderedObject(&buf, recordColumns(recs[0]), recs[0]); err != nil {
			return err
		}
		return writeRawJSON(w, buf.Bytes())
	}
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, r := range recs {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := orderedObject(&buf, recordColumns(r), r); err != nil {
			return err
		}
	}
	buf.WriteByte(']')
	return writeRawJSON(w, buf.Bytes())
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// sizeText renders a byte count for humans.
func sizeText(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// orEmpty makes a nil slice encode as [] rather than null.
func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// truncate shortens s to at most n runes, marking the cut with "...".
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-3]) + "..."
}

// maintenanceSummary is the JSON of `tenant vacuum` and `tenant analyze`.
type maintenanceSummary struct {
	Tenants        int                       `json:"tenants"`
	Skipped        int                       `json:"skipped"` // lazy: nothing on disk
	Failed         int                       `json:"failed"`
	ReclaimedBytes int64                     `json:"reclaimed_bytes"`
	Results        []cinch.MaintenanceResult `json:"results"`
}

// writeMaintenance prints the results of a maintenance verb (vacuum,
// analyze) run on many tenants: every tenant's sizes and status (in table
// format only the failures past 50 tenants) and a summary line; an error
// when any tenant failed.
func (a *app) writeMaintenance(verb, past string, results []cinch.MaintenanceResult) error {
	sum := maintenanceSummary{Results: orEmpty(results)}
	rows := make([][]string, 0, len(results))
	for _, r := range results {
		status := "ok"
		switch {
		case r.Error != "":
			sum.Failed++
			status = "FAILED: " + oneLine(r.Error)
		case r.BytesBefore == 0:
			sum.Skipped++
			status = "skipped (lazy: no file yet)"
		default:
			sum.Tenants++
			if d := r.BytesBefore - r.BytesAfter; d > 0 {
				sum.ReclaimedBytes += d
			}
		}
		rows = append(rows, []string{r.Tenant, sizeText(r.BytesBefore), sizeText(r.BytesAfter), status})
	}
	switch a.format {
	case FormatJSON:
		if err := writeJSON(a.stdout, sum); err != nil {
			return err
		}
	case FormatCSV:
		for i, r := range results {
			rows[i][1], rows[i][2] = strconv.FormatInt(r.BytesBefore, 10), strconv.FormatInt(r.BytesAfter, 10)
		}
		if err := writeCSV(a.stdout, []string{"tenant", "bytes_before", "bytes_after", "status"}, rows); err != nil {
			return err
		}
	default:
		if len(rows) <= 50 || sum.Failed > 0 {
			if len(rows) > 50 { // only the failures: the summary says the rest
				rows = slices.DeleteFunc(rows, func(r []string) bool { return !strings.HasPrefix(r[3], "FAILED") })
			}
			if err := writeTable(a.stdout, []string{"tenant", "size_before", "size_after", "status"}, rows); err != nil {
				return err
			}
		}
		line := fmt.Sprintf("%s %d %s", past, sum.Tenants, plural(int64(sum.Tenants), "tenant", "tenants"))
		if verb == "vacuum" {
			line += ", reclaimed " + sizeText(sum.ReclaimedBytes)
		}
		if sum.Skipped > 0 {
			line += fmt.Sprintf(", skipped %d lazy", sum.Skipped)
		}
		line += fmt.Sprintf(", %d %s", sum.Failed, plural(int64(sum.Failed), "failure", "failures"))
		fmt.Fprintln(a.stdout, line)
	}
	if sum.Failed > 0 {
		return &cinch.Error{Err: cinch.ErrInternal,
			Message: fmt.Sprintf("%s failed on %d of %d %s", verb, sum.Failed, len(results), plural(int64(len(results)), "tenant", "tenants")),
			Hint:    "run `cinch tenant check NAME` on the failed ones"}
	}
	return nil
}
