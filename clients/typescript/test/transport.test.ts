// What the client sends and how it reads answers, with a fake fetch: the
// answers a real server rarely gives (an error after rows were streamed, a
// proxy's HTML page, a rate limit).
import assert from "node:assert/strict";
import { test } from "node:test";
import { CinchError, InternalError, QueryRejectedError, RateLimitedError, connect } from "@cinchdb/cinch";

interface Sent {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/** A connect() whose fetch records each request and answers with respond(). */
function fake(respond: (s: Sent) => Response, options: { tenant?: string; tenantKey?: string } = {}) {
  const sent: Sent[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const s: Sent = {
      url: String(input),
      method: init?.method ?? "GET",
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      body: init?.body as string | undefined,
    };
    sent.push(s);
    return respond(s);
  };
  const db = connect("http://cinch.test:8080/", "cinch_key", { ...options, fetch: fetch as typeof globalThis.fetch });
  return { db, sent };
}

const json = (status: number, body: string, headers: Record<string, string> = {}) =>
  new Response(body, { status, headers: { "Content-Type": "application/json", ...headers } });

test("a query is a POST with the key, the tenant key and exact parameters", async () => {
  const { db, sent } = fake(() => json(200, '{"columns":["n"],"rows":[[9223372036854775807]],"rows_affected":0,"truncated":false}\n'), {
    tenant: "acme corp/x",
    tenantKey: "secret",
  });
  const res = await db.query("SELECT ?", [9223372036854775807n, 1.5, null], { limit: 5, readOnly: true });
  assert.deepEqual(res.rows, [[9223372036854775807n]]);
  const s = sent[0]!;
  assert.equal(s.method, "POST");
  assert.equal(s.url, "http://cinch.test:8080/v1/databases/main/branches/main/tenants/acme%20corp%2Fx/query");
  assert.equal(s.headers["authorization"], "Bearer cinch_key");
  assert.equal(s.headers["x-cinch-tenant-key"], "secret");
  assert.equal(s.headers["content-type"], "application/json");
  assert.equal(s.body, '{"sql":"SELECT ?","params":[9223372036854775807,1.5,null],"limit":5,"read_only":true}');
});

test("a body that ends with an error member throws that error", async () => {
  const { db } = fake(() =>
    json(200, '{"columns":["x"],"rows":[[1],[2]],"rows_affected":0,"truncated":true,"error":{"code":"query_rejected","message":"late"}}\n'),
  );
  const err = await db.query("SELECT x").then(
    () => assert.fail("no error"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof QueryRejectedError);
  assert.equal(err.message, "late");
  assert.equal(err.status, 400); // the table's status for the code: the response's was 200
});

test("a cut-off body is an InternalError, not a partial result", async () => {
  const { db } = fake(() => json(200, '{"columns":["x"],"rows":[[1],[2'));
  await assert.rejects(db.query("SELECT x"), InternalError);
});

test("an error without a JSON body gets a code from its status", async () => {
  const { db } = fake(() => new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway" }));
  const err = await db.query("SELECT 1").catch((e: unknown) => e);
  assert.ok(err instanceof InternalError);
  assert.equal(err.code, "internal");
  assert.equal(err.status, 502);
  assert.match(err.message, /502/);
});

test("rate_limited carries Retry-After; the request id comes along; unknown codes stay", async () => {
  let n = 0;
  const { db } = fake(() =>
    n++ === 0
      ? json(429, '{"error":{"code":"rate_limited","message":"slow down"}}', { "Retry-After": "3", "X-Request-Id": "req-1" })
      : json(418, '{"error":{"code":"teapot","message":"short and stout","details":{"spout":1}}}'),
  );
  const rl = await db.tenants.listTenants().catch((e: unknown) => e);
  assert.ok(rl instanceof RateLimitedError);
  assert.equal(rl.retryAfter, 3);
  assert.equal(rl.requestId, "req-1");
  const tp = await db.tenants.listTenants().catch((e: unknown) => e);
  assert.ok(tp instanceof CinchError && tp.constructor === CinchError);
  assert.equal(tp.code, "teapot");
  assert.equal(tp.status, 418);
  assert.deepEqual(tp.details, { spout: 1 });
});

test("routes: several ids, query strings, 204", async () => {
  const { db, sent } = fake((s) =>
    s.method === "DELETE" && s.url.includes("/tenants/") ? new Response(null, { status: 204 }) : s.url.includes("/rows/delete") ? json(200, '{"deleted":2}') : json(200, "[]"),
  );
  assert.equal(await db.delete("users", "a", "b"), 2);
  assert.equal(sent[0]!.body, '{"ids":["a","b"]}');
  await db.stats({ tenants: ["a", "b"] });
  assert.equal(sent[1]!.url, "http://cinch.test:8080/v1/databases/main/branches/main/fleet/stats?tenant=a&tenant=b");
  await db.fleet.inactiveSince(new Date(Date.UTC(2025, 0, 31)));
  assert.equal(sent[2]!.url, "http://cinch.test:8080/v1/databases/main/branches/main/fleet/inactive?since=2025-01-31T00%3A00%3A00.000Z");
  assert.equal(await db.tenants.deleteTenant("old"), undefined);
  assert.equal(sent[3]!.method, "DELETE");
});
