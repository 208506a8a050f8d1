package cinch

import (
	"fmt"
	"strings"
)

// ColumnType is one of the column types of SPEC §4.
type ColumnType string

// The column types.
const (
	TypeText    ColumnType = "TEXT"
	TypeInteger ColumnType = "INTEGER"
	TypeReal    ColumnType = "REAL"
	TypeBlob    ColumnType = "BLOB"
	TypeNumeric ColumnType = "NUMERIC"
	TypeBoolean ColumnType = "BOOLEAN"
)

// ColumnTypes lists the accepted types in documentation order.
var ColumnTypes = []ColumnType{TypeText, TypeInteger, TypeReal, TypeBlob, TypeNumeric, TypeBoolean}

// ParseColumnType accepts a type name in any case.
func ParseColumnType(s string) (ColumnType, error) {
	u := ColumnType(strings.ToUpper(strings.TrimSpace(s)))
	for _, t := range ColumnTypes {
		if u == t {
			return t, nil
		}
	}
	return "", &Error{Err: ErrInvalidInput, Message: fmt.Sprintf("unknown column type %s", quoteName(s)),
		Hint: "use one of TEXT, INTEGER, REAL, BLOB, NUMERIC, BOOLEAN"}
}

// FK actions for ForeignKey.OnDelete.
const (
	FKCascade  = "CASCADE"
	FKSetNull  = "SET NULL"
	FKRestrict = "RESTRICT"
)

// ForeignKey is a column's reference to another table's column.
type ForeignKey struct {
	Table    string `json:"table"`
	Column   string `json:"column"`              // defaults to "id"
	OnDelete string `json:"on_delete,omitempty"` // "", CASCADE, SET NULL, RESTRICT
}

// Column is a user column of a table.
type Column struct {
	Name       string      `json:"name"`
	Type       ColumnType  `json:"type"`
	Nullable   bool        `json:"nullable"`
	Unique     bool        `json:"unique,omitempty"`
	Default    *string     `json:"default,omitempty"` // literal value as text; nil means no default
	ForeignKey *ForeignKey `json:"foreign_key,omitempty"`
}

// Validate checks the column's name, type and references.
func (c Column) Validate() error {
	if err := ValidateColumnName(c.Name); err != nil {
		return err
	}
	if _, err := ParseColumnType(string(c.Type)); err != nil {
		return err
	}
	if fk := c.ForeignKey; fk != nil {
		if err := ValidateIdentifier(KindTable, fk.Table); err != nil {
			return err
		}
		if fk.Column != "id" {
			if err := ValidateIdentifier(KindColumn, fk.Column); err != nil {
				return err
			}
		}
		switch fk.OnDelete {
		case "", FKCascade, FKSetNull, FKRestrict:
		default:
			return Errorf(ErrInvalidInput, "invalid foreign key action %q for column %q", fk.OnDelete, c.Name).
				WithHint("use cascade, set_null or restrict")
		}
	}
	if c.Default != nil && c.Type == TypeBoolean {
		switch strings.ToLower(*c.Default) {
		case "true", "false", "0", "1":
		default:
			return Errorf(ErrInvalidInput, "invalid default %q for BOOLEAN column %q", *c.Default, c.Name).WithHint("use true or false")
		}
	}
	return nil
}

// String renders the column back in the CLI's spec syntax.
func (c Column) String() string {
	var b strings.Builder
	b.WriteString(c.Name)
	b.WriteString(":")
	b.WriteString(string(c.Type))
	if !c.Nullable {
		b.WriteString(":not_null")
	}
	if c.Unique {
		b.WriteString(":unique")
	}
	if fk := c.ForeignKey; fk != nil {
		b.WriteString(":fk=" + fk.Table + "." + fk.Column)
		if fk.OnDelete != "" {
			b.WriteString("." + strings.ReplaceAll(strings.ToLower(fk.OnDelete), " ", "_"))
		}
	}
	if c.Default != nil { // last: the parser takes the rest of the spec as the value
		b.WriteString(":default=" + *c.Default)
	}
	return b.String()
}

