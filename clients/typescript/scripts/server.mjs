// Starts a real `cinch serve` for the tests and for `npm run gen`: builds
// the binary from this repository (or uses $CINCH_BIN), runs `cinch init`
// and `cinch key create` in a temporary project, and serves it on a free
// loopback port, read from the "listening on " line of its stderr.

import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root: clients/typescript/scripts/../../.. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/**
 * @typedef {object} Served
 * @property {string} url   base URL, e.g. http://127.0.0.1:39107
 * @property {string} key   an API key with no scope limit
 * @property {string} dir   the project folder
 * @property {string} bin   the cinch binary
 * @property {() => string} log  what the server wrote to stderr so far
 * @property {() => Promise<void>} stop  SIGTERM, wait, remove the folder
 */

/** @returns {Promise<Served>} */
export async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), "cinch-ts-"));
  try {
    // The child processes see no CINCHDB_* variables: the project is given explicitly.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("CINCHDB_")));
    let bin = process.env.CINCH_BIN ? resolve(process.env.CINCH_BIN) : "";
    if (!bin) {
      bin = join(dir, "cinch");
      execFileSync("go", ["build", "-o", bin, "./cmd/cinch"], { cwd: repoRoot, stdio: ["ignore", "inherit", "inherit"] });
    }
    const project = join(dir, "project");
    execFileSync(bin, ["init", project], { env, stdio: "pipe" });
    const out = execFileSync(bin, ["key", "create", "--project", project], { env, encoding: "utf8" });
    const key = out.trim().split("\n").pop()?.trim() ?? "";
    if (!key.startsWith("cinch_")) throw new Error(`cinch key create printed no key: ${out}`);

    const child = spawn(bin, ["serve", "--project", project, "--addr", "127.0.0.1:0"], {
      env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    const exited = new Promise((res) => child.once("exit", (code, signal) => res({ code, signal })));
    let log = "";
    const url = await new Promise((res, rej) => {
      let buf = "";
      const onData = (/** @type {Buffer} */ chunk) => {
        buf += chunk.toString("utf8");
        log += chunk.toString("utf8");
        for (;;) {
          const nl = buf.indexOf("\n");
          if (nl < 0) break;
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const at = line.indexOf("listening on ");
          if (at >= 0) {
            child.stderr.off("data", onData);
            child.stderr.on("data", (c) => (log += c.toString("utf8")));
            res(line.slice(at + "listening on ".length).split(/\s+/)[0]);
            return;
          }
        }
      };
      child.stderr.on("data", onData);
      child.once("error", rej);
      exited.then(() => rej(new Error(`cinch serve exited before listening:\n${log}`)));
    });
    return {
      url: String(url),
      key,
      dir: project,
      bin,
      log: () => log,
      async stop() {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
        const { code, signal } = /** @type {{code: number|null, signal: string|null}} */ (await exited);
        rmSync(dir, { recursive: true, force: true });
        if (code !== 0 && signal !== "SIGTERM") throw new Error(`cinch serve ended with ${code ?? signal}:\n${log}`);
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
