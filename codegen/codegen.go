// Package codegen writes typed models of a branch's tables and views: Go
// structs (db and json tags, for database/sql, sqlx and encoding/json),
// TypeScript interfaces and Python dataclasses, each with a function that
// builds a model from a record (column name → value) as cinch returns it.
//
// Generate is pure: a Schema in, source text out. Load reads a Schema from
// a cinch.DB (local or remote). `cinch codegen LANG` and the server's
// GET .../branches/{branch}/codegen route are both Load then Generate.
//
// Types, in every language (nullable columns are optional: a Go pointer,
// TypeScript `?: T | null`, Python `T | None = None`):
//
//	column              Go        TypeScript   Python
//	TEXT                string    string       str
//	INTEGER             int64     number       int
//	REAL                float64   number       float
//	NUMERIC             float64   number       float
//	BOOLEAN             bool      boolean      bool
//	BLOB                []byte    Uint8Array   bytes
//	created_at/_at      Time      Date         datetime.datetime
//	view, no type       any       unknown      typing.Any
//
// created_at and updated_at are RFC 3339 text in SQLite (cinch.TimeFormat).
// database/sql cannot scan text into a time.Time (the driver only decodes
// times for DATE/DATETIME/TIMESTAMP columns), so the Go file defines a Time
// type (time.Time embedded) that scans that text and writes it back the
// same way.
package codegen

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/cinchdb/cinch"
)

// Language is a target language of Generate.
type Language string

// The languages.
const (
	Go         Language = "go"
	TypeScript Language = "typescript"
	Python     Language = "python"
)

// Languages lists the languages in documentation order.
var Languages = []Language{Go, TypeScript, Python}

// ParseLanguage accepts go, typescript (or ts) and python (or py), in any case.
func ParseLanguage(s string) (Language, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "go", "golang":
		return Go, nil
	case "typescript", "ts":
		return TypeScript, nil
	case "python", "py":
		return Python, nil
	}
	return "", cinch.Errorf(cinch.ErrInvalidInput, "unknown language %q for codegen", s).
		WithHint("use go, typescript or python")
}

// FileName is the file Generate's output is meant for: models.go,
// models.ts or models.py.
func (l Language) FileName() string {
	switch l {
	case TypeScript:
		return "models.ts"
	case Python:
		return "models.py"
	}
	return "models.go"
}

// Schema is what Generate reads: the tables and views of one branch.
type Schema struct {
	// Database and Branch only name the source in the generated header;
	// either may be empty.
	Database, Branch string
	Tables           []cinch.TableInfo
	Views            []View
}

// View is a view with the columns SQLite reports for it.
type View struct {
	cinch.ViewInfo
	Columns []ViewColumn
}

// ViewColumn is a column of a view: its name, and its type as PRAGMA
// table_info gives it: the declared type of the table column it comes
// from ("TEXT", "BOOLEAN"), the affinity of an expression that has one
// ("INT", "NUM", ...), or "" (count(*), literals, ...). SQLite does not say
// whether a view column can be NULL, so every one is nullable.
type ViewColumn struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// Options tune Generate.
type Options struct {
	// Package is the Go package name (default "models"); other languages
	// ignore it.
	Package string
}

// DefaultPackage is the Go package name when Options.Package is empty.
const DefaultPackage = "models"

// plainDefault is a default shown as it is in comments; others are quoted.
var plainDefault = regexp.MustCompile(`^[A-Za-z0-9_.:/+-]+$`)

func literal(v string) string {
	if plainDefault.MatchString(v) {
		return v
	}
	return quoteJSON(v)
}

// plainType is a declared type shown as it is in comments; others are quoted.
var plainType = regexp.MustCompile(`^[A-Za-z0-9_ (),]+$`)

func typeText(t string) string {
	if t = strings.ToUpper(t); plainType.MatchString(t) {
		return t
	}
	return quoteJSON(t)
}

var goPackageName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// Generate returns the source of the models of s in lang.
func Generate(lang Language, s *Schema, opts Options) ([]byte, error) {
	models := buildModels(s)
	switch lang {
	case Go:
		pkg := opts.Package
		if pkg == "" {
			pkg = DefaultPackage
		}
		if !goPackageName.MatchString(pkg) || goKeywords[pkg] || pkg == "_" {
			return nil, cinch.Errorf(cinch.ErrInvalidInput, "invalid Go package name %q", pkg).
				WithHint("use lower-case letters, digits and _, starting with a letter, e.g. models")
		}
		return generateGo(s, models, pkg)
	case TypeScript:
		return generateTypeScript(s, models), nil
	case Python:
		return generatePython(s, models), nil
	}
	_, err := ParseLanguage(string(lang))
	return nil, err
}

// kind is a field's type, independent of the language.
type kind int

const (
	kText kind = iota
	kInteger
	kReal
	kNumeric
	kBool
	kBlob
	kTime
	kAny
)