// ParseColumnSpec parses the CLI column syntax of SPEC §4:
//
//	name:TYPE[?][:modifier...]
//
// with modifiers not_null, unique, default=VALUE and
// fk=table[.column][.cascade|.set_null|.restrict]. Columns are nullable
// unless not_null is given. A default value may itself contain colons only
// as the last modifier (everything after "default=" up to the end is the
// value when it is last).
func ParseColumnSpec(spec string) (Column, error) {
	bad := func(why, hint string) (Column, error) {
		return Column{}, &Error{Err: ErrInvalidInput,
			Message: fmt.Sprintf("invalid column spec %s: %s", quoteName(spec), why),
			Hint:    hint}
	}
	const form = "write name:TYPE[:not_null][:unique][:default=VALUE][:fk=table[.column][.cascade|.set_null|.restrict]], e.g. email:TEXT:not_null:unique"
	parts := strings.Split(spec, ":")
	if len(parts) < 2 {
		return bad("missing type", form)
	}
	col := Column{Name: parts[0], Nullable: true}
	if err := ValidateColumnName(col.Name); err != nil {
		return Column{}, err
	}
	typ := strings.TrimSuffix(parts[1], "?") // TYPE? means nullable, the default
	t, err := ParseColumnType(typ)
	if err != nil {
		return bad(fmt.Sprintf("unknown type %s", quoteName(parts[1])), "use one of TEXT, INTEGER, REAL, BLOB, NUMERIC, BOOLEAN")
	}
	col.Type = t
	seen := map[string]bool{}
	for i := 2; i < len(parts); i++ {
		mod := parts[i]
		key, val, hasVal := strings.Cut(mod, "=")
		key = strings.ToLower(key)
		if seen[key] {
			return bad(fmt.Sprintf("modifier %q given twice", key), form)
		}
		seen[key] = true
		switch key {
		case "not_null", "notnull":
			if hasVal {
				return bad("not_null takes no value", form)
			}
			col.Nullable = false
		case "nullable":
			if hasVal {
				return bad("nullable takes no value", form)
			}
			col.Nullable = true
		case "unique":
			if hasVal {
				return bad("unique takes no value", form)
			}
			col.Unique = true
		case "default":
			if !hasVal {
				return bad("default needs a value", "write default=VALUE")
			}
			// The default is the rest of the spec, so values may hold colons (e.g. times).
			v := strings.Join(append([]string{val}, parts[i+1:]...), ":")
			col.Default = &v
			i = len(parts)
		case "fk":
			if !hasVal || val == "" {
				return bad("fk needs a table", "write fk=table[.column][.cascade|.set_null|.restrict]")
			}
			fk, err := parseFK(val)
			if err != nil {
				return bad(err.Error(), "write fk=table[.column][.cascade|.set_null|.restrict]")
			}
			col.ForeignKey = fk
		default:
			return bad(fmt.Sprintf("unknown modifier %s", quoteName(mod)), form)
		}
	}
	if err := col.Validate(); err != nil {
		return Column{}, err
	}
	return col, nil
}

func parseFK(s string) (*ForeignKey, error) {
	parts := strings.Split(s, ".")
	fk := &ForeignKey{Table: parts[0], Column: "id"}
	rest := parts[1:]
	action := func(p string) (string, bool) {
		switch strings.ToLower(p) {
		case "cascade":
			return FKCascade, true
		case "set_null":
			return FKSetNull, true
		case "restrict":
			return FKRestrict, true
		}
		return "", false
	}
	switch len(rest) {
	case 0:
	case 1:
		if a, ok := action(rest[0]); ok {
			fk.OnDelete = a
		} else {
			fk.Column = rest[0]
		}
	case 2:
		fk.Column = rest[0]
		a, ok := action(rest[1])
		if !ok {
			return nil, fmt.Errorf("unknown foreign key action %q", rest[1])
		}
		fk.OnDelete = a
	default:
		return nil, fmt.Errorf("too many parts in %q", s)
	}
	if err := ValidateIdentifier(KindTable, fk.Table); err != nil {
		return nil, fmt.Errorf("bad table %q", fk.Table)
	}
	if fk.Column != "id" {
		if err := ValidateIdentifier(KindColumn, fk.Column); err != nil {
			return nil, fmt.Errorf("bad column %q", fk.Column)
		}
	}
	return fk, nil
}

// ParseColumnArgs accepts both CLI forms: ["phone:TEXT"] and ["phone", "TEXT"]
// (the second form may carry further modifiers: ["phone", "TEXT", "unique"]).
func ParseColumnArgs(args []string) (Column, error) {
	if len(args) == 0 {
		return Column{}, Errorf(ErrInvalidInput, "missing column").WithHint("write NAME:TYPE, e.g. phone:TEXT")
	}
	if len(args) == 1 {
		return ParseColumnSpec(args[0])
	}
	return ParseColumnSpec(strings.Join(args, ":"))
}
