// db.kv (the tenant's key-value store) and the row filters (db.select,
// updateWhere, deleteWhere) against a real `cinch serve`.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  CinchDB,
  CinchError,
  ColumnNotFoundError,
  InvalidInputError,
  KeyNotFoundError,
  QueryResult,
  connect,
  type KVValue,
} from "@cinchdb/cinch";
import { startServer, type Served } from "./helpers.js";

let srv: Served;
let db: CinchDB;

before(async () => {
  srv = await startServer();
  db = connect(srv.url, srv.key);
  await db.tables.createTable("people", [
    { name: "name", type: "TEXT" },
    { name: "age", type: "INTEGER" },
    { name: "active", type: "BOOLEAN" },
  ]);
});

after(async () => {
  await srv?.stop();
});

async function rejects<E extends CinchError>(p: Promise<unknown>, cls: new (...a: never[]) => E): Promise<E> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected ${cls.name}, got no error`);
}

test("kv: values keep their types", async () => {
  const cases: [string, KVValue, string][] = [
    ["text", "héllo", "text"],
    ["json-looking text", '{"a":1}', "text"],
    ["int", 42, "int"],
    ["negative int", -7, "int"],
    ["big int", 9223372036854775807n, "int"],
    ["small big int", -9007199254740993n, "int"],
    ["float", 2.5, "float"],
    ["infinity", Infinity, "float"],
    ["true", true, "bool"],
    ["false", false, "bool"],
    ["bytes", new Uint8Array([0, 1, 2, 254, 255]), "bytes"],
    ["empty bytes", new Uint8Array(), "bytes"],
    ["object", { a: 1, b: [true, null, "x"], big: 12345678901234567890n }, "json"],
    ["array", [1, "two", { three: 3 }], "json"],
    ["null", null, "null"],
  ];
  for (const [key, v, type] of cases) {
    assert.equal(await db.kv.set(key, v), true);
    const got = await db.kv.get(key);
    assert.deepEqual(got, v, key);
    assert.equal((await db.kv.getEntry(key)).type, type, key);
  }
  assert.ok((await db.kv.get("bytes")) instanceof Uint8Array);
  assert.equal(typeof (await db.kv.get("big int")), "bigint");
  assert.equal(typeof (await db.kv.get("int")), "number");
  await rejects(db.kv.set("nan", NaN), InvalidInputError);
  await db.kv.delete(...cases.map((c) => c[0]));
  assert.equal(await db.kv.count(), 0);
});

test("kv: a missing key is KeyNotFoundError", async () => {
  const err = await rejects(db.kv.get("nope"), KeyNotFoundError);
  assert.equal(err.code, "key_not_found");
  assert.equal(err.status, 404);
  assert.equal(await db.kv.exists("nope"), false);
  assert.equal(await db.kv.delete("nope"), 0);
});

test("kv: set nx, delete, exists, keys, count, mget, mset, size", async () => {
  assert.equal(await db.kv.set("user:1", "ada"), true);
  assert.equal(await db.kv.set("user:1", "bob", { nx: true }), false);
  assert.equal(await db.kv.get("user:1"), "ada");
  assert.equal(await db.kv.set("user:2", "bob", { nx: true }), true);
  await db.kv.mset({ "user:3": 3, "cfg:x": { on: true } });
  await db.kv.mset(new Map<string, KVValue>([["bin", new Uint8Array([9, 8])]]));
  assert.equal(await db.kv.exists("user:3"), true);
  assert.deepEqual(await db.kv.keys("user:*"), ["user:1", "user:2", "user:3"]);
  assert.deepEqual(await db.kv.keys(), ["bin", "cfg:x", "user:1", "user:2", "user:3"]);
  assert.equal(await db.kv.count("user:?"), 3);
  assert.equal(await db.kv.count(), 5);
  const m = await db.kv.mget("user:1", "missing", "user:3", "cfg:x", "bin");
  assert.deepEqual(
    m,
    new Map<string, KVValue>([
      ["user:1", "ada"],
      ["user:3", 3],
      ["cfg:x", { on: true }],
      ["bin", new Uint8Array([9, 8])],
    ]),
  );
  assert.ok((await db.kv.size()) > 0);
  assert.ok((await db.kv.size("user:1")) > 0);
  assert.equal(await db.kv.size("missing"), 0);
  assert.equal(await db.kv.delete("user:1", "user:2", "missing"), 2);
  assert.equal(await db.kv.delete("user:3", "cfg:x", "bin"), 3);
  assert.equal(await db.kv.count(), 0);
});

test("kv: ttl, expire, persist, deleteExpired", async () => {
  await db.kv.set("forever", 1);
  assert.deepEqual(await db.kv.ttl("forever"), { key: "forever", expires: false });
  await db.kv.set("brief", "x", { ttlMs: 60_000 });
  const t = await db.kv.ttl("brief");
  assert.equal(t.expires, true);
  assert.ok(t.ttlMs! > 0 && t.ttlMs! <= 60_000);
  await db.kv.persist("brief");
  assert.equal((await db.kv.ttl("brief")).expires, false);
  await db.kv.expire("forever", 30_000);
  assert.equal((await db.kv.ttl("forever")).expires, true);
  await rejects(db.kv.ttl("nope"), KeyNotFoundError);

  await db.kv.set("gone", "soon", { ttlMs: 1 });
  await db.kv.mset({ g1: 1, g2: 2 }, { ttlMs: 1 });
  await new Promise((r) => setTimeout(r, 30));
  await rejects(db.kv.get("gone"), KeyNotFoundError);
  assert.equal(await db.kv.exists("g1"), false);
  assert.equal(await db.kv.deleteExpired(), 3);
  assert.equal(await db.kv.delete("forever", "brief"), 2);
});

test("kv: incr", async () => {
  assert.equal(await db.kv.incr("n"), 1);
  assert.equal(await db.kv.incr("n", 41), 42);
  assert.equal(await db.kv.incr("n", -2), 40);
  assert.equal(await db.kv.get("n"), 40);
  assert.equal(await db.kv.incr("big", 9007199254740993n), 9007199254740993n);
  assert.equal(await db.kv.incr("f", 0.5), 0.5);
  assert.equal((await db.kv.getEntry("f")).type, "float");
  await db.kv.set("s", "text");
  await assert.rejects(db.kv.incr("s"), CinchError);
  assert.equal(await db.kv.delete("n", "big", "f", "s"), 4);
});

test("kv: per tenant", async () => {
  await db.tenants.create("kv_other");
  const other = db.switchTenant("kv_other");
  await db.kv.set("shared", "main's");
  await other.kv.set("shared", "other's");
  assert.equal(await db.kv.get("shared"), "main's");
  assert.equal(await other.kv.get("shared"), "other's");
  await other.kv.delete("shared");
  await rejects(other.kv.get("shared"), KeyNotFoundError);
  assert.equal(await db.kv.get("shared"), "main's");
  await db.kv.delete("shared");
});

test("rows: select, updateWhere, deleteWhere", async () => {
  await db.insert(
    "people",
    { name: "Alice", age: 30, active: true },
    { name: "Bob", age: 45, active: false },
    { name: "Ada Lovelace", age: 36, active: true },
    { name: "Carol", age: 9223372036854775807n, active: null },
  );

  const all = await db.select("people");
  assert.ok(all instanceof QueryResult);
  assert.equal(all.rows.length, 4);
  assert.ok(all.columns.includes("id") && all.columns.includes("name"));

  const older = await db.select("people", { where: ["age>31"], orderBy: "age" });
  assert.deepEqual(
    older.records().map((r) => r["name"]),
    ["Ada Lovelace", "Bob", "Carol"],
  );
  assert.equal(older.value(2, "age"), 9223372036854775807n);

  const page = await db.select("people", { orderBy: ["name:desc"], limit: 2, offset: 1 });
  assert.deepEqual(
    page.records().map((r) => r["name"]),
    ["Bob", "Alice"],
  );
  const quoted = await db.select("people", { where: ["name='Ada Lovelace'"] });
  assert.equal(quoted.value(0, "age"), 36);
  const two = await db.select("people", { where: ["active=true", "name like A%"], orderBy: "name" });
  assert.deepEqual(
    two.records().map((r) => r["name"]),
    ["Ada Lovelace", "Alice"],
  );
  assert.equal((await db.select("people", { where: ["active is null"] })).value(0, "name"), "Carol");
  assert.equal((await db.select("people", { where: ["name in (Alice, Bob)"] })).rows.length, 2);
  await rejects(db.select("people", { where: ["nope=1"] }), ColumnNotFoundError);

  assert.equal(await db.updateWhere("people", ["active=false"], { active: true, age: 46 }), 1);
  assert.equal((await db.select("people", { where: ["name=Bob"] })).value(0, "age"), 46);
  await rejects(db.updateWhere("people", [], { age: 1 }), InvalidInputError);
  assert.equal(await db.updateWhere("people", [], { active: false }, { all: true }), 4);

  assert.equal(await db.deleteWhere("people", ["age>40"]), 2);
  await rejects(db.deleteWhere("people", []), InvalidInputError);
  assert.equal((await db.select("people")).rows.length, 2);
  assert.equal(await db.deleteWhere("people", [], { all: true }), 2);
  assert.equal((await db.select("people")).rows.length, 0);
});
