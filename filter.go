package cinch

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Row filters: the conditions of FilterQuerier (Select, UpdateWhere,
// DeleteWhere), built in Go with Where and written as text on the command
// line and in URLs (ParseFilter):
//
//	name=Alice   age>30   name like A%   id in (a, b)   phone is null
//
// A filter names a column and compares it with values. Names are checked
// (against SPEC §3 here, against the table's schema by the engine); values
// are always bound as SQL parameters, never written into the SQL.

// Op is a filter operator.
type Op string

// The filter operators.
const (
	OpEq      Op = "="
	OpNe      Op = "!="
	OpGt      Op = ">"
	OpGe      Op = ">="
	OpLt      Op = "<"
	OpLe      Op = "<="
	OpLike    Op = "like"        // SQLite's LIKE: % any run, _ one character, ASCII case-insensitive
	OpIn      Op = "in"          // one of the values
	OpIsNull  Op = "is null"     // no value
	OpNotNull Op = "is not null" // no value
	// OpAll matches every row (AllRows): the explicit "yes, every row"
	// that UpdateWhere and DeleteWhere need when nothing else narrows them.
	OpAll Op = "all"
)

// MaxInValues caps the values of one "in" filter.
const MaxInValues = 1000

// comparisonOps are the symbolic operators, longest first (the parser
// tries them in this order), with the spellings ParseFilter also accepts.
var comparisonOps = []struct {
	text string
	op   Op
}{
	{">=", OpGe}, {"<=", OpLe}, {"!=", OpNe}, {"<>", OpNe}, {"==", OpEq},
	{"=", OpEq}, {">", OpGt}, {"<", OpLt},
}

// Filter is one condition on a column. Values holds the one value of a
// comparison or like, the values of in, and nothing for is null, is not
// null and all. Values are nil-free scalars: bool, integers, floats,
// string, []byte (local handles only: a BLOB has no text form),
// json.Number or time.Time (compared as its cinch.TimeFormat text).
type Filter struct {
	Column string `json:"column,omitempty"`
	Op     Op     `json:"op"`
	Values []any  `json:"values,omitempty"`
}

// Where builds a filter: Where("age", ">", 30), Where("name", "like",
// "A%"), Where("id", "in", "a", "b"), Where("phone", "is null"). The
// operator is read like ParseFilter reads it (any case, <> for !=).
// Nothing is checked until the filter is used (see Filter.Validate).
func Where(column string, op Op, values ...any) Filter {
	if canon, ok := parseOp(string(op)); ok {
		op = canon
	}
	return Filter{Column: column, Op: op, Values: values}
}

// AllRows is the filter that matches every row. UpdateWhere and
// DeleteWhere refuse an empty filter list; AllRows says that every row is
// meant (HTTP: all=true; CLI: --all).
func AllRows() Filter { return Filter{Op: OpAll} }

// parseOp returns the canonical operator for s (any case and spacing).
func parseOp(s string) (Op, bool) {
	s = strings.ToLower(strings.Join(strings.Fields(s), " "))
	for _, c := range comparisonOps {
		if s == c.text {
			return c.op, true
		}
	}
	switch op := Op(s); op {
	case OpLike, OpIn, OpIsNull, OpNotNull, OpAll:
		return op, true
	}
	return "", false
}

const filterHint = "write a filter as COLUMN OP VALUE: name=Alice, age>30, age<=65, name!=Bob, name like A%, " +
	"id in (a, b), phone is null, phone is not null; quote a value with spaces or commas: name='Ada Lovelace'"

func filterError(format string, args ...any) *Error {
	return &Error{Err: ErrInvalidInput, Message: fmt.Sprintf(format, args...), Hint: filterHint}
}

// Validate checks the filter's column name (SPEC §3), operator, and the
// number and types of its values. The engine checks the column against
// the table.
func (f Filter) Validate() error {
	if f.Op == OpAll {
		if f.Column != "" || len(f.Values) > 0 {
			return filterError("the all filter takes no column and no value")
		}
		return nil
	}
	if err := ValidateIdentifier(KindColumn, f.Column); err != nil {
		return err
	}
	if op, ok := parseOp(string(f.Op)); !ok || op != f.Op {
		return filterError("unknown filter operator %s on column %s", quoteName(string(f.Op)), f.Column)
	}
	switch f.Op {
	case OpIsNull, OpNotNull:
		if len(f.Values) != 0 {
			return filterError("filter %s %s takes no value", f.Column, f.Op)
		}
	case OpIn:
		if len(f.Values) == 0 {
			return filterError("filter %s in (...) needs at least one value", f.Column)
		}
		if len(f.Values) > MaxInValues {
			return &Error{Err: ErrLimitExceeded, Message: fmt.Sprintf("filter %s in (...) has %d values, over the limit of %d", f.Column, len(f.Values), MaxInValues),
				Hint: "split the work into several calls"}
		}
	default:
		if len(f.Values) != 1 {
			return filterError("filter %s %s takes exactly one value, got %d", f.Column, f.Op, len(f.Values))
		}
	}
	for _, v := range f.Values {
		if err := checkFilterValue(f.Column, v); err != nil {
			return err
		}
	}
	return nil
}

// checkFilterValue accepts the values a parameter can bind.
func checkFilterValue(col string, v any) error {
	switch v := v.(type) {
	case nil:
		return &Error{Err: ErrInvalidInput, Message: fmt.Sprintf("filter on %s compares with nil", col),
			Hint: "NULL is never equal to anything: use " + col + " is null (cinch.Where(\"" + col + "\", \"is null\"))"}
	case float64:
		if math.IsNaN(v) {
			return Errorf(ErrInvalidInput, "filter on %s compares with NaN, which matches nothing", col)
		}
	case float32:
		if math.IsNaN(float64(v)) {
			return Errorf(ErrInvalidInput, "filter on %s compares with NaN, which matches nothing", col)
		}
	case json.Number:
		if _, err := strconv.ParseFloat(string(v), 64); err != nil && !errors.Is(err, strconv.ErrRange) {
			return Errorf(ErrInvalidInput, "filter on %s: bad number %q", col, string(v))
		}
	case bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, string, []byte, time.Time:
	default:
		return &Error{Err: ErrInvalidInput, Message: fmt.Sprintf("filter on %s: unsupported value type %T", col, v),
			Hint: "use bool, integers, floats, strings, []byte or time.Time"}
	}
	return nil
}

// valueText is a filter value's text form.
func valueText(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case bool:
		return strconv.FormatBool(v), nil
	case float32:
		return floatText(float64(v), 32), nil
	case float64:
		return floatText(v, 64), nil
	case json.Number:
		return string(v), nil
	case time.Time:
		return v.UTC().Format(TimeFormat), nil
	case []byte:
		return "", &Error{Err: ErrInvalidInput, Message: "a BLOB filter value has no text form",
			Hint: "filter on blobs with a local handle, or with a query and a parameter"}
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return fmt.Sprint(v), nil
	}
	return "", checkFilterValue("?", v)
}