// field is one column of a model.
type field struct {
	column   string // the column's name in SQL
	kind     kind
	nullable bool
	doc      string // what the comment says after the name
}

// model is one table or view.
type model struct {
	name   string // the table's or view's name in SQL
	view   bool
	fields []field
}

func buildModels(s *Schema) []model {
	var out []model
	for _, t := range s.Tables {
		m := model{name: t.Name}
		for _, c := range t.Columns {
			m.fields = append(m.fields, tableField(c))
		}
		out = append(out, m)
	}
	for _, v := range s.Views {
		m := model{name: v.Name, view: true}
		for _, c := range v.Columns {
			m.fields = append(m.fields, viewField(c))
		}
		out = append(out, m)
	}
	return out
}

func isTimestamp(name string) bool { return name == "created_at" || name == "updated_at" }

func tableField(c cinch.ColumnInfo) field {
	f := field{column: c.Name, nullable: c.Nullable && !c.PrimaryKey}
	if c.Automatic {
		switch {
		case c.PrimaryKey:
			f.kind, f.doc = kText, "automatic primary key (TEXT, a UUID unless given)"
		case c.Name == "created_at":
			f.kind, f.doc = kTime, "automatic: set on insert (RFC 3339 text, UTC)"
		case c.Name == "updated_at":
			f.kind, f.doc = kTime, "automatic: moves on every update (RFC 3339 text, UTC)"
		default:
			f.kind, f.doc = typeKind(c.Type), "automatic "+strings.ToUpper(c.Type)
		}
		return f
	}
	f.kind = typeKind(c.Type)
	parts := []string{strings.ToUpper(c.Type)}
	if !c.Nullable {
		parts = append(parts, "NOT NULL")
	}
	if c.Unique {
		parts = append(parts, "UNIQUE")
	}
	if c.Default != nil {
		parts = append(parts, "DEFAULT "+literal(*c.Default))
	}
	if fk := c.ForeignKey; fk != nil {
		ref := "REFERENCES " + fk.Table + "(" + fk.Column + ")"
		if fk.OnDelete != "" {
			ref += " ON DELETE " + fk.OnDelete
		}
		parts = append(parts, ref)
	}
	f.doc = strings.Join(parts, " ")
	return f
}

// typeKind maps a cinch column type; anything else by SQLite's affinity
// rules (https://sqlite.org/datatype3.html, 3.1), for view columns.
func typeKind(typ string) kind {
	t := strings.ToUpper(strings.TrimSpace(typ))
	switch {
	case t == "":
		return kAny
	case t == string(cinch.TypeBoolean) || t == "BOOL":
		return kBool
	case strings.Contains(t, "INT"):
		return kInteger
	case strings.Contains(t, "CHAR"), strings.Contains(t, "CLOB"), strings.Contains(t, "TEXT"):
		return kText
	case strings.Contains(t, "BLOB"):
		return kBlob
	case strings.Contains(t, "REAL"), strings.Contains(t, "FLOA"), strings.Contains(t, "DOUB"):
		return kReal
	}
	return kNumeric
}

func viewField(c ViewColumn) field {
	f := field{column: c.Name, nullable: true, kind: typeKind(c.Type)}
	switch {
	case c.Type == "":
		f.doc = "view column without a declared type"
	case f.kind == kText && isTimestamp(c.Name):
		// A view's created_at/updated_at of type TEXT is, in practice,
		// a table's timestamp passed through.
		f.kind, f.doc = kTime, "view column, TEXT (taken as an RFC 3339 timestamp for its name)"
	default:
		f.doc = "view column, " + typeText(c.Type)
	}
	return f
}

// header is the first comment line of every generated file, in the form
// Go's tools recognize (https://go.dev/s/generatedcode).
const header = "Code generated by cinch codegen; DO NOT EDIT."

// source says where the models come from, for the header.
func source(s *Schema) string {
	var parts []string
	if s.Database != "" {
		parts = append(parts, "database "+quoteJSON(s.Database))
	}
	if s.Branch != "" {
		parts = append(parts, "branch "+quoteJSON(s.Branch))
	}
	parts = append(parts, fmt.Sprintf("%d %s, %d %s", len(s.Tables), plural(len(s.Tables), "table"), len(s.Views), plural(len(s.Views), "view")))
	return "Source: " + strings.Join(parts, ", ") + "."
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// what names a model for its doc comment.
func (m model) what() string {
	if m.view {
		return "view " + quoteJSON(m.name)
	}
	return "table " + quoteJSON(m.name)
}

// uses reports whether any field of models has kind k.
func uses(models []model, k kind) bool {
	for _, m := range models {
		for _, f := range m.fields {
			if f.kind == k {
				return true
			}
		}
	}
	return false
}

// usesNullable reports whether any field of models is nullable.
func usesNullable(models []model) bool {
	for _, m := range models {
		for _, f := range m.fields {
			if f.nullable && f.kind != kAny {
				return true
			}
		}
	}
	return false
}
