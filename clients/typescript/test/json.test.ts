// parseJSON and stringifyJSON without a server: exact 64-bit integers,
// infinities, and the same answers as JSON.parse everywhere else.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseJSON, stringifyJSON } from "@cinchdb/cinch";

test("integers beyond 2^53 become exact bigints, the rest stay numbers", () => {
  const v = parseJSON('{"rows":[[9223372036854775807,-9223372036854775808,9007199254740993,9007199254740991,-9007199254740991,1234567890123456,0,-0]]}') as {
    rows: unknown[][];
  };
  assert.deepEqual(v.rows[0], [9223372036854775807n, -9223372036854775808n, 9007199254740993n, 9007199254740991, -9007199254740991, 1234567890123456, 0, -0]);
  assert.equal(typeof v.rows[0]![3], "number");
  // Beyond int64 too (cinch never sends it, but nothing is rounded).
  assert.equal(parseJSON("[123456789012345678901234567890]") instanceof Array, true);
  assert.deepEqual(parseJSON("[123456789012345678901234567890]"), [123456789012345678901234567890n]);
});

test("numbers with a fraction or exponent stay numbers; 9e999 is Infinity", () => {
  assert.deepEqual(parseJSON("[9e999,-9e999,2.0,1.5,1e3,12345678901234567.5]"), [Infinity, -Infinity, 2, 1.5, 1000, 12345678901234567.5]);
  assert.deepEqual(parseJSON('[9e999, "12345678901234567"]'), [Infinity, "12345678901234567"]);
});

test("the slow path reads what JSON.parse reads", () => {
  const docs = [
    '{"a":"x\\"y\\\\","b":[true,false,null],"c":{"d":"\\u00e9\\n\\t\\\\\\""},"e":1234567890123456789}',
    ' { "columns" : [ "id" , "id" ] , "rows" : [ [ "a\\\\" , "b\\"" ] ] , "n" : 12345678901234567 } ',
    '[[], {}, "", "\\\\\\\\", "ok\\\\", 1e-7, -0.5, 0]',
    '{"s":"1234567890123456789 in text", "t":"\\ud83d\\ude00"}',
  ];
  for (const d of docs) {
    const expected = JSON.parse(d, (_k, v: unknown) => (typeof v === "number" && !Number.isSafeInteger(v) && Number.isInteger(v) ? "big" : v));
    const got = JSON.parse(
      JSON.stringify(parseJSON(d), (_k, v: unknown) => (typeof v === "bigint" ? "big" : v)),
    ) as unknown;
    assert.deepEqual(got, expected, d);
  }
});

test("a __proto__ key is data, as with JSON.parse", () => {
  const v = parseJSON('{"__proto__":{"polluted":1},"n":12345678901234567890}') as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.deepEqual(Object.keys(v), ["__proto__", "n"]);
  assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
});

test("malformed JSON is a SyntaxError on either path", () => {
  for (const bad of ['{"a":1', "[1,]", '{"a" 1}', "[12345678901234567", '["unterminated', "nul", "[1] x", '["\u0001 12345678901234567"]']) {
    assert.throws(() => parseJSON(bad), SyntaxError, bad);
  }
});

test("stringifyJSON writes bigints exactly, infinities as ±9e999, Dates as ISO text", () => {
  const d = new Date(Date.UTC(2025, 0, 31, 12, 30, 0, 5));
  assert.equal(
    stringifyJSON({ sql: "SELECT ?", params: [9223372036854775807n, -9223372036854775808n, Infinity, -Infinity, 1.5, 2, d, null, "é\n", true] }),
    '{"sql":"SELECT ?","params":[9223372036854775807,-9223372036854775808,9e999,-9e999,1.5,2,"2025-01-31T12:30:00.005Z",null,"é\\n",true]}',
  );
  assert.equal(stringifyJSON({ a: undefined, b: 1 }), '{"b":1}');
  // An integral number beyond 2^53 is sent as the integer it holds (JSON.stringify
  // would write 1152921504606847000), beyond 64 bits as a real.
  assert.equal(stringifyJSON([2 ** 60, -(2 ** 63), 2 ** 63, 1e20, 2 ** 53]), "[1152921504606846976,-9223372036854775808,9.223372036854776e+18,1e+20,9007199254740992]");
  assert.deepEqual(parseJSON(stringifyJSON([9223372036854775807n])), [9223372036854775807n]);
});

test("stringifyJSON refuses NaN, invalid Dates and binary data", () => {
  assert.throws(() => stringifyJSON([NaN]), /NaN/);
  assert.throws(() => stringifyJSON({ when: new Date("nope") }), /invalid Date/);
  assert.throws(() => stringifyJSON({ data: new Uint8Array([1, 2]) }), /BLOB/);
});