// floatText writes infinities as ±9e999, which SQLite reads back as them
// (as the HTTP API does).
func floatText(f float64, bits int) string {
	switch {
	case math.IsInf(f, 1):
		return "9e999"
	case math.IsInf(f, -1):
		return "-9e999"
	}
	return strconv.FormatFloat(f, 'g', -1, bits)
}

// MarshalText writes the filter in the form ParseFilter reads: values as
// text, quoted when they would not read back as they are. The all filter
// and BLOB values have no text form.
func (f Filter) MarshalText() ([]byte, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString(f.Column)
	switch f.Op {
	case OpAll:
		return nil, filterError("the all filter has no text form (HTTP: all=true; CLI: --all)")
	case OpIsNull, OpNotNull:
		b.WriteString(" " + string(f.Op))
	case OpIn:
		b.WriteString(" in (")
		for i, v := range f.Values {
			s, err := valueText(v)
			if err != nil {
				return nil, err
			}
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quoteFilterValue(s, true))
		}
		b.WriteString(")")
	case OpLike:
		s, err := valueText(f.Values[0])
		if err != nil {
			return nil, err
		}
		b.WriteString(" like " + quoteFilterValue(s, false))
	default:
		s, err := valueText(f.Values[0])
		if err != nil {
			return nil, err
		}
		b.WriteString(string(f.Op) + quoteFilterValue(s, false))
	}
	return []byte(b.String()), nil
}

// String is the filter's text form, or a description when it has none.
func (f Filter) String() string {
	if f.Op == OpAll {
		return "(all rows)"
	}
	if b, err := f.MarshalText(); err == nil {
		return string(b)
	}
	return fmt.Sprintf("%s %s %v", f.Column, f.Op, f.Values)
}

// UnmarshalText reads a filter written by MarshalText or a person (see
// ParseFilter).
func (f *Filter) UnmarshalText(text []byte) error {
	g, err := ParseFilter(string(text))
	if err != nil {
		return err
	}
	*f = g
	return nil
}

