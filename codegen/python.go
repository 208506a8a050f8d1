package codegen

import (
	"fmt"
	"strings"
)

// pyKeywords are Python's keywords (keyword.kwlist); soft keywords (match,
// case, type, _) are valid names.
var pyKeywords = []string{"False", "None", "True", "and", "as", "assert", "async", "await", "break",
	"class", "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
	"if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try",
	"while", "with", "yield"}

// pyFieldReserved are the names a field may not take: keywords, the
// builtin types the annotations name (a field str = None would rebind str
// in the class body for the annotations after it), and the method.
var pyFieldReserved = set(append([]string{"str", "int", "float", "bool", "bytes", "from_record"}, pyKeywords...)...)

func pyType(f field) string {
	t := map[kind]string{
		kText: "str", kInteger: "int", kReal: "float", kNumeric: "float",
		kBool: "bool", kBlob: "bytes", kTime: "_dt.datetime", kAny: "_t.Any",
	}[f.kind]
	switch {
	case f.kind == kAny:
		return t + " = None"
	case f.nullable:
		return t + " | None = None"
	}
	return t
}

var pyConv = map[kind]string{
	kText: "_text", kInteger: "_integer", kReal: "_real", kNumeric: "_numeric",
	kBool: "_bool", kBlob: "_blob", kTime: "_time",
}

// pyComment keeps a comment on one line.
func pyComment(s string) string {
	return strings.NewReplacer("\n", " ", "\r", " ").Replace(s)
}

func generatePython(s *Schema, models []model) []byte {
	var b strings.Builder
	b.WriteString("# " + header + "\n# " + pyComment(source(s)) + "\n")
	b.WriteString(`"""Typed models of a cinch branch's tables and views (Python 3.10+).

One dataclass per table and view. Cls.from_record(rec) builds one from a
record (column name -> value, as cinch returns a row), checking each value's
type: timestamps become datetimes, base64 blobs bytes. Nullable columns, and
every column of a view, default to None.
"""

`)
	if uses(models, kBlob) {
		b.WriteString("import base64 as _base64\n")
	}
	if len(models) > 0 {
		b.WriteString("import dataclasses as _dc\n")
	}
	if uses(models, kTime) {
		b.WriteString("import datetime as _dt\n")
	}
	b.WriteString("import typing as _t\n")
	names := typeNames(models, nil, set("None", "True", "False"))
	for i, m := range models {
		name := names[i]
		bases := make([]string, len(m.fields))
		for j, f := range m.fields {
			bases[j] = snake(fieldWords(f.column, j))
		}
		fields := assign(bases, pyFieldReserved, "_", "_")
		b.WriteString("\n\n@_dc.dataclass(kw_only=True)\n")
		fmt.Fprintf(&b, "class %s:\n", name)
		fmt.Fprintf(&b, "    \"\"\"A row of %s.", m.what())
		if m.view {
			b.WriteString("\n\n    SQLite does not say whether a view's column can be NULL, so every\n    field is optional.\n    ")
		}
		b.WriteString("\"\"\"\n\n")
		for j, f := range m.fields {
			fmt.Fprintf(&b, "    %s: %s  # %s: %s\n", fields[j], pyType(f), pyComment(quoteJSON(f.column)), pyComment(f.doc))
		}
		if len(m.fields) > 0 {
			b.WriteString("\n")
		}
		b.WriteString("    @classmethod\n")
		fmt.Fprintf(&b, "    def from_record(cls, rec: _t.Mapping[str, _t.Any]) -> %s:\n", quoteJSON(name))
		fmt.Fprintf(&b, "        \"\"\"Builds a %s from a record of %s.\n\n", name, m.what())
		b.WriteString("        Raises TypeError (ValueError for a bad timestamp or base64 text)\n        naming the column when a value has the wrong type.\n        \"\"\"\n")
		if len(m.fields) == 0 {
			b.WriteString("        return cls()\n")
			continue
		}
		b.WriteString("        return cls(\n")
		model := quoteJSON(m.name)
		for j, f := range m.fields {
			col := quoteJSON(f.column)
			var expr string
			switch {
			case f.kind == kAny:
				expr = "rec.get(" + col + ")"
			case f.nullable:
				expr = fmt.Sprintf("_opt(%s, rec, %s, %s)", pyConv[f.kind], col, model)
			default:
				expr = fmt.Sprintf("%s(rec, %s, %s)", pyConv[f.kind], col, model)
			}
			fmt.Fprintf(&b, "            %s=%s,\n", fields[j], expr)
		}
		b.WriteString("        )\n")
	}
	b.WriteString(pyHelpers(models))
	return []byte(b.String())
}

