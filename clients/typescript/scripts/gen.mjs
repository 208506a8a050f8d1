// npm run gen: regenerates src/generated/openapi.ts from a served OpenAPI
// document with openapi-typescript (the version pinned in package.json).
//
//   npm run gen                          # builds cinch from this repository and serves a temporary project
//   npm run gen -- http://127.0.0.1:8080 # or reads the document of a running cinch serve
//
// The document needs no key. The test suite checks that the committed file
// is what this script writes for the current server.

import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "./server.mjs";

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const generatedFile = join(pkg, "src", "generated", "openapi.ts");

/** Writes the types of the OpenAPI document served at base (http://HOST:PORT) to out. */
export async function generate(base, out) {
  const resp = await fetch(`${base.replace(/\/+$/, "")}/v1/openapi.json`);
  if (!resp.ok) throw new Error(`GET ${base}/v1/openapi.json: ${resp.status}`);
  const doc = await resp.text();
  const tmp = mkdtempSync(join(tmpdir(), "cinch-openapi-"));
  try {
    const file = join(tmp, "openapi.json");
    writeFileSync(file, doc);
    const cli = join(pkg, "node_modules", "openapi-typescript", "bin", "cli.js");
    execFileSync(process.execPath, [cli, file, "--output", out], { cwd: tmp, stdio: ["ignore", "ignore", "inherit"] });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const given = process.argv[2];
  if (given) {
    await generate(given, generatedFile);
  } else {
    const srv = await startServer();
    try {
      await generate(srv.url, generatedFile);
    } finally {
      await srv.stop();
    }
  }
  console.log(`wrote ${generatedFile}`);
}
