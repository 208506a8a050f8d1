// db.fleet.migrate against a real `cinch serve` without its background
// converger: tenants left behind by a schema change made in another
// process (the CLI) are brought up to date on request.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, test } from "node:test";
import { ForbiddenError, ReadOnlyError, TenantNotFoundError, connect, type CinchDB } from "@cinchdb/cinch";
import { startServer, type Served } from "./helpers.js";

let srv: Served;
let db: CinchDB;

/** Runs the cinch CLI on the server's project; returns its stdout. */
function cli(...args: string[]): string {
  return execFileSync(srv.bin, [...args, "--project", srv.dir], { encoding: "utf8" });
}

before(async () => {
  srv = await startServer(["--no-converge"]);
  db = connect(srv.url, srv.key);
  for (const t of ["acme", "globex", "initech"]) cli("tenant", "create", t);
});

after(async () => {
  await srv?.stop();
});

test("fleet.migrate brings behind tenants up to date: named, then all, then none is left", async () => {
  // From another process: the server has none of these tenants open.
  cli("table", "create", "users", "name:TEXT");
  assert.deepEqual(await db.fleet.migrate({ tenants: ["acme"] }), { behind: 1, migrated: 1, remaining: 0 });
  const rest = await db.fleet.migrate();
  assert.ok(rest.behind >= 2, `behind ${rest.behind}: globex and initech at least`);
  assert.deepEqual(rest, { behind: rest.behind, migrated: rest.behind, remaining: 0 });
  assert.deepEqual(await db.fleet.migrate(), { behind: 0, migrated: 0, remaining: 0 });
  const res = await db.switchTenant("initech").query("SELECT count(*) AS n FROM users");
  assert.equal(res.rows[0]![0], 0);

  await assert.rejects(db.fleet.migrate({ tenants: ["nope"] }), TenantNotFoundError);
  const lastLine = (s: string) => s.trim().split("\n").pop()!.trim();
  const tenantKey = lastLine(cli("key", "create", "--tenant", "acme"));
  await assert.rejects(connect(srv.url, tenantKey, { tenant: "acme" }).fleet.migrate(), ForbiddenError);
  const readOnly = lastLine(cli("key", "create", "--read-only"));
  await assert.rejects(connect(srv.url, readOnly).fleet.migrate(), ReadOnlyError);
});
