// db.cluster against a real one-node cluster (cinch serve --cluster
// --replicas 1, started in well under a second), and against a single
// server, which answers every cluster call with NotImplementedError.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  CinchDB,
  ConflictError,
  InvalidInputError,
  NotImplementedError,
  UnauthorizedError,
  connect,
  type ClusterNode,
} from "@cinchdb/cinch";
import { startClusterNode, startServer, type Served } from "./helpers.js";

let node: Served;
let single: Served;
let db: CinchDB; // an admin handle on the cluster

before(async () => {
  [node, single] = await Promise.all([startClusterNode("n1"), startServer()]);
  const admin = await connect(node.url).cluster.init(); // no key needed, once
  assert.match(admin.key, /^cinch_/);
  assert.ok(admin.id);
  db = connect(node.url, admin.key);
});

after(async () => {
  await Promise.all([node?.stop(), single?.stop()]);
});

test("cluster init works once", async () => {
  await assert.rejects(connect(node.url).cluster.init(), ConflictError);
});

test("cluster status, move, drain and undrain", async () => {
  await db.tables.createTable("events", [{ name: "kind", type: "TEXT" }]);
  await db.tenants.create("acme");
  const acme = db.switchTenant("acme");
  for (let i = 0; i < 20; i++) await acme.insert("events", { kind: `k${i}` });

  // The node owns acme now; its writes show within its 10 s window.
  let n1: ClusterNode | undefined;
  const deadline = Date.now() + 60_000;
  for (;;) {
    n1 = (await db.cluster.status()).find((n) => n.name === "n1");
    if (n1 && n1.tenants_owned >= 1 && n1.writes_per_sec > 0) break;
    if (Date.now() > deadline) assert.fail(`status never showed n1 owning acme with writes: ${JSON.stringify(n1)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(n1.alive, true);
  assert.equal(n1.draining, false);
  assert.equal(n1.addr, node.url);
  assert.ok(!Number.isNaN(Date.parse(n1.at)));
  assert.ok(n1.control_lag >= 0 && n1.log_tail >= 0 && n1.snapshot_age_seconds >= 0);

  const moved = await db.cluster.move("acme", "n1"); // already there: nothing waits
  assert.deepEqual([moved.tenant, moved.to], ["acme", "n1"]);
  await assert.rejects(db.cluster.move("acme", "n9"), (err: Error) => err instanceof InvalidInputError && err.message.includes("n9"));

  assert.deepEqual(await db.cluster.drain("n1"), { node: "n1", draining: true });
  assert.equal((await db.cluster.status()).find((n) => n.name === "n1")?.draining, true);
  assert.deepEqual(await db.cluster.undrain("n1"), { node: "n1", draining: false });
  assert.equal((await db.cluster.status()).find((n) => n.name === "n1")?.draining, false);
  // Every acknowledged write is still there.
  const res = await acme.query("SELECT count(*) AS n FROM events");
  assert.equal(res.rows[0]?.[0], 20);
});

test("cluster calls need a valid key", async () => {
  await assert.rejects(connect(node.url, "cinch_not_a_key").cluster.status(), UnauthorizedError);
  await assert.rejects(connect(node.url).cluster.drain("n1"), UnauthorizedError);
});

test("a single server answers every cluster call with not_implemented", async () => {
  const c = connect(single.url, single.key).cluster;
  const calls: [string, () => Promise<unknown>][] = [
    ["init", () => c.init()],
    ["status", () => c.status()],
    ["move", () => c.move("main", "n2")],
    ["drain", () => c.drain("n2")],
    ["undrain", () => c.undrain("n2")],
  ];
  for (const [name, call] of calls) {
    await assert.rejects(call(), (err: Error) => {
      assert.ok(err instanceof NotImplementedError, `${name}: ${err}`);
      assert.equal(err.status, 501);
      assert.match(err.message, /cinch serve --cluster/);
      return true;
    });
  }
});
