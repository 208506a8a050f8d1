package codegen

import (
	"fmt"
	"go/format"
	"strconv"
	"strings"
	"unicode"

	"github.com/cinchdb/cinch"
)

// goTimeType is the generated timestamp type; no model may take its name.
const goTimeType = "Time"

func goType(f field) string {
	t := map[kind]string{
		kText: "string", kInteger: "int64", kReal: "float64", kNumeric: "float64",
		kBool: "bool", kBlob: "[]byte", kTime: goTimeType, kAny: "any",
	}[f.kind]
	// []byte is nil for NULL and any holds nil: neither needs a pointer.
	if f.nullable && f.kind != kBlob && f.kind != kAny {
		return "*" + t
	}
	return t
}

// goTag renders a field's struct tag: db for sqlx and scanners that read
// it, json for encoding/json (left out when the column name cannot be a
// json tag name, e.g. a view column "a,b").
func goTag(column string) string {
	tag := "db:" + strconv.Quote(column)
	if validJSONTag(column) {
		tag += " json:" + strconv.Quote(column)
	}
	if strings.Contains(tag, "`") {
		return strconv.Quote(tag)
	}
	return "`" + tag + "`"
}

// validJSONTag is encoding/json's rule for a tag name (isValidTag), and
// no comma (which starts the tag's options).
func validJSONTag(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}

// goComment keeps a comment on one line.
func goComment(s string) string {
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}

func generateGo(s *Schema, models []model, pkg string) ([]byte, error) {
	var b strings.Builder
	b.WriteString("// " + header + "\n// " + goComment(source(s)) + "\n\n")
	b.WriteString("package " + pkg + "\n\n")
	hasTime := uses(models, kTime)
	if hasTime {
		b.WriteString("import (\n\t\"database/sql/driver\"\n\t\"fmt\"\n\t\"time\"\n)\n\n")
	}
	names := typeNames(models, goInitialisms, set(goTimeType))
	for i, m := range models {
		fmt.Fprintf(&b, "// %s is a row of %s.", names[i], m.what())
		if m.view {
			b.WriteString("\n// SQLite does not say whether a view's column can be NULL, so every field\n// is nullable.")
		}
		b.WriteString("\n")
		fmt.Fprintf(&b, "type %s struct {\n", names[i])
		bases := make([]string, len(m.fields))
		for j, f := range m.fields {
			bases[j] = pascal(fieldWords(f.column, j), goInitialisms)
		}
		fields := assign(bases, set(), "", "_")
		for j, f := range m.fields {
			fmt.Fprintf(&b, "\t%s %s %s // %s\n", fields[j], goType(f), goTag(f.column), goComment(f.doc))
		}
		b.WriteString("}\n\n")
	}
	if hasTime {
		b.WriteString(goTimeSource)
	}
	out, err := format.Source([]byte(b.String()))
	if err != nil {
		return nil, fmt.Errorf("%w: generated Go does not parse: %v", cinch.ErrInternal, err)
	}
	return out, nil
}

// goTimeSource is the Time type of every Go file with a timestamp.
const goTimeSource = `// Time is a timestamp column (created_at, updated_at). cinch stores
// timestamps as RFC 3339 text in UTC with milliseconds
// ("2006-01-02T15:04:05.000Z"), which database/sql cannot scan into a
// time.Time by itself; Time can, writes the same text back (so it compares
// with stored timestamps as text does), and is JSON in the same form.
type Time struct{ time.Time }

// cinchTimeFormat is how cinch stores timestamps (cinch.TimeFormat).
const cinchTimeFormat = "2006-01-02T15:04:05.000Z"

// Scan implements sql.Scanner: RFC 3339 text, or a time.Time.
func (t *Time) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		t.Time = v
		return nil
	case string:
		return t.parse(v)
	case []byte:
		return t.parse(string(v))
	}
	return fmt.Errorf("cinch: cannot scan %T into a Time: want RFC 3339 text", src)
}

func (t *Time) parse(s string) error {
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("cinch: timestamp %q is not RFC 3339 text: %w", s, err)
	}
	t.Time = v
	return nil
}

// Value implements driver.Valuer: the time as cinch stores it.
func (t Time) Value() (driver.Value, error) { return t.UTC().Format(cinchTimeFormat), nil }

// MarshalJSON writes the time as cinch stores it; UnmarshalJSON (from
// time.Time) reads any RFC 3339 time.
func (t Time) MarshalJSON() ([]byte, error) {
	return []byte("\"" + t.UTC().Format(cinchTimeFormat) + "\""), nil
}
`
