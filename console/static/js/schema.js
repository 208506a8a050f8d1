// The branch's schema: rollout progress (tenants behind the branch's
// version, from GET .../tenants?behind=true), tables with their columns
// and indexes, views, an add-column form, and the change history with the
// SQL each change runs on every tenant.
import { errorBox, field, fill, h, say, table, when } from "./dom.js";
import { seg } from "./api.js";

const TYPES = ["TEXT", "INTEGER", "REAL", "BOOLEAN", "NUMERIC", "BLOB"];

export async function renderSchema(app, main, id, note) {
  const [branch, tables, views, changes] = await Promise.all([
    app.api.get(app.base), app.api.get(app.base + "/tables"), app.api.get(app.base + "/views"), app.api.get(app.base + "/changes")]);
  if (!app.current(id)) return;
  const rollout = h("section", { id: "rollout", "aria-labelledby": "rollout-h" });
  const msg = h("div");
  fill(main,
    h("h1", {}, "Schema of ", app.db, "/", app.branch),
    note || null,
    app.branchAdmin ? rollout : null,
    h("section", { "aria-labelledby": "tables-h" },
      h("h2", { id: "tables-h" }, "Tables"),
      tables.length ? tables.map((t) => tableCard(t)) : h("p", { class: "muted" }, "No tables yet.")),
    views.length ? h("section", { "aria-labelledby": "views-h" },
      h("h2", { id: "views-h" }, "Views"),
      table(null, [
        { label: "View", cell: (v) => v.name },
        { label: "SQL", cell: (v) => h("code", {}, v.sql) },
      ], views, { class: "grid" })) : null,
    app.branchAdmin && app.canWrite && tables.length ? addColumnForm(app, id, tables, msg) : null,
    msg,
    h("section", { "aria-labelledby": "changes-h" },
      h("h2", { id: "changes-h" }, `Change history (${changes.length})`),
      table(null, [
        { label: "#", num: true, cell: (c) => String(c.n) },
        { label: "When", cell: (c) => when(c.timestamp) },
        { label: "Change", cell: (c) => [h("span", { class: "tag" }, c.type), " ", c.entity, c.merged_from ? h("small", { class: "muted" }, ` (merged from ${c.merged_from})`) : null] },
        { label: "SQL run on every tenant", cell: (c) => h("pre", { class: "code" }, (c.sql || []).join(";\n") + (c.sql && c.sql.length ? ";" : "")) },
      ], changes.map((c, i) => ({ ...c, n: i + 1 })).reverse(), { id: "change-history", class: "grid" })));
  if (app.branchAdmin) await showRollout(app, id, rollout, branch.changes);
}

/** Rollout progress: how many of the branch's tenants have every change. */
async function showRollout(app, id, el, version) {
  let total, behind;
  try {
    const [all, late] = await Promise.all([
      app.api.request("GET", app.base + "/tenants?limit=0"),
      app.api.request("GET", app.base + "/tenants?limit=0&behind=true")]);
    total = Number(all.headers.get("X-Total-Count"));
    behind = Number(late.headers.get("X-Total-Count"));
  } catch (e) {
    fill(el, errorBox(e));
    return;
  }
  if (!app.current(id)) return;
  const done = total - behind;
  fill(el,
    h("h2", { id: "rollout-h" }, "Rollout"),
    h("div", { class: "rollout" },
      h("progress", { id: "rollout-progress", max: String(Math.max(total, 1)), value: String(total ? done : 1), "aria-label": "Tenants at the branch's schema version" }),
      h("span", { id: "rollout-text" }, behind === 0
        ? `All ${total} tenant${total === 1 ? " is" : "s are"} at schema version ${version}.`
        : `${done} of ${total} tenants at schema version ${version}; ${behind} behind (they catch up as the rollout goes on, or when next opened).`)));
  if (behind > 0) {
    // Still converging: look again in a moment while this view is shown.
    setTimeout(() => app.current(id) && showRollout(app, id, el, version), 2000);
  }
}

function tableCard(t) {
  return h("details", { class: "card", open: true },
    h("summary", {}, h("strong", {}, t.name), ` · ${t.columns.length} columns` + (t.indexes && t.indexes.length ? ` · ${t.indexes.length} indexes` : "")),
    table(null, [
      { label: "Column", cell: (c) => c.name },
      { label: "Type", cell: (c) => c.type },
      { label: "Null", cell: (c) => (c.nullable ? "yes" : "no") },
      { label: "Default", cell: (c) => c.default ?? "" },
      { label: "Notes", cell: (c) => [c.primary_key && "primary key", c.unique && "unique", c.automatic && "automatic",
        c.foreign_key && `→ ${c.foreign_key.table}.${c.foreign_key.column}`].filter(Boolean).join(", ") },
    ], t.columns, { class: "grid compact", "aria-label": "Columns of " + t.name }),
    t.indexes && t.indexes.length ? h("p", {}, "Indexes: ", t.indexes.map((i) => `${i.name} (${i.columns.join(", ")})${i.unique ? " unique" : ""}`).join("; ")) : null);
}

function addColumnForm(app, id, tables, msg) {
  const tbl = h("select", { id: "addcol-table" }, tables.map((t) => h("option", { value: t.name }, t.name)));
  const name = h("input", { id: "addcol-name", type: "text", required: true, autocomplete: "off" });
  const type = h("select", { id: "addcol-type" }, TYPES.map((t) => h("option", { value: t }, t)));
  const def = h("input", { id: "addcol-default", type: "text", autocomplete: "off" });
  const nullable = h("input", { id: "addcol-nullable", type: "checkbox", checked: true });
  const form = h("form", { class: "card inline", "aria-labelledby": "addcol-h" },
    h("h2", { id: "addcol-h" }, "Add a column"),
    field("Table", tbl), field("Column name", name), field("Type", type), field("Default (SQL literal)", def),
    h("div", { class: "field check" }, nullable, h("label", { for: "addcol-nullable" }, "nullable")),
    h("button", { type: "submit", class: "primary" }, "Add column"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    fill(msg);
    const spec = { name: name.value.trim(), type: type.value, nullable: nullable.checked };
    if (def.value.trim()) spec.default = def.value.trim();
    try {
      const change = await app.api.post(app.base + "/tables/" + seg(tbl.value) + "/columns", spec);
      say(`added column ${tbl.value}.${spec.name}`);
      const note = h("div", { class: "notice", role: "status", id: "change-note" },
        `Added ${tbl.value}.${spec.name} (change ${change.id}): `, h("code", {}, (change.sql || []).join("; ")));
      await renderSchema(app, document.getElementById("main"), id, note);
    } catch (err) {
      fill(msg, errorBox(err));
    }
  });
  return form;
}
