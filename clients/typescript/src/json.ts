// JSON that keeps 64-bit integers exact.
//
// JSON.parse turns every number into a float64, so an integer above 2^53
// (9007199254740992) silently becomes a neighbour: 9223372036854775807
// reads back as 9223372036854775808. cinch INTEGER values are 64-bit, so
// parseJSON returns an integer literal outside Number's safe range
// (|n| > 2^53 - 1) as a bigint, and every other number as a number.
// stringifyJSON writes bigints back as integer literals.

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

// A document with no run of 16 digits has no integer above 2^53 - 1
// (a 16-digit number): JSON.parse reads it exactly, and much faster.
const LONG_DIGITS = /\d{16}/;

/**
 * Parses JSON text like JSON.parse, except that an integer literal (no
 * fraction, no exponent) outside ±(2^53 - 1) becomes a bigint instead of a
 * rounded number. Numbers with a fraction or exponent stay numbers
 * (9e999 is Infinity, as JSON.parse reads it).
 */
export function parseJSON(text: string): unknown {
  if (!LONG_DIGITS.test(text)) {
    return JSON.parse(text);
  }
  return new Parser(text).document();
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const WHITESPACE = /[ \t\n\r]*/y;

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  document(): unknown {
    const v = this.value();
    this.space();
    if (this.i !== this.s.length) {
      this.fail("unexpected data after the JSON value");
    }
    return v;
  }

  private fail(msg: string): never {
    throw new SyntaxError(`${msg} at position ${this.i} of the JSON text`);
  }

  private space(): void {
    WHITESPACE.lastIndex = this.i;
    WHITESPACE.test(this.s);
    this.i = WHITESPACE.lastIndex;
  }

  private value(): unknown {
    this.space();
    const c = this.s[this.i];
    switch (c) {
      case "{":
        return this.object();
      case "[":
        return this.array();
      case '"':
        return this.string();
      case "t":
        return this.literal("true", true);
      case "f":
        return this.literal("false", false);
      case "n":
        return this.literal("null", null);
      default:
        if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) {
          return this.number();
        }
        return this.fail(c === undefined ? "unexpected end" : `unexpected ${JSON.stringify(c)}`);
    }
  }

  private literal<T>(word: string, v: T): T {
    if (!this.s.startsWith(word, this.i)) {
      this.fail("invalid literal");
    }
    this.i += word.length;
    return v;
  }

  private number(): number | bigint {
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.s);
    if (m === null) {
      return this.fail("invalid number");
    }
    this.i = NUMBER.lastIndex;
    const lit = m[0];
    if (m[1] === undefined && m[2] === undefined) {
      const n = Number(lit);
      if (Number.isSafeInteger(n)) {
        return n;
      }
      const b = BigInt(lit);
      if (b < MIN_SAFE || b > MAX_SAFE) {
        return b;
      }
      return n;
    }
    return Number(lit);
  }

  private string(): string {
    const start = this.i; // at the opening quote
    let j = start + 1;
    for (;;) {
      const k = this.s.indexOf('"', j);
      if (k < 0) {
        this.i = this.s.length;
        return this.fail("unterminated string");
      }
      // The quote ends the string unless an odd number of backslashes precede it.
      let b = k - 1;
      while (this.s.charCodeAt(b) === 92) {
        b--;
      }
      if ((k - 1 - b) % 2 === 0) {
        this.i = k + 1;
        break;
      }
      j = k + 1;
    }
    const raw = this.s.slice(start, this.i);
    if (raw.indexOf("\\") < 0 && !/[\u0000-\u001f]/.test(raw)) {
      return raw.slice(1, -1);
    }
    return JSON.parse(raw) as string; // escapes and validation, exactly as JSON.parse
  }

  private array(): unknown[] {
    this.i++; // [
    const out: unknown[] = [];
    this.space();
    if (this.s[this.i] === "]") {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.space();
      const c = this.s[this.i++];
      if (c === "]") {
        return out;
      }
      if (c !== ",") {
        this.i--;
        this.fail("expected , or ] in an array");
      }
    }
  }

  private object(): Record<string, unknown> {
    this.i++; // {
    const out: Record<string, unknown> = {};
    this.space();
    if (this.s[this.i] === "}") {
      this.i++;
      return out;
    }
    for (;;) {
      this.space();
      if (this.s[this.i] !== '"') {
        this.fail("expected a string key in an object");
      }
      const key = this.string();
      this.space();
      if (this.s[this.i] !== ":") {
        this.fail("expected : after an object key");
      }
      this.i++;
      // defineProperty, not assignment: a "__proto__" key is data, as with JSON.parse.
      Object.defineProperty(out, key, { value: this.value(), writable: true, enumerable: true, configurable: true });
      this.space();
      const c = this.s[this.i++];
      if (c === "}") {
        return out;
      }
      if (c !== ",") {
        this.i--;
        this.fail("expected , or } in an object");
      }
    }
  }
}

/** An error for a value JSON (or cinch) cannot carry; the caller turns it into invalid_input. */
export class UnsendableValueError extends Error {}

/**
 * Writes v as JSON like JSON.stringify, except that a bigint is written as
 * an integer literal, an integral number beyond ±(2^53 - 1) as the exact
 * integer it holds (beyond 64 bits, with an exponent: a real), ±Infinity
 * as ±9e999 (how cinch writes infinities), a
 * Date as its ISO 8601 UTC text (the format cinch stores timestamps in),
 * and that NaN, an invalid Date and binary data (ArrayBuffer, typed arrays)
 * are refused with UnsendableValueError instead of becoming null.
 */
export function stringifyJSON(v: unknown): string {
  const out = encode(v, "");
  return out === undefined ? "null" : out;
}

function encode(v: unknown, where: string): string | undefined {
  switch (typeof v) {
    case "string":
      return JSON.stringify(v);
    case "boolean":
      return v ? "true" : "false";
    case "bigint":
      return v.toString();
    case "number":
      if (Number.isInteger(v) && !Number.isSafeInteger(v)) {
        // JSON.stringify(2 ** 60) is "1152921504606847000", the shortest
        // text that reads back as the same float, not the integer the
        // number holds; write that integer, or beyond int64 a real.
        return v >= -(2 ** 63) && v < 2 ** 63 ? BigInt(v).toString() : v.toExponential();
      }
      if (Number.isFinite(v)) {
        return JSON.stringify(v);
      }
      if (Number.isNaN(v)) {
        throw new UnsendableValueError(`${where || "value"}: NaN cannot be sent (SQLite has no NaN)`);
      }
      return v > 0 ? "9e999" : "-9e999";
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
    case "object":
      break;
  }
  if (v === null) {
    return "null";
  }
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) {
      throw new UnsendableValueError(`${where || "value"}: invalid Date`);
    }
    return JSON.stringify(v.toISOString());
  }
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) {
    throw new UnsendableValueError(
      `${where || "value"}: BLOB values cannot be sent over HTTP; encode binary data as text (base64) in a TEXT column`,
    );
  }
  const withToJSON = v as { toJSON?: () => unknown };
  if (typeof withToJSON.toJSON === "function") {
    return encode(withToJSON.toJSON(), where);
  }
  if (Array.isArray(v)) {
    const parts = v.map((x, i) => encode(x, `${where}[${i}]`) ?? "null");
    return `[${parts.join(",")}]`;
  }
  const parts: string[] = [];
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const e = encode(x, where ? `${where}.${k}` : k);
    if (e !== undefined) {
      parts.push(`${JSON.stringify(k)}:${e}`);
    }
  }
  return `{${parts.join(",")}}`;
}
