// Decodes the rows the HTTP API returned (records.json) with the generated
// TypeScript models, compiled to out/ by TestCompile, and prints what it
// read; also checks the errors the decoders give.
"use strict";
const assert = require("node:assert");
const fs = require("node:fs");
const m = require("./out/live/models.js");

const results = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const records = (r) => r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, row[i]])));
// show prints a value as the Go and Python checks do.
const show = (v) => (v === null || v === undefined ? "nil" : v instanceof Uint8Array ? "[" + Array.from(v).join(" ") + "]" : String(v));

for (const rec of records(results.every_type)) {
  const e = m.everyTypeFromRecord(rec);
  assert.ok(e.createdAt instanceof Date && e.createdAt.getTime() === e.updatedAt.getTime());
  console.log(
    `every_type ${e.textReq}: text_opt ${show(e.textOpt)} int_opt ${show(e.intOpt)} real_req ${e.realReq} num_req ${e.numReq} ` +
      `bool_req ${e.boolReq} bool_opt ${show(e.boolOpt)} blob_req ${show(e.blobReq)} blob_opt ${show(e.blobOpt)} api_url ${show(e.apiUrl)}`,
  );
}
for (const rec of records(results.order_items)) {
  const o = m.orderItemsFromRecord(rec);
  console.log(`order_items: qty ${o.qty} every_type_id set ${typeof o.everyTypeId === "string"}`);
}
for (const rec of records(results.every_view)) {
  const v = m.everyViewFromRecord(rec);
  console.log(
    `every_view ${v.textReq}: created ${v.createdAt instanceof Date} int_opt ${show(v.intOpt)} bool_req ${show(v.boolReq)} ` +
      `doubled ${show(v.doubled)} num_real ${show(v.numReal)} item_count ${show(v.itemCount)}`,
  );
}

const full = records(results.every_type)[0];
const err = (f, re) => assert.throws(f, re);
err(() => m.everyTypeFromRecord({ ...full, text_req: null }), /every_type: column "text_req" is null/);
err(() => m.everyTypeFromRecord({ ...full, int_req: 1.5 }), /TypeError: every_type: column "int_req" should be an integer, got number/);
err(() => m.everyTypeFromRecord({ ...full, int_req: 2 ** 53 }), /RangeError: .*"int_req" holds 9007199254740992/);
err(() => m.everyTypeFromRecord({ ...full, int_req: 2n ** 60n }), /RangeError/);
err(() => m.everyTypeFromRecord({ ...full, bool_req: "true" }), /"bool_req" should be a boolean, got string/);
err(() => m.everyTypeFromRecord({ ...full, created_at: "yesterday" }), /"created_at" should be an RFC 3339 timestamp/);
err(() => m.everyTypeFromRecord({ ...full, blob_req: "not base64!" }), /"blob_req" should be base64 text/);
assert.strictEqual(m.everyTypeFromRecord({ ...full, int_req: 5n }).intReq, 5);
assert.strictEqual(m.everyTypeFromRecord({ ...full, bool_req: 0 }).boolReq, false);
assert.deepStrictEqual(Array.from(m.everyTypeFromRecord({ ...full, blob_req: new Uint8Array([7]) }).blobReq), [7]);
const { text_opt: _, ...missing } = full;
assert.strictEqual(m.everyTypeFromRecord(missing).textOpt, null);
console.log("errors ok");
