// The fleet: one read-only statement on many tenants at once, with each
// tenant's rows or error; archive and restore of a tenant.
import { errorBox, field, fill, h, say, showValue, table } from "./dom.js";
import { seg } from "./api.js";

export async function renderFleet(app, main, id) {
  const sql = h("textarea", { id: "fleet-sql", rows: 3, class: "code", spellcheck: "false", value: "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'" });
  const tenants = h("input", { id: "fleet-tenants", type: "text", autocomplete: "off", placeholder: "acme, globex (empty: every served tenant)" });
  const limit = h("input", { id: "fleet-limit", type: "number", min: "1", value: "20" });
  const out = h("div", { id: "fleet-result" });
  const form = h("form", { class: "card", "aria-labelledby": "fanout-h" },
    h("h2", { id: "fanout-h" }, "Fan-out query"),
    field("SQL (read-only, run on each tenant)", sql), field("Tenants (comma-separated)", tenants), field("Rows per tenant", limit),
    h("button", { type: "submit", class: "primary" }, "Run on tenants"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { sql: sql.value, limit: Number(limit.value) || 20 };
    const names = tenants.value.split(",").map((s) => s.trim()).filter(Boolean);
    if (names.length) body.tenants = names;
    fill(out, h("p", { class: "muted" }, "Running…"));
    const t0 = performance.now();
    try {
      const res = await app.api.post(app.base + "/fleet/query", body);
      const ms = performance.now() - t0;
      const failed = res.filter((r) => r.error).length;
      fill(out,
        h("p", { class: "timing" }, `${res.length} tenant${res.length === 1 ? "" : "s"}, ${failed} with an error, in ${ms.toFixed(0)} ms`),
        table(null, [
          { label: "Tenant", cell: (r) => h("a", { href: "#/tenant/" + seg(r.tenant) }, r.tenant) },
          { label: "Result", cell: (r) => r.error ? errorBox(r.error) : miniGrid(r) },
        ], res, { class: "grid", id: "fleet-table" }));
    } catch (err) {
      fill(out, errorBox(err));
    }
  });

  const archived = h("div");
  const name = h("input", { id: "archive-name", type: "text", autocomplete: "off", required: true });
  const msg = h("div");
  const act = (what) => async () => {
    fill(msg);
    if (!name.value.trim()) return fill(msg, errorBox({ code: "invalid_input", message: "give a tenant name" }));
    try {
      await app.api.post(app.base + "/tenants/" + seg(name.value.trim()) + "/" + what);
      say(`${what === "archive" ? "archived" : "restored"} ${name.value.trim()}`);
      await listArchived(app, archived);
    } catch (err) {
      fill(msg, errorBox(err));
    }
  };
  fill(main,
    h("h1", {}, "Fleet of ", app.db, "/", app.branch),
    form, out,
    h("section", { class: "card", "aria-labelledby": "archive-h" },
      h("h2", { id: "archive-h" }, "Archive and restore"),
      h("p", { class: "muted" }, "An archived tenant leaves the serving set as a compressed file; restoring it applies the schema changes made meanwhile."),
      field("Tenant", name),
      app.canWrite ? [h("button", { type: "button", onclick: act("archive") }, "Archive"), " ", h("button", { type: "button", onclick: act("restore") }, "Restore")] : h("p", { class: "muted" }, "This key is read-only."),
      msg, archived));
  await listArchived(app, archived);
}

async function listArchived(app, el) {
  try {
    const res = await app.api.request("GET", app.base + "/tenants?state=archived&limit=50");
    const total = Number(res.headers.get("X-Total-Count"));
    fill(el, h("p", { id: "archived-list" }, total === 0 ? "No archived tenants." :
      `Archived (${total}${total > 50 ? ", first 50" : ""}): ` + res.data.map((t) => t.name).join(", ")));
  } catch (e) {
    fill(el, errorBox(e));
  }
}

function miniGrid(r) {
  if (!r.columns || !r.columns.length) return "no rows";
  return h("table", { class: "grid compact" },
    h("thead", {}, h("tr", {}, r.columns.map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, (r.rows || []).map((row) => h("tr", {}, row.map((v) => h("td", {}, showValue(v)))))),
  );
}
