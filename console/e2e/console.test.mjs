// The web console in headless Chromium against a real `cinch serve`:
// sign in, list and page tenants, run a query and see the grid, insert and
// edit a row, add a column and see the change and the rollout, diff a
// branch and run a merge dry run with its conflict, a fan-out query and an
// archive, and a tenant-scoped key that sees no other tenant. Fails on any
// page error, any console error, and any API answer of 400 or more the
// test did not ask for. Screenshots go to docs/console/.
//
//   node console.test.mjs        (make test-console builds, installs and runs it)
//
// CINCH_BIN: a built cinch binary (else it is built here); CHROMIUM: the
// browser (else chromium on PATH); CONSOLE_SHOTS=1 saves the screenshots
// (make console-shots): off by default so a test run leaves the tree clean.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const shotsDir = join(repoRoot, "docs", "console");
const shots = process.env.CONSOLE_SHOTS === "1";
const started = Date.now();
const step = (what) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${what}`);

// ---- a real cinch serve on a temporary project ----

const dir = mkdtempSync(join(tmpdir(), "cinch-console-"));
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("CINCHDB_")));
let bin = process.env.CINCH_BIN ? resolve(process.env.CINCH_BIN) : "";
if (!bin) {
  bin = join(dir, "cinch");
  execFileSync("go", ["build", "-o", bin, "./cmd/cinch"], { cwd: repoRoot, stdio: ["ignore", "inherit", "inherit"] });
}
const project = join(dir, "project");
const cinch = (...args) => execFileSync(bin, [...args, "--project", project], { env, encoding: "utf8" });
const lastLine = (out) => out.trim().split("\n").pop().trim();
cinch("init", project);
const fullKey = lastLine(cinch("key", "create"));

let log = "";
const server = spawn(bin, ["serve", "--project", project, "--addr", "127.0.0.1:0"], { env, stdio: ["ignore", "ignore", "pipe"] });
const exited = new Promise((res) => server.once("exit", (code, signal) => res({ code, signal })));
const base = await new Promise((res, rej) => {
  server.stderr.on("data", (c) => {
    log += c.toString("utf8");
    const m = log.match(/listening on (http:\/\/\S+)/);
    if (m) res(m[1]);
  });
  exited.then(() => rej(new Error("cinch serve exited:\n" + log)));
});

async function api(method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: { Authorization: "Bearer " + fullKey, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

let browser;
const pages = [];
try {
  // ---- fixtures: a table, 30 tenants with rows, a branch that conflicts ----
  step("fixtures");
  const br = "/v1/databases/main/branches/main";
  await api("POST", br + "/tables", { name: "orders", columns: [
    { name: "customer", type: "TEXT" }, { name: "amount", type: "REAL" }, { name: "paid", type: "BOOLEAN", default: "false" }] });
  const names = ["acme", "globex", "initech", "umbrella", "hooli"];
  for (let i = 1; i <= 25; i++) names.push("cust_" + String(i).padStart(2, "0"));
  for (const [i, name] of names.entries()) {
    await api("POST", br + "/tenants", { name, lazy: i % 4 === 3 });
    if (i % 4 !== 3 && i < 12) {
      const rows = Array.from({ length: (i + 1) * 3 }, (_, j) => ({ customer: `${name} customer ${j}`, amount: (j + 1) * 10.5, paid: j % 2 === 0 }));
      await api("POST", `${br}/tenants/${name}/tables/orders/rows`, rows);
    }
  }
  await api("POST", "/v1/databases/main/branches", { name: "feature", from: "main" });
  const fb = "/v1/databases/main/branches/feature";
  await api("POST", fb + "/tables", { name: "notes", columns: [{ name: "body", type: "TEXT" }] });
  await api("POST", fb + "/tables/orders/columns", { name: "region", type: "INTEGER" }); // main adds region TEXT below: a conflict
  const acmeKey = lastLine(cinch("key", "create", "--tenant", "acme", "--database", "main", "--branch", "main"));
  const readKey = lastLine(cinch("key", "create", "--read-only"));
  const total = names.length + 1; // and main

  // ---- the browser ----
  const executablePath = process.env.CHROMIUM || execFileSync("sh", ["-c", "command -v chromium || command -v chromium-browser"], { encoding: "utf8" }).trim();
  browser = await chromium.launch({ executablePath, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
  if (shots) mkdirSync(shotsDir, { recursive: true });

  /** A fresh tab (its own session storage) that records what went wrong. */
  async function tab() {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    pages.push(page);
    page.setDefaultTimeout(15000);
    page.problems = [];
    page.expected = []; // [status, path fragment] the test is about to cause
    page.on("pageerror", (e) => page.problems.push("page error: " + e.message));
    page.on("console", (m) => {
      // Chromium logs every 4xx/5xx fetch as a console error; those are checked by status below.
      if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) page.problems.push("console error: " + m.text());
    });
    page.on("response", (r) => {
      if (r.status() < 400) return;
      const i = page.expected.findIndex(([st, frag]) => st === r.status() && r.url().includes(frag));
      if (i >= 0) page.expected.splice(i, 1);
      else page.problems.push(`unexpected ${r.status()} from ${r.request().method()} ${r.url()}`);
    });
    return page;
  }
  const shot = async (page, name, fullPage = false) => {
    if (shots) await page.screenshot({ path: join(shotsDir, name + ".png"), fullPage });
  };
  const clean = (page) => assert.deepEqual(page.problems, [], "the page had problems");

  // ---- sign in ----
  step("sign in");
  const page = await tab();
  await page.goto(base + "/ui");
  assert.equal(new URL(page.url()).pathname, "/ui/");
  await page.getByLabel("API key").fill(fullKey);
  await shot(page, "signin");
  await page.getByRole("button", { name: "Sign in" }).click();

  // ---- tenants: the table, paging, filter, charts ----
  step("tenants");
  await page.getByRole("heading", { name: "Tenants", level: 1 }).waitFor();
  await page.locator("#tenant-table").getByRole("link", { name: "acme", exact: true }).waitFor();
  await page.locator("#tenant-range").filter({ hasText: `1–25 of ${total} tenants` }).waitFor();
  await page.getByRole("img", { name: /Size by tenant/ }).waitFor();
  await page.getByRole("img", { name: /Last write age/ }).waitFor();
  assert.equal(await page.locator("#tenant-table tbody tr").count(), 25);
  await shot(page, "tenants", true);
  await page.getByRole("button", { name: "Next page" }).click();
  await page.locator("#tenant-range").filter({ hasText: `26–${total} of ${total} tenants` }).waitFor();
  await page.getByLabel("Filter by name").fill("glob");
  await page.locator("#tenant-range").filter({ hasText: "1–1 of 1 tenant" }).waitFor();
  assert.deepEqual(await page.locator("#tenant-table tbody tr td:first-child").allTextContents(), ["globex"]);
  await page.getByLabel("Filter by name").fill("");
  await page.getByLabel("Sort by").selectOption("size:desc");
  await page.locator("#tenant-range").filter({ hasText: `1–25 of ${total}` }).waitFor();
  const [largest] = await api("GET", br + "/tenants?sort=size:desc&limit=1");
  await page.locator("#tenant-table tbody tr").first().getByRole("link", { name: largest.name, exact: true }).waitFor();
  clean(page);

  // ---- a tenant: tables, the query console, insert and edit ----
  step("query");
  await page.locator("#tenant-table").getByRole("link", { name: "cust_06", exact: true }).click();
  await page.getByRole("heading", { name: "Tenant cust_06" }).waitFor();
  await page.locator("#tenant-tables tbody tr", { hasText: "orders" }).locator("td.num").filter({ hasText: "33" }).waitFor();
  await page.getByLabel("SQL", { exact: true }).fill("SELECT paid, amount, customer FROM orders WHERE amount > ? ORDER BY amount DESC");
  await page.getByLabel("Parameters (a JSON array)").fill("[300]");
  await page.getByRole("button", { name: "Run query" }).click();
  await page.locator("#result-grid").waitFor();
  assert.deepEqual(await page.locator("#result-grid thead th").allTextContents(), ["paid", "amount", "customer"]);
  assert.equal(await page.locator("#result-grid tbody tr").count(), 5); // 304.5 to 346.5
  assert.deepEqual(await page.locator("#result-grid tbody tr").first().locator("td").allTextContents(), ["true", "346.5", "cust_06 customer 32"]);
  await page.locator("#query-timing").filter({ hasText: /^5 rows in \d+ ms$/ }).waitFor();
  await shot(page, "query");
  page.expected.push([400, "/query"]);
  await page.getByLabel("SQL", { exact: true }).fill("SELECT nope FROM orders");
  await page.getByLabel("Parameters (a JSON array)").fill("");
  await page.getByRole("button", { name: "Run query" }).click();
  const alert = page.locator("#query-result [role=alert]");
  await alert.waitFor();
  assert.match(await alert.textContent(), /^[a-z_]+: .*nope/);
  assert.deepEqual(page.expected, []);

  step("insert and edit");
  await page.getByRole("button", { name: "Rows of orders" }).click();
  await page.locator("#rows-grid").waitFor();
  await page.getByLabel("customer (TEXT)").fill("Walk-in");
  await page.getByLabel("amount (REAL)").fill("12.25");
  await page.getByRole("button", { name: "Insert row" }).click();
  await page.locator("#rows-grid tbody tr", { hasText: "Walk-in" }).waitFor();
  const id = await page.locator("#rows-grid tbody tr", { hasText: "Walk-in" }).locator("td").first().textContent();
  await page.getByRole("button", { name: "Edit row " + id }).click();
  await page.locator("#edit-amount").fill("99.5");
  await page.getByRole("button", { name: "Save row" }).click();
  await page.locator("#rows-grid tbody tr", { hasText: "Walk-in" }).filter({ hasText: "99.5" }).waitFor();
  clean(page);

  // ---- schema: add a column, see the change and the rollout ----
  step("schema");
  await page.getByRole("link", { name: "Schema" }).click();
  await page.getByRole("heading", { name: "Schema of main/main" }).waitFor();
  await page.locator("#rollout-text").waitFor();
  await page.getByLabel("Table", { exact: true }).selectOption("orders");
  await page.getByLabel("Column name").fill("region");
  await page.getByLabel("Type", { exact: true }).selectOption("TEXT");
  await page.getByRole("button", { name: "Add column" }).click();
  await page.locator("#change-note").filter({ hasText: "Added orders.region" }).waitFor();
  await page.locator("#change-history tbody tr").first().filter({ hasText: "region" }).waitFor();
  assert.match(await page.locator("#change-history tbody tr").first().locator("pre").textContent(), /ALTER TABLE .*orders.* ADD COLUMN .*region/i);
  await page.locator("#rollout-text").filter({ hasText: `All ${total} tenants are at schema version 2.` }).waitFor();
  await shot(page, "schema");
  clean(page);

  // ---- branches: diff and merge dry run (with a conflict) ----
  step("branches");
  await page.getByRole("link", { name: "Branches" }).click();
  await page.locator("#branch-table").waitFor();
  await page.getByRole("button", { name: "Diff feature against main" }).click();
  await page.locator("#diff-ahead tbody tr").nth(1).waitFor();
  assert.equal(await page.locator("#diff-ahead tbody tr").count(), 2);
  page.expected.push([409, "/merge"]);
  await page.getByRole("button", { name: "Merge dry run of feature into main" }).click();
  await page.locator("#merge-conflicts").waitFor();
  assert.match(await page.locator("#merge-conflicts").textContent(), /orders\.region/);
  assert.match(await page.locator("#branch-detail [role=alert]").textContent(), /^conflict: merge of "feature" refused/);
  await shot(page, "merge");
  assert.deepEqual(page.expected, []);
  clean(page);

  // ---- fleet: fan-out query and an archive ----
  step("fleet");
  await page.getByRole("link", { name: "Fleet" }).click();
  await page.getByLabel("SQL (read-only, run on each tenant)").fill("SELECT count(*) AS orders, sum(amount) AS total FROM orders");
  await page.getByRole("button", { name: "Run on tenants" }).click();
  await page.locator("#fleet-table").waitFor();
  assert.ok((await page.locator("#fleet-table > tbody > tr").count()) >= 20);
  await shot(page, "fleet");
  await page.getByLabel("Tenant", { exact: true }).fill("umbrella");
  await page.getByRole("button", { name: "Archive", exact: true }).click();
  await page.locator("#archived-list").filter({ hasText: "Archived (1): umbrella" }).waitFor();
  await page.getByRole("button", { name: "Restore", exact: true }).click();
  await page.locator("#archived-list").filter({ hasText: "No archived tenants." }).waitFor();
  clean(page);

  // ---- a tenant key: only its tenant, in the UI and at the server ----
  step("scoped key");
  const scoped = await tab();
  await scoped.goto(base + "/ui/");
  await scoped.getByLabel("API key").fill(acmeKey);
  await scoped.getByRole("button", { name: "Sign in" }).click();
  await scoped.getByRole("heading", { name: "Tenant acme" }).waitFor();
  const nav = await scoped.locator("#nav a").allTextContents();
  assert.deepEqual(nav, ["Tenant acme", "Schema"]);
  await scoped.goto(base + "/ui/#/tenants");
  await scoped.getByRole("heading", { name: "Tenant acme" }).waitFor();
  await scoped.getByRole("button", { name: "Run query" }).click();
  await scoped.locator("#result-grid").waitFor();
  await shot(scoped, "scoped");
  const text = await scoped.locator("body").textContent();
  for (const other of names.filter((n) => n !== "acme")) assert.ok(!text.includes(other), `a tenant key sees ${other}`);
  // The server refuses what the UI hides.
  scoped.expected.push([403, "/tenants"]);
  const status = await scoped.evaluate(async () => {
    const r = await fetch("/v1/databases/main/branches/main/tenants", { headers: { Authorization: "Bearer " + sessionStorage.getItem("cinch.key") } });
    return r.status;
  });
  assert.equal(status, 403);
  assert.deepEqual(scoped.expected, []);
  clean(scoped);

  // ---- a read-only key: no write controls, reads still work ----
  step("read-only key");
  const reader = await tab();
  await reader.goto(base + "/ui/");
  await reader.getByLabel("API key").fill(readKey);
  await reader.getByRole("button", { name: "Sign in" }).click();
  await reader.locator("#tenant-table").waitFor();
  assert.equal(await reader.getByRole("button", { name: /^(Archive|Restore) / }).count(), 0);
  assert.equal(await reader.getByRole("heading", { name: "Create a tenant" }).count(), 0);
  await reader.getByRole("link", { name: "Schema" }).click();
  await reader.locator("#change-history").waitFor();
  assert.equal(await reader.getByRole("button", { name: "Add column" }).count(), 0);
  await reader.getByRole("link", { name: "Branches" }).click();
  await reader.getByRole("button", { name: "Diff feature against main" }).waitFor();
  assert.equal(await reader.getByRole("button", { name: /Merge dry run/ }).count(), 0);
  assert.equal(await reader.getByRole("button", { name: "Create branch" }).count(), 0);
  clean(reader);
  step("done");
} catch (err) {
  // What the pages showed when it failed, for the log reader.
  for (const [i, p] of pages.entries()) {
    const file = join(tmpdir(), `cinch-console-failure-${i}.png`);
    await p.screenshot({ path: file }).then(() => console.error("screenshot of the failure: " + file), () => {});
    if (p.problems.length) console.error("page problems:", p.problems);
  }
  console.error("cinch serve log (tail):\n" + log.split("\n").slice(-15).join("\n"));
  throw err;
} finally {
  await browser?.close();
  if (server.exitCode === null) server.kill("SIGTERM");
  await exited;
  rmSync(dir, { recursive: true, force: true });
}
console.log(`console e2e: ok in ${((Date.now() - started) / 1000).toFixed(1)}s`);
