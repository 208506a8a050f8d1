package codegen

import (
	"fmt"
	"strings"
)

// tsGlobals are global names the generated TypeScript uses or that a
// reader would expect to mean the global: no interface may shadow them.
var tsGlobals = set("Array", "BigInt", "Boolean", "Date", "Error", "Function", "JSON", "Map", "Math",
	"Number", "Object", "Partial", "Promise", "RangeError", "Readonly", "Record", "RegExp", "Required",
	"Set", "String", "Symbol", "TypeError", "Uint8Array")

func tsType(f field) string {
	t := map[kind]string{
		kText: "string", kInteger: "number", kReal: "number", kNumeric: "number",
		kBool: "boolean", kBlob: "Uint8Array", kTime: "Date", kAny: "unknown",
	}[f.kind]
	if f.nullable && f.kind != kAny {
		return t + " | null"
	}
	return t
}

// tsConv names the helper that reads a value of a kind.
var tsConv = map[kind]string{
	kText: "_text", kInteger: "_integer", kReal: "_real", kNumeric: "_numeric",
	kBool: "_bool", kBlob: "_blob", kTime: "_time",
}

// tsComment keeps text inside a /** ... */ comment on one line.
func tsComment(s string) string {
	return strings.NewReplacer("*/", "*\\/", "\n", " ", "\r", " ").Replace(s)
}

func generateTypeScript(s *Schema, models []model) []byte {
	var b strings.Builder
	b.WriteString("// " + header + "\n// " + tsComment(source(s)) + "\n")
	b.WriteString(`//
// One interface per table and view, and a function that builds it from a
// record (column name → value, as cinch returns a row), checking each
// value's type: timestamps become Dates, base64 blobs Uint8Arrays.
`)
	names := typeNames(models, nil, tsGlobals)
	for i, m := range models {
		name := names[i]
		bases := make([]string, len(m.fields))
		for j, f := range m.fields {
			bases[j] = camel(fieldWords(f.column, j))
		}
		props := assign(bases, set(), "", "_")
		fmt.Fprintf(&b, "\n/** A row of %s.", tsComment(m.what()))
		if m.view {
			b.WriteString(" SQLite does not say whether a view's column can be NULL, so every property is optional.")
		}
		b.WriteString(" */\n")
		fmt.Fprintf(&b, "export interface %s {\n", name)
		for j, f := range m.fields {
			opt := ""
			if f.nullable {
				opt = "?"
			}
			fmt.Fprintf(&b, "  /** %s: %s */\n  %s%s: %s;\n", tsComment(quoteJSON(f.column)), tsComment(f.doc), props[j], opt, tsType(f))
		}
		b.WriteString("}\n\n")
		fn := strings.ToLower(name[:1]) + name[1:] + "FromRecord"
		fmt.Fprintf(&b, "/** Builds a %s from a record of %s; throws a TypeError naming the column when a value has the wrong type. */\n", name, tsComment(m.what()))
		fmt.Fprintf(&b, "export function %s(rec: Readonly<Record<string, unknown>>): %s {\n", fn, name)
		if len(m.fields) == 0 {
			b.WriteString("  void rec;\n  return {};\n}\n")
			continue
		}
		b.WriteString("  return {\n")
		model := quoteJSON(m.name)
		for j, f := range m.fields {
			col := quoteJSON(f.column)
			var expr string
			switch {
			case f.kind == kAny:
				expr = "rec[" + col + "] ?? null"
			case f.nullable:
				expr = fmt.Sprintf("_opt(%s, rec, %s, %s)", tsConv[f.kind], col, model)
			default:
				expr = fmt.Sprintf("%s(rec, %s, %s)", tsConv[f.kind], col, model)
			}
			fmt.Fprintf(&b, "    %s: %s,\n", props[j], expr)
		}
		b.WriteString("  };\n}\n")
	}
	if len(models) == 0 {
		b.WriteString("\nexport {}; // a module, even without models\n")
	}
	b.WriteString(tsHelpers(models))
	return []byte(b.String())
}

