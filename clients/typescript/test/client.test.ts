// The client against a real `cinch serve` that the suite starts (see
// scripts/server.mjs). Tests run in order and share the server; each uses
// its own tables and tenants.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  BranchNotFoundError,
  CanceledError,
  CinchDB,
  CinchError,
  ConflictError,
  ConstraintFailedError,
  EncryptionKeyError,
  InvalidInputError,
  QueryRejectedError,
  QueryResult,
  ReadOnlyError,
  RowNotFoundError,
  TableNotFoundError,
  TenantArchivedError,
  TenantExistsError,
  TenantNotFoundError,
  UnauthorizedError,
  connect,
  type Row,
  type Value,
} from "@cinchdb/cinch";
import { generate, pkgDir, startServer, type Served } from "./helpers.js";

let srv: Served;
let db: CinchDB; // main database, main branch, tenant main

before(async () => {
  srv = await startServer();
  db = connect(srv.url, srv.key);
  await db.tables.createTable("users", [
    { name: "name", type: "TEXT" },
    { name: "email", type: "TEXT", unique: true },
    { name: "active", type: "BOOLEAN", default: "true" },
    { name: "score", type: "INTEGER" },
  ]);
});

after(async () => {
  await srv?.stop();
});

/** Asserts that p rejects with an error of class cls, and returns it. */
async function rejects<E extends CinchError>(p: Promise<unknown>, cls: new (...a: never[]) => E): Promise<E> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected ${cls.name}, got no error`);
}

test("the committed types are what openapi-typescript writes for the server's document", async () => {
  const dir = mkdtempSync(join(tmpdir(), "cinch-gen-check-"));
  try {
    const out = join(dir, "openapi.ts");
    await generate(srv.url, out);
    const committed = readFileSync(join(pkgDir, "src", "generated", "openapi.ts"), "utf8");
    assert.ok(
      readFileSync(out, "utf8") === committed,
      "src/generated/openapi.ts is out of date with the server's OpenAPI document: run `npm run gen` in clients/typescript and commit it",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the seed's tenant walkthrough: connect, insert, query, switchTenant", async () => {
  assert.equal(db.isLocal, false);
  await db.tenants.createTenant("acme_corp");
  await db.tenants.create("wayne_ent");

  const acme = connect(srv.url, srv.key, { tenant: "acme_corp" });
  assert.deepEqual([acme.database, acme.branch, acme.tenant], ["main", "main", "acme_corp"]);
  const alice = await acme.insert("users", { name: "Alice", email: "alice@acme.com" });
  assert.equal(typeof alice["id"], "string");
  assert.equal(alice["active"], true); // the BOOLEAN default, read back as a boolean
  assert.equal(typeof alice["created_at"], "string");

  const users = await acme.query("SELECT name, email, active FROM users");
  assert.ok(users instanceof QueryResult);
  assert.deepEqual(users.columns, ["name", "email", "active"]);
  assert.deepEqual(users.rows, [["Alice", "alice@acme.com", true]]);
  assert.deepEqual(users.records(), [{ name: "Alice", email: "alice@acme.com", active: true }]);
  assert.equal(users.value(0, "email"), "alice@acme.com");
  assert.equal(users.value(1, "email"), undefined);

  const wayne = acme.switchTenant("wayne_ent"); // no I/O
  assert.equal(wayne.tenant, "wayne_ent");
  assert.deepEqual((await wayne.query("SELECT count(*) AS n FROM users")).rows, [[0]]); // tenants are isolated
  const count = (await acme.query("SELECT COUNT(*) AS count FROM users")).records()[0]!["count"];
  assert.equal(count, 1);

  const pending = await acme.query("SELECT name FROM users WHERE email = ?", ["alice@acme.com"]);
  assert.deepEqual(pending.rows, [["Alice"]]);
});

test("insert several, update, delete", async () => {
  const t = db.switchTenant("wayne_ent");
  const [bruce, dick, tim] = await t.insert("users", { name: "Bruce", score: 1 }, { name: "Dick", score: 2 }, { name: "Tim", score: 3 });
  assert.deepEqual([bruce!["name"], dick!["name"], tim!["name"]], ["Bruce", "Dick", "Tim"]);
  const many = await t.insertMany("users", [{ name: "Alfred" }]);
  assert.equal(many.length, 1);

  const updated = await t.update("users", String(bruce!["id"]), { score: 10, email: "bruce@wayne.com" });
  assert.equal(updated["score"], 10);
  assert.equal(updated["email"], "bruce@wayne.com");
  assert.equal(updated["name"], "Bruce");

  assert.equal(await t.delete("users", String(dick!["id"])), 1);
  assert.equal(await t.delete("users", String(dick!["id"])), 0); // none left
  assert.equal(await t.delete("users", String(tim!["id"]), String(many[0]!["id"])), 2);
  assert.deepEqual((await t.query("SELECT name FROM users")).rows, [["Bruce"]]);

  await rejects(t.update("users", "no-such-id", { score: 1 }), RowNotFoundError);
  await rejects(t.insert("users", { name: "Bat", email: "bruce@wayne.com" }), ConstraintFailedError);
});

test("9223372036854775807 round-trips exactly; integers beyond 2^53 are bigints", async () => {
  const max = 9223372036854775807n;
  const min = -9223372036854775808n;
  const res = await db.query("SELECT ?, ?, ?, ? + 0, 9223372036854775807", [max, min, 9007199254740993n, 9007199254740991]);
  assert.deepEqual(res.rows[0], [max, min, 9007199254740993n, 9007199254740991, max]);
  assert.equal(typeof res.rows[0]![3], "number");
  // A number beyond 2^53 is sent as the integer it holds.
  assert.deepEqual((await db.query("SELECT ?, typeof(?)", [2 ** 60, 2 ** 60])).rows, [[1152921504606846976n, "integer"]]);

  // Stored in an INTEGER column and read back through every route that returns rows.
  const row = await db.insert("users", { name: "Big", score: max });
  assert.equal(row["score"], max);
  const back = await db.query("SELECT score, score - 1 FROM users WHERE id = ?", [row["id"] as string]);
  assert.deepEqual(back.rows, [[max, 9223372036854775806n]]);
  const upd = await db.update("users", row["id"] as string, { score: min });
  assert.equal(upd["score"], min);
  const all = await db.queryAll("SELECT score FROM users WHERE name = 'Big'", [], { tenants: ["main"] });
  assert.deepEqual(all[0]!.rows, [[min]]);
  await db.delete("users", row["id"] as string);
});

test("values: floats, infinities, booleans, NULL, blobs as base64, dates as text", async () => {
  const res = await db.query("SELECT 9e999, -9e999, 2.0, 1.5, NULL, x'0102', ?, ?", [new Date(Date.UTC(2025, 0, 31)), true]);
  assert.deepEqual(res.rows[0], [Infinity, -Infinity, 2, 1.5, null, "AQI=", "2025-01-31T00:00:00.000Z", 1]);
  await rejects(db.query("SELECT ?", [new Uint8Array([1]) as unknown as Value]), InvalidInputError); // refused before sending
  await rejects(db.query("SELECT ?", [NaN]), InvalidInputError);
});

test("repeated column names keep every value, in order", async () => {
  const res = await db.query("SELECT 1 AS x, 2 AS x, 'a' AS y");
  assert.deepEqual(res.columns, ["x", "x", "y"]);
  assert.deepEqual(res.rows, [[1, 2, "a"]]);
  assert.equal(res.value(0, "x"), 1); // the first x
  assert.deepEqual(res.record(0), { x: 2, y: "a" }); // lossy like Go's Record: the later x wins
});

test("limit truncates; rows_affected counts writes", async () => {
  const res = await db.query("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10) SELECT x FROM c", [], { limit: 3 });
  assert.deepEqual(res.rows, [[1], [2], [3]]);
  assert.equal(res.truncated, true);
  const t = db.switchTenant("acme_corp");
  const w = await t.query("UPDATE users SET score = 5");
  assert.equal(w.rows_affected, 1);
  assert.deepEqual(w.columns, []);
  assert.equal(w.truncated, false);
});

test("a query that fails after rows were streamed throws the body's error", async () => {
  // More than the server's 64 KiB first flush of rows, then a runtime error:
  // the status is already 200, so the body ends with "error".
  const sql =
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000) " +
    "SELECT x, CASE WHEN x < 2999 THEN printf('%.100c', 'a') ELSE abs(-9223372036854775807 - 1) END FROM c";
  const statuses: number[] = [];
  const watched = connect(srv.url, srv.key, {
    fetch: async (input, init) => {
      const resp = await fetch(input, init);
      statuses.push(resp.status);
      return resp;
    },
  });
  const err = await rejects(watched.query(sql), InvalidInputError);
  assert.deepEqual(statuses, [200]); // the error came in the body, not as the status
  assert.equal(err.code, "invalid_input");
  assert.equal(err.status, 400);
  assert.match(err.message, /integer overflow/);
});

test("errors are classes per code, with code, status and message", async () => {
  const nope = db.switchTenant("nope");
  const e = await rejects(nope.query("SELECT 1"), TenantNotFoundError);
  assert.equal(e.code, "tenant_not_found");
  assert.equal(e.status, 404);
  assert.match(e.message, /nope/);
  assert.equal(typeof e.requestId, "string");

  await rejects(db.query("DROP TABLE users"), QueryRejectedError);
  await rejects(db.query("ATTACH 'other.db' AS x"), QueryRejectedError);
  await rejects(db.query("SELECT * FROM nowhere"), CinchError);
  await rejects(db.query("DELETE FROM users", [], { readOnly: true }), ReadOnlyError);
  await rejects(db.tables.getTable("nowhere"), TableNotFoundError);
  await rejects(db.tenants.createTenant("acme_corp"), TenantExistsError);
  const batch = await db.tenants.createMany(["batch_a", "batch_b"]);
  assert.deepEqual(batch.map((t) => t.name), ["batch_a", "batch_b"]);
  const lazyBatch = await db.tenants.createMany(["batch_c"], { lazy: true });
  assert.equal(lazyBatch[0]?.state, "lazy");
  await rejects(db.tenants.createMany(["batch_new", "batch_a"]), TenantExistsError);
  assert.ok(!(await db.tenants.list()).some((t) => t.name === "batch_new"));
  await rejects(db.switchBranch("nowhere").query("SELECT 1"), BranchNotFoundError);
  const bad = connect(srv.url, "cinch_wrong_key");
  const u = await rejects(bad.query("SELECT 1"), UnauthorizedError);
  assert.equal(u.status, 401);
  assert.throws(() => connect("ftp://example.com", "k"), InvalidInputError);
});

test("an aborted request is CanceledError", async () => {
  const ac = new AbortController();
  ac.abort();
  await rejects(db.query("SELECT 1", [], { signal: ac.signal }), CanceledError);
});

test("tenants: list, get, copy, rename, delete", async () => {
  await db.tenants.createTenant("stark_ind", { lazy: true });
  const names = (await db.tenants.listTenants()).map((t) => t.name);
  assert.ok(["main", "acme_corp", "wayne_ent", "stark_ind"].every((n) => names.includes(n)), names.join());
  const acme = await db.tenants.getTenant("acme_corp");
  assert.equal(acme.name, "acme_corp");
  assert.equal(typeof acme.size_bytes, "number");

  await db.tenants.copyTenant("acme_corp", "acme_staging");
  assert.deepEqual((await db.switchTenant("acme_staging").query("SELECT name FROM users")).rows, [["Alice"]]);
  const empty = await db.tenants.copy("acme_corp", "acme_empty", { noData: true });
  assert.equal(empty.name, "acme_empty");
  assert.deepEqual((await db.switchTenant("acme_empty").query("SELECT count(*) FROM users")).rows, [[0]]);
  await db.tenants.renameTenant("acme_staging", "acme_old");
  await db.tenants.deleteTenant("acme_old");
  await db.tenants.delete("acme_empty");
  await rejects(db.tenants.getTenant("acme_old"), TenantNotFoundError);
});

test("columns.addColumn reaches every tenant; tables and columns are listed", async () => {
  await db.columns.addColumn("users", { name: "phone", type: "TEXT" });
  for (const tenant of ["main", "acme_corp", "wayne_ent", "stark_ind"]) {
    const res = await db.switchTenant(tenant).query("SELECT phone FROM users LIMIT 1");
    assert.deepEqual(res.columns, ["phone"], tenant);
  }
  const cols = (await db.columns.listColumns("users")).map((c) => c.name);
  assert.deepEqual(cols.slice(0, 1), ["id"]);
  assert.ok(cols.includes("phone") && cols.includes("created_at"), cols.join());
  await db.columns.renameColumn("users", "phone", "mobile");
  await db.columns.alterColumnNullable("users", "mobile", false, "none");
  await db.columns.alterColumnNullable("users", "mobile", true);
  await db.columns.dropColumn("users", "mobile");

  await db.tables.createTable("orders", [{ name: "amount", type: "REAL" }]);
  assert.deepEqual((await db.tables.listTables()).map((t) => t.name).sort(), ["orders", "users"]);
  assert.ok((await db.tables.getTable("orders")).columns.some((c) => c.name === "amount"));
  await db.tables.copyTable("orders", "orders_copy", false);
  await db.tables.deleteTable("orders_copy");

  await db.views.createView("active_users", "SELECT name FROM users WHERE active");
  assert.equal((await db.views.getView("active_users")).name, "active_users");
  await db.views.updateView("active_users", "SELECT name, email FROM users WHERE active");
  assert.deepEqual((await db.views.listViews()).map((v) => v.name), ["active_users"]);
  await db.views.deleteView("active_users");

  const ch = await db.indexes.createIndex("orders", ["amount"], { name: "idx_orders_amount" });
  assert.equal(ch.entity, "idx_orders_amount");
  assert.deepEqual((await db.indexes.listIndexes("orders")).map((i) => i.name), ["idx_orders_amount"]);
  await db.indexes.dropIndex("idx_orders_amount");

  const changes = await db.changes();
  assert.ok(changes.length >= 10, `${changes.length} changes`);
  assert.equal(changes[0]!.entity, "users");
});

test("queryAll fans out: one answer per tenant, errors per tenant", async () => {
  await db.tenants.createTenant("old_customer");
  await db.fleet.archive("old_customer");
  const all = await db.queryAll("SELECT count(*) AS n FROM users WHERE name = ?", ["Alice"], {
    tenants: ["acme_corp", "wayne_ent", "old_customer"],
  });
  assert.deepEqual(
    all.map((r) => r.tenant),
    ["acme_corp", "wayne_ent", "old_customer"],
  );
  assert.deepEqual(all[0]!.columns, ["n"]);
  assert.deepEqual(all[0]!.rows, [[1]]);
  assert.deepEqual(all[1]!.rows, [[0]]);
  assert.equal(all[0]!.error, null);
  assert.ok(all[2]!.error instanceof TenantArchivedError, String(all[2]!.error));
  assert.deepEqual(all[2]!.rows, []);
  await db.fleet.restore("old_customer");

  const every = await db.queryAll("SELECT 1");
  assert.ok(every.length >= 4 && every.every((r) => r.error === null));
});

test("stats, check, vacuum, analyze, inactive, groups", async () => {
  const stats = await db.stats();
  const acme = stats.find((s) => s.name === "acme_corp");
  assert.ok(acme, stats.map((s) => s.name).join());
  assert.equal(acme.tables, 2);
  assert.equal((await db.stats({ tenants: ["wayne_ent"] })).length, 1);

  const checks = await db.fleet.check({ tenants: ["acme_corp"] });
  assert.equal(checks[0]!.ok, true);
  assert.equal((await db.fleet.vacuum({ tenants: ["acme_corp"] }))[0]!.tenant, "acme_corp");
  assert.equal((await db.fleet.analyze({ tenants: ["acme_corp"] })).length, 1);
  assert.deepEqual(await db.fleet.inactiveSince(new Date(Date.UTC(2000, 0, 1))), []);

  const g = await db.groups.create("trial", { max_concurrent: 4 });
  assert.equal(g.name, "trial");
  await db.groups.setTenant("stark_ind", "trial");
  assert.equal((await db.tenants.getTenant("stark_ind")).group, "trial");
  assert.equal((await db.groups.setLimits("trial", { max_concurrent: 2 })).max_concurrent, 2);
  assert.deepEqual((await db.groups.list()).map((x) => x.name), ["trial"]);
  assert.equal((await db.groups.get("trial")).max_concurrent, 2);
});

test("branches: create, switch, merge, delete", async () => {
  const br = await db.branches.createBranch("feature.payments");
  assert.equal(br.name, "feature.payments");
  const feature = db.switchBranch("feature.payments");
  await feature.tables.createTable("payments", [{ name: "amount", type: "REAL" }]);
  assert.deepEqual((await feature.switchTenant("acme_corp").query("SELECT name FROM users")).rows, [["Alice"]]); // data copied
  const plan = await db.branches.merge("feature.payments", "main", { dryRun: true });
  assert.equal(plan.dry_run, true);
  assert.equal(plan.changes.length, 1);
  const done = await db.branches.merge("feature.payments");
  assert.equal(done.dry_run, false);
  assert.ok((await db.tables.listTables()).some((t) => t.name === "payments"));
  assert.ok((await db.branches.listBranches()).some((b) => b.name === "feature.payments"));
  assert.equal((await db.branches.changes("feature.payments")).at(-1)!.entity, "payments");
  await db.branches.deleteBranch("feature.payments");
  await rejects(db.branches.getBranch("feature.payments"), BranchNotFoundError);

  // A conflicting merge is refused with its plan in details.
  await db.branches.createBranch("feature.notes");
  await db.switchBranch("feature.notes").columns.addColumn("users", { name: "note", type: "TEXT" });
  await db.columns.addColumn("users", { name: "note", type: "INTEGER" });
  const conflict = await rejects(db.branches.merge("feature.notes"), ConflictError);
  assert.equal(conflict.status, 409);
  const refused = conflict.details as { conflicts?: { entity: string }[] };
  assert.ok(refused.conflicts?.some((c) => c.entity.includes("users")), JSON.stringify(conflict.details));
});

test("an encrypted tenant needs its key", async () => {
  const key = "correct horse battery staple";
  const vault = db.withTenantKey(key);
  await vault.tenants.createTenant("vault", { encrypt: true });
  const v = vault.switchTenant("vault");
  await v.insert("users", { name: "Secret" });
  assert.deepEqual((await v.query("SELECT name FROM users")).rows, [["Secret"]]);
  await rejects(db.switchTenant("vault").query("SELECT name FROM users"), EncryptionKeyError);
});

test("health", async () => {
  assert.deepEqual(await db.health(), { status: "ok" });
  const rows: Row[] = (await db.query("SELECT 1 AS one")).records();
  assert.deepEqual(rows, [{ one: 1 }]);
});