// quoteFilterValue returns s as written in a filter: bare when it reads
// back as itself, else in single quotes with ' doubled.
func quoteFilterValue(s string, inList bool) string {
	bare := s != "" && s == strings.TrimSpace(s) && !strings.ContainsRune(`'"=<>!`, rune(s[0])) &&
		(!inList || !strings.ContainsAny(s, ",()"))
	if bare {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// ParseFilter reads one filter in its text form, the form of the CLI's
// --where and the HTTP API's where parameter:
//
//	COLUMN = VALUE   (also != <> > >= < <=)
//	COLUMN like PATTERN
//	COLUMN in (VALUE, VALUE, ...)
//	COLUMN is null | COLUMN is not null
//
// Keywords are in any case; spaces around operators are optional except
// around like and is. A value is the rest of the text, trimmed, or a
// quoted string, '...' or "...", inside which the quote is written twice.
// Quote values that are empty, have leading or trailing spaces, or start
// with a quote or =<>!, and list values with commas or parentheses.
// Values are text: the engine compares them with the column's type
// (SQLite's affinity turns "30" into 30 for an INTEGER column; true and
// false match BOOLEAN columns).
func ParseFilter(s string) (Filter, error) {
	fail := func(why string) (Filter, error) {
		return Filter{}, filterError("invalid filter %s: %s", strconv.Quote(s), why)
	}
	rest := strings.TrimLeftFunc(s, unicode.IsSpace)
	end := strings.IndexFunc(rest, func(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune("=!<>(", r) })
	if end < 0 {
		return fail("no operator")
	}
	col := rest[:end]
	if col == "" {
		return fail("no column name before the operator")
	}
	if err := ValidateIdentifier(KindColumn, col); err != nil {
		return Filter{}, err
	}
	rest = strings.TrimLeftFunc(rest[end:], unicode.IsSpace)
	for _, c := range comparisonOps {
		if after, ok := strings.CutPrefix(rest, c.text); ok {
			v, err := parseScalar(after)
			if err != nil {
				return fail(err.Error())
			}
			return Filter{Column: col, Op: c.op, Values: []any{v}}, nil
		}
	}
	word, after := leadingWord(rest)
	switch strings.ToLower(word) {
	case "like":
		if !startsWithSpace(after) {
			return fail("like needs a space before its pattern")
		}
		v, err := parseScalar(after)
		if err != nil {
			return fail(err.Error())
		}
		return Filter{Column: col, Op: OpLike, Values: []any{v}}, nil
	case "in":
		vals, err := parseList(after)
		if err != nil {
			return fail(err.Error())
		}
		return Filter{Column: col, Op: OpIn, Values: vals}, nil
	case "is":
		words := strings.Fields(strings.ToLower(after))
		switch {
		case !startsWithSpace(after):
		case len(words) == 1 && words[0] == "null":
			return Filter{Column: col, Op: OpIsNull}, nil
		case len(words) == 2 && words[0] == "not" && words[1] == "null":
			return Filter{Column: col, Op: OpNotNull}, nil
		}
		return fail("is must be followed by null or not null")
	case "":
		return fail("no operator after the column name")
	}
	return fail(fmt.Sprintf("unknown operator %q", word))
}

func startsWithSpace(s string) bool {
	return s != "" && strings.IndexFunc(s, unicode.IsSpace) == 0
}

// leadingWord splits off the ASCII letters s starts with.
func leadingWord(s string) (word, rest string) {
	i := 0
	for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z') {
		i++
	}
	return s[:i], s[i:]
}

// parseScalar reads the value that is the whole of s: quoted, or bare
// (trimmed, not empty).
func parseScalar(s string) (string, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return "", fmt.Errorf("no value (write an empty text as '')")
	}
	if t[0] != '\'' && t[0] != '"' {
		return t, nil
	}
	v, n, err := parseQuoted(t)
	if err != nil {
		return "", err
	}
	if n != len(t) {
		return "", fmt.Errorf("text after the closing quote: %q", t[n:])
	}
	return v, nil
}

// parseQuoted reads the quoted string s starts with ('...' or "...", the
// quote doubled inside) and returns it and the bytes it took.
func parseQuoted(s string) (string, int, error) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != q {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == q {
			b.WriteByte(q)
			i++
			continue
		}
		return b.String(), i + 1, nil
	}
	return "", 0, fmt.Errorf("no closing %c", q)
}