// tsHelpers returns the helper functions the models use, and only those
// (noUnusedLocals).
func tsHelpers(models []model) string {
	var parts []string
	used := func(k kind) bool { return uses(models, k) }
	typed := false
	for k := range tsConv {
		typed = typed || used(k)
	}
	if !typed {
		return ""
	}
	parts = append(parts, `
// Helpers.

type _Rec = Readonly<Record<string, unknown>>;

function _bad(model: string, key: string, want: string, v: unknown): TypeError {
  const got = v instanceof Uint8Array ? "bytes" : v instanceof Date ? "a Date" : typeof v;
  return new TypeError(model + ": column " + JSON.stringify(key) + " should be " + want + ", got " + got);
}

function _need(rec: _Rec, key: string, model: string): unknown {
  const v = rec[key];
  if (v === undefined || v === null) {
    throw new TypeError(model + ": column " + JSON.stringify(key) + " is " + (v === null ? "null" : "missing"));
  }
  return v;
}
`)
	if usesNullable(models) {
		parts = append(parts, `
function _opt<T>(conv: (rec: _Rec, key: string, model: string) => T, rec: _Rec, key: string, model: string): T | null {
  const v = rec[key];
  return v === undefined || v === null ? null : conv(rec, key, model);
}
`)
	}
	if used(kText) {
		parts = append(parts, `
function _text(rec: _Rec, key: string, model: string): string {
  const v = _need(rec, key, model);
  if (typeof v === "string") return v;
  throw _bad(model, key, "text", v);
}
`)
	}
	if used(kInteger) || used(kReal) || used(kNumeric) {
		parts = append(parts, `
// _number accepts a number or a bigint; integers must be safe (|n| < 2^53),
// so a value that lost precision, or would, is an error and never rounded.
function _number(rec: _Rec, key: string, model: string, integer: boolean): number {
  const v = _need(rec, key, model);
  const n = typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : NaN;
  if (Number.isNaN(n) || (integer && !Number.isInteger(n))) throw _bad(model, key, integer ? "an integer" : "a number", v);
  if ((integer || typeof v === "bigint") && !Number.isSafeInteger(n)) {
    throw new RangeError(model + ": column " + JSON.stringify(key) + " holds " + String(v) + ", beyond what a number holds exactly (2^53)");
  }
  return n;
}
`)
	}
	if used(kInteger) {
		parts = append(parts, `
function _integer(rec: _Rec, key: string, model: string): number {
  return _number(rec, key, model, true);
}
`)
	}
	if used(kReal) {
		parts = append(parts, `
function _real(rec: _Rec, key: string, model: string): number {
  return _number(rec, key, model, false);
}
`)
	}
	if used(kNumeric) {
		parts = append(parts, `
function _numeric(rec: _Rec, key: string, model: string): number {
  return _number(rec, key, model, false);
}
`)
	}
	if used(kBool) {
		parts = append(parts, `
function _bool(rec: _Rec, key: string, model: string): boolean {
  const v = _need(rec, key, model);
  if (typeof v === "boolean") return v;
  if (v === 0 || v === 1) return v === 1;
  throw _bad(model, key, "a boolean", v);
}
`)
	}
	if used(kTime) {
		parts = append(parts, `
// _time reads an RFC 3339 timestamp (cinch stores "2006-01-02T15:04:05.000Z").
function _time(rec: _Rec, key: string, model: string): Date {
  const v = _need(rec, key, model);
  const d = v instanceof Date ? v : typeof v === "string" ? new Date(v) : undefined;
  if (d === undefined || Number.isNaN(d.getTime())) throw _bad(model, key, "an RFC 3339 timestamp", v);
  return d;
}
`)
	}
	if used(kBlob) {
		parts = append(parts, `
const _b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// _blob reads bytes: a Uint8Array, or base64 text as the HTTP API sends blobs.
function _blob(rec: _Rec, key: string, model: string): Uint8Array {
  const v = _need(rec, key, model);
  if (v instanceof Uint8Array) return v;
  const s = typeof v === "string" ? v.replace(/=+$/, "") : "";
  if (typeof v !== "string" || s.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(s)) throw _bad(model, key, "base64 text", v);
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let j = 0;
  for (let i = 0; i < s.length; i++) {
    acc = ((acc << 6) | _b64.indexOf(s.charAt(i))) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}
`)
	}
	return strings.Join(parts, "")
}
