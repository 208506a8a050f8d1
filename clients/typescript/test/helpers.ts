// Shared by the test files: the real server (scripts/server.mjs) and the
// package's folder.
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** clients/typescript, from build/test/helpers.js. */
export const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const repoRoot = resolve(pkgDir, "..", "..");

export interface Served {
  url: string;
  key: string;
  dir: string;
  bin: string;
  log(): string;
  stop(): Promise<void>;
}

/** Starts `cinch serve` on a temporary project, with more flags if given (see scripts/server.mjs). */
export async function startServer(args: string[] = []): Promise<Served> {
  const mod = (await import(pathToFileURL(join(pkgDir, "scripts", "server.mjs")).href)) as {
    startServer(args: string[]): Promise<Served>;
  };
  return mod.startServer(args);
}

/** Starts a one-node cluster (cinch serve --cluster --replicas 1; see scripts/server.mjs); key is "". */
export async function startClusterNode(node = "n1"): Promise<Served> {
  const mod = (await import(pathToFileURL(join(pkgDir, "scripts", "server.mjs")).href)) as {
    startClusterNode(node: string): Promise<Served>;
  };
  return mod.startClusterNode(node);
}

/** Writes the types of the document served at base to out (see scripts/gen.mjs). */
export async function generate(base: string, out: string): Promise<void> {
  const mod = (await import(pathToFileURL(join(pkgDir, "scripts", "gen.mjs")).href)) as {
    generate(base: string, out: string): Promise<void>;
  };
  return mod.generate(base, out);
}
