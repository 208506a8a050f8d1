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

/** The cinch binary: $CINCH_BIN, or built from this repository into dir. */
function cinchBin(dir) {
  if (process.env.CINCH_BIN) return resolve(process.env.CINCH_BIN);
  const bin = join(dir, "cinch");
  execFileSync("go", ["build", "-o", bin, "./cmd/cinch"], { cwd: repoRoot, stdio: ["ignore", "inherit", "inherit"] });
  return bin;
}

/**
 * @param {string[]} [args] more flags of cinch serve (e.g. --no-converge)
 * @returns {Promise<Served>}
 */
export async function startServer(args = []) {
  const dir = mkdtempSync(join(tmpdir(), "cinch-ts-"));
  try {
    // The child processes see no CINCHDB_* variables: the project is given explicitly.
    const env = childEnv();
    const bin = cinchBin(dir);
    const project = join(dir, "project");
    execFileSync(bin, ["init", project], { env, stdio: "pipe" });
    const out = execFileSync(bin, ["key", "create", "--project", project], { env, encoding: "utf8" });
    const key = out.trim().split("\n").pop()?.trim() ?? "";
    if (!key.startsWith("cinch_")) throw new Error(`cinch key create printed no key: ${out}`);
    const served = await serve(bin, ["serve", "--project", project, "--addr", "127.0.0.1:0", ...args], env, dir);
    return { ...served, key, dir: project, bin };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * A one-node cluster: `cinch serve --cluster --replicas 1` with its embedded
 * NATS server on a free port, in a temporary folder. It starts in well under
 * a second. key is "": the test runs cluster.init() for the admin key.
 * @param {string} node the node's name
 * @returns {Promise<Served>}
 */
export async function startClusterNode(node = "n1") {
  const dir = mkdtempSync(join(tmpdir(), "cinch-ts-cluster-"));
  try {
    const env = childEnv();
    const bin = cinchBin(dir);
    const folder = join(dir, node);
    const args = ["serve", "--cluster", "--node", node, "--dir", folder, "--replicas", "1", "--addr", "127.0.0.1:0",
      "--nats-listen", "127.0.0.1:0", "--rate", "0"];
    const served = await serve(bin, args, env, dir);
    return { ...served, key: "", dir: folder, bin };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

function childEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("CINCHDB_")));
}

/**
 * Runs `cinch ARGS` until it prints "listening on URL"; stop() ends it with
 * SIGTERM and removes dir.
 * @returns {Promise<{url: string, log: () => string, stop: () => Promise<void>}>}
 */
async function serve(bin, args, env, dir) {
  const child = spawn(bin, args, { env, stdio: ["ignore", "ignore", "pipe"] });
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
    log: () => log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const { code, signal } = /** @type {{code: number|null, signal: string|null}} */ (await exited);
      rmSync(dir, { recursive: true, force: true });
      if (code !== 0 && signal !== "SIGTERM") throw new Error(`cinch serve ended with ${code ?? signal}:\n${log}`);
    },
  };
}