// parseList reads "(a, 'b, c', d)" and nothing after it.
func parseList(s string) ([]any, error) {
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "(") {
		return nil, fmt.Errorf("in needs a list in parentheses: in (a, b)")
	}
	t = t[1:]
	var vals []any
	for {
		t = strings.TrimLeftFunc(t, unicode.IsSpace)
		var v string
		if t != "" && (t[0] == '\'' || t[0] == '"') {
			s, n, err := parseQuoted(t)
			if err != nil {
				return nil, err
			}
			v, t = s, strings.TrimLeftFunc(t[n:], unicode.IsSpace)
		} else {
			end := strings.IndexAny(t, ",)")
			if end < 0 {
				return nil, fmt.Errorf("no closing )")
			}
			v, t = strings.TrimSpace(t[:end]), t[end:]
			if v == "" {
				return nil, fmt.Errorf("an empty value in the list (write an empty text as '')")
			}
		}
		vals = append(vals, v)
		if len(vals) > MaxInValues {
			return nil, fmt.Errorf("more than %d values in the list", MaxInValues)
		}
		switch {
		case strings.HasPrefix(t, ","):
			t = t[1:]
		case strings.HasPrefix(t, ")"):
			if after := strings.TrimSpace(t[1:]); after != "" {
				return nil, fmt.Errorf("text after the list: %q", after)
			}
			return vals, nil
		default:
			return nil, fmt.Errorf("expected , or ) in the list")
		}
	}
}

// Order sorts selected rows by a column.
type Order struct {
	Column string `json:"column"`
	Desc   bool   `json:"desc,omitempty"`
}

// OrderBy sorts by column, ascending.
func OrderBy(column string) Order { return Order{Column: column} }

// OrderByDesc sorts by column, descending.
func OrderByDesc(column string) Order { return Order{Column: column, Desc: true} }

// ParseOrder reads COLUMN, COLUMN:asc or COLUMN:desc (the CLI's --order-by
// and the HTTP API's order_by).
func ParseOrder(s string) (Order, error) {
	col, dir, hasDir := strings.Cut(strings.TrimSpace(s), ":")
	o := Order{Column: col}
	switch strings.ToLower(dir) {
	case "desc":
		o.Desc = true
	case "asc":
	default:
		if hasDir || dir != "" {
			return Order{}, &Error{Err: ErrInvalidInput, Message: fmt.Sprintf("invalid order %s: the direction is asc or desc", strconv.Quote(s)),
				Hint: "write COLUMN, COLUMN:asc or COLUMN:desc"}
		}
	}
	return o, ValidateIdentifier(KindColumn, o.Column)
}

// String is the form ParseOrder reads.
func (o Order) String() string {
	if o.Desc {
		return o.Column + ":desc"
	}
	return o.Column
}

// Selection is what Select reads: the rows matching every filter (AND),
// sorted by OrderBy (then by insertion order, so pages are stable), at
// most Limit of them (0: all) after skipping Offset.
type Selection struct {
	Where   []Filter `json:"where,omitempty"`
	OrderBy []Order  `json:"order_by,omitempty"`
	Limit   int      `json:"limit,omitempty"`
	Offset  int      `json:"offset,omitempty"`
}

// Validate checks every filter and order and the limit and offset.
func (s Selection) Validate() error {
	for _, f := range s.Where {
		if err := f.Validate(); err != nil {
			return err
		}
	}
	for _, o := range s.OrderBy {
		if err := ValidateIdentifier(KindColumn, o.Column); err != nil {
			return err
		}
	}
	if s.Limit < 0 || s.Offset < 0 {
		return Errorf(ErrInvalidInput, "limit and offset must be 0 or more, got %d and %d", s.Limit, s.Offset)
	}
	return nil
}

// SelectOption narrows, sorts or pages a Select: a Filter (Where), an
// Order (OrderBy, OrderByDesc), Limit, Offset, or a whole Selection.
type SelectOption interface{ applySelect(*Selection) }

func (f Filter) applySelect(s *Selection) { s.Where = append(s.Where, f) }
func (o Order) applySelect(s *Selection)  { s.OrderBy = append(s.OrderBy, o) }

// applySelect adds t's filters and orders to s; its limit and offset
// replace s's when set.
func (t Selection) applySelect(s *Selection) {
	s.Where = append(s.Where, t.Where...)
	s.OrderBy = append(s.OrderBy, t.OrderBy...)
	if t.Limit != 0 {
		s.Limit = t.Limit
	}
	if t.Offset != 0 {
		s.Offset = t.Offset
	}
}

type selectFunc func(*Selection)

func (f selectFunc) applySelect(s *Selection) { f(s) }

// Limit returns at most n rows (0: all).
func Limit(n int) SelectOption { return selectFunc(func(s *Selection) { s.Limit = n }) }

// Offset skips the first n rows.
func Offset(n int) SelectOption { return selectFunc(func(s *Selection) { s.Offset = n }) }

// NewSelection gathers options into a Selection (how Select reads its
// arguments).
func NewSelection(opts ...SelectOption) Selection {
	var s Selection
	for _, o := range opts {
		if o != nil {
			o.applySelect(&s)
		}
	}
	return s
}