func pyHelpers(models []model) string {
	used := func(k kind) bool { return uses(models, k) }
	typed := false
	for k := range pyConv {
		typed = typed || used(k)
	}
	if !typed {
		return ""
	}
	parts := []string{`

# Helpers.

_Rec = _t.Mapping[str, _t.Any]


def _bad(model: str, key: str, want: str, v: object) -> TypeError:
    return TypeError(f"{model}: column {key!r} should be {want}, got {type(v).__name__}")


def _need(rec: _Rec, key: str, model: str) -> _t.Any:
    v = rec.get(key)
    if v is None:
        raise TypeError(f"{model}: column {key!r} is {'null' if key in rec else 'missing'}")
    return v
`}
	if usesNullable(models) {
		parts = append(parts, `

_T = _t.TypeVar("_T")


def _opt(conv: _t.Callable[[_Rec, str, str], _T], rec: _Rec, key: str, model: str) -> _T | None:
    return None if rec.get(key) is None else conv(rec, key, model)
`)
	}
	if used(kText) {
		parts = append(parts, `

def _text(rec: _Rec, key: str, model: str) -> str:
    v = _need(rec, key, model)
    if isinstance(v, str):
        return v
    raise _bad(model, key, "text", v)
`)
	}
	if used(kInteger) {
		parts = append(parts, `

def _integer(rec: _Rec, key: str, model: str) -> int:
    v = _need(rec, key, model)
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    raise _bad(model, key, "an integer", v)
`)
	}
	if used(kReal) {
		parts = append(parts, `

def _real(rec: _Rec, key: str, model: str) -> float:
    v = _need(rec, key, model)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v)
    raise _bad(model, key, "a number", v)
`)
	}
	if used(kNumeric) {
		parts = append(parts, `

def _numeric(rec: _Rec, key: str, model: str) -> float:
    # An integer stays an int (exact at any size); int is a float to type checkers.
    v = _need(rec, key, model)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v
    raise _bad(model, key, "a number", v)
`)
	}
	if used(kBool) {
		parts = append(parts, `

def _bool(rec: _Rec, key: str, model: str) -> bool:
    v = _need(rec, key, model)
    if isinstance(v, bool):
        return v
    if isinstance(v, int) and v in (0, 1):
        return v == 1
    raise _bad(model, key, "a boolean", v)
`)
	}
	if used(kTime) {
		parts = append(parts, `

def _time(rec: _Rec, key: str, model: str) -> _dt.datetime:
    # cinch stores timestamps as RFC 3339 text: "2006-01-02T15:04:05.000Z".
    v = _need(rec, key, model)
    if isinstance(v, _dt.datetime):
        return v
    if not isinstance(v, str):
        raise _bad(model, key, "an RFC 3339 timestamp", v)
    try:
        return _dt.datetime.fromisoformat(v[:-1] + "+00:00" if v.endswith(("Z", "z")) else v)
    except ValueError:
        raise ValueError(f"{model}: column {key!r} holds {v!r}, not an RFC 3339 timestamp") from None
`)
	}
	if used(kBlob) {
		parts = append(parts, `

def _blob(rec: _Rec, key: str, model: str) -> bytes:
    # Bytes as they are, or base64 text as the HTTP API sends blobs.
    v = _need(rec, key, model)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v)
    if not isinstance(v, str):
        raise _bad(model, key, "bytes or base64 text", v)
    try:
        return _base64.b64decode(v, validate=True)
    except ValueError:
        raise ValueError(f"{model}: column {key!r} holds text that is not base64") from None
`)
	}
	return strings.Join(parts, "")
}
