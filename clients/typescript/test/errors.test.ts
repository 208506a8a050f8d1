// The error classes are the server's table (server/errors.go, statusByCode),
// one class per code with its status: read from the Go source, so a code
// added to the server without a class here fails this test.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import * as cinch from "@cinchdb/cinch";
import { CinchError, ERROR_CLASSES, errorFromCode, statusOf } from "@cinchdb/cinch";
import { repoRoot } from "./helpers.js";

const httpStatus: Record<string, number> = {
  StatusBadRequest: 400,
  StatusUnauthorized: 401,
  StatusForbidden: 403,
  StatusNotFound: 404,
  StatusMethodNotAllowed: 405,
  StatusRequestTimeout: 408,
  StatusConflict: 409,
  StatusRequestEntityTooLarge: 413,
  StatusUnsupportedMediaType: 415,
  StatusTooManyRequests: 429,
  StatusInternalServerError: 500,
  StatusNotImplemented: 501,
  StatusServiceUnavailable: 503,
  StatusInsufficientStorage: 507,
};

/** statusByCode of server/errors.go, with the Code* constants of package server resolved. */
function serverTable(): Map<string, number> {
  const dir = join(repoRoot, "server");
  const consts = new Map<string, string>();
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".go"))) {
    for (const m of readFileSync(join(dir, f), "utf8").matchAll(/\b(Code\w+)\s*=\s*"(\w+)"/g)) {
      consts.set(m[1]!, m[2]!);
    }
  }
  const src = readFileSync(join(dir, "errors.go"), "utf8");
  const start = src.indexOf("var statusByCode");
  assert.ok(start >= 0, "statusByCode not found in server/errors.go");
  const body = src.slice(start, src.indexOf("\n}\n", start));
  const table = new Map<string, number>();
  for (const m of body.matchAll(/^\s*(?:"(\w+)"|(Code\w+)):\s*http\.(\w+),/gm)) {
    const code = m[1] ?? consts.get(m[2]!);
    const status = httpStatus[m[3]!];
    assert.ok(code, `unresolved constant ${m[2]}`);
    assert.ok(status, `unknown status ${m[3]}`);
    table.set(code, status);
  }
  assert.ok(table.size > 30, `only ${table.size} codes read from server/errors.go`);
  return table;
}

test("one error class per code of the server's table, with its status", () => {
  const table = serverTable();
  assert.deepEqual(Object.keys(ERROR_CLASSES).sort(), [...table.keys()].sort());
  for (const [code, status] of table) {
    const cls = ERROR_CLASSES[code as keyof typeof ERROR_CLASSES];
    assert.equal(cls.code, code);
    assert.equal(cls.status, status, code);
    assert.equal(statusOf(code), status);
    // Exported by name, and an instance says its code and status.
    assert.equal((cinch as unknown as Record<string, unknown>)[cls.name], cls, `${cls.name} is not exported`);
    const e = new cls("msg");
    assert.ok(e instanceof CinchError && e instanceof Error);
    assert.equal(e.code, code);
    assert.equal(e.status, status);
    assert.equal(e.message, "msg");
    assert.equal(e.name, cls.name);
    assert.ok(errorFromCode(code, "m") instanceof cls);
  }
});

test("an unknown code is a plain CinchError with that code and status 500", () => {
  const e = errorFromCode("brand_new", "m", { status: 418 });
  assert.equal(e.constructor, CinchError);
  assert.equal(e.code, "brand_new");
  assert.equal(e.status, 418);
  assert.equal(statusOf("brand_new"), 500);
});
