// One tenant: its tables with row counts, a query console (SQL with
// parameters, a results grid in the result's column order, errors as the
// API's code and message, timing), and row insert and edit forms built
// from the table's columns.
import { seg, tenantPath } from "./api.js";
import { bytes, errorBox, field, fill, h, say, showValue, table } from "./dom.js";

/** Double-quotes an SQL identifier. */
const ident = (n) => '"' + n.replaceAll('"', '""') + '"';

export async function renderTenant(app, main, id, name) {
  const tp = tenantPath(app.db, app.branch, name);
  const [info, tables] = await Promise.all([app.api.get(tp), app.api.get(app.base + "/tables")]);
  if (!app.current(id)) return;
  const counts = new Map();
  if (tables.length && info.state !== "archived") {
    const sql = "SELECT " + tables.map((t) => `(SELECT count(*) FROM ${ident(t.name)}) AS ${ident(t.name)}`).join(", ");
    try {
      const res = await app.api.post(tp + "/query", { sql, read_only: true });
      res.columns.forEach((c, i) => counts.set(c, res.rows[0][i]));
    } catch {
      // counts stay blank: e.g. an encrypted tenant without its key
    }
  }
  if (!app.current(id)) return;

  const results = h("div", { id: "query-result" });
  const rowsArea = h("div", { id: "rows-area" });
  fill(main,
    h("h1", {}, "Tenant ", h("span", { class: "name" }, name)),
    h("p", { class: "muted" }, `${info.state}${info.encrypted ? ", encrypted" : ""} · ${bytes(info.size_bytes)} · schema version ${info.schema_version}` +
      (info.group ? ` · group ${info.group}` : "")),
    h("section", { "aria-labelledby": "tables-h" },
      h("h2", { id: "tables-h" }, "Tables"),
      tables.length
        ? table(null, [
          { label: "Table", cell: (t) => h("button", { type: "button", class: "link", "aria-label": "Rows of " + t.name, onclick: () => showRows(app, tp, t, rowsArea) }, t.name) },
          { label: "Columns", cell: (t) => t.columns.map((c) => c.name).join(", ") },
          { label: "Rows", num: true, cell: (t) => (counts.has(t.name) ? String(counts.get(t.name)) : "") },
        ], tables, { id: "tenant-tables", class: "grid" })
        : h("p", { class: "muted" }, "No tables yet.")),
    queryConsole(app, tp, results, tables),
    results,
    rowsArea);
}

function queryConsole(app, tp, out, tables) {
  const first = tables[0] ? `SELECT * FROM ${ident(tables[0].name)} LIMIT 50` : "SELECT sqlite_version() AS version";
  const sql = h("textarea", { id: "sql", rows: 5, spellcheck: "false", value: first, class: "code" });
  const params = h("input", { id: "sql-params", type: "text", class: "code", placeholder: '[1, "text", null]', autocomplete: "off" });
  const run = h("button", { type: "submit", class: "primary" }, "Run query");
  const form = h("form", { class: "card", "aria-labelledby": "query-h" },
    h("h2", { id: "query-h" }, "Query"),
    field("SQL", sql, "One statement; ? or ?1 for parameters. Ctrl+Enter runs it."),
    field("Parameters (a JSON array)", params),
    run);
  sql.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    let p = [];
    if (params.value.trim()) {
      try {
        p = JSON.parse(params.value);
        if (!Array.isArray(p)) throw new Error("not an array");
      } catch (err) {
        fill(out, errorBox({ code: "invalid_input", message: "parameters must be a JSON array, e.g. [1, \"a\"] (" + err.message + ")" }));
        return;
      }
    }
    run.disabled = true;
    fill(out, h("p", { class: "muted" }, "Running…"));
    const t0 = performance.now();
    try {
      const res = await app.api.post(tp + "/query", { sql: sql.value, params: p });
      const ms = performance.now() - t0;
      fill(out, resultGrid(res, ms));
    } catch (err) {
      const ms = performance.now() - t0;
      fill(out, errorBox(err), h("p", { class: "muted timing" }, `failed after ${ms.toFixed(0)} ms`));
    } finally {
      run.disabled = false;
    }
  });
  return form;
}

/** A query result: the grid in the result's column order, the count and the time. */
function resultGrid(res, ms) {
  const parts = [];
  const n = res.rows ? res.rows.length : 0;
  let line = res.columns && res.columns.length
    ? `${n} row${n === 1 ? "" : "s"}` + (res.truncated ? " (truncated by a server limit)" : "")
    : `${res.rows_affected ?? 0} row${res.rows_affected === 1 ? "" : "s"} changed`;
  line += ` in ${ms.toFixed(0)} ms`;
  parts.push(h("p", { class: "timing", id: "query-timing" }, line));
  if (res.error) parts.push(errorBox(res.error)); // failed after rows were already sent
  if (res.columns && res.columns.length) {
    parts.push(h("div", { class: "scroll" }, h("table", { class: "grid", id: "result-grid", "aria-label": "Query result" },
      h("thead", {}, h("tr", {}, res.columns.map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, (res.rows || []).map((r) => h("tr", {}, r.map((v) => h("td", {}, showValue(v)))))))));
  }
  return parts;
}

/** The user columns of a table: the ones a form asks for. */
const userColumns = (t) => t.columns.filter((c) => !c.automatic && !c.primary_key);

/** A form control for a column, holding v. */
function input(c, idp, v) {
  const id = idp + "-" + c.name;
  if (c.type === "BOOLEAN") {
    return h("div", { class: "field check" },
      h("input", { id, type: "checkbox", "data-col": c.name, checked: v === true || v === 1 }),
      h("label", { for: id }, c.name));
  }
  const type = c.type === "INTEGER" || c.type === "REAL" || c.type === "NUMERIC" ? "number" : "text";
  const el = h("input", { id, type, "data-col": c.name, step: type === "number" ? "any" : null, value: v === null || v === undefined ? "" : String(v) });
  return field(`${c.name} (${c.type}${c.nullable ? "" : ", required"})`, el);
}

/** Reads a generated form into a record; empty fields are null (or left out when inserting). */
function record(form, t, inserting) {
  const rec = {};
  for (const c of userColumns(t)) {
    const el = form.querySelector(`[data-col="${CSS.escape(c.name)}"]`);
    if (!el) continue;
    if (c.type === "BOOLEAN") {
      rec[c.name] = el.checked;
      continue;
    }
    const s = el.value;
    if (s === "") {
      if (!inserting) rec[c.name] = null;
      continue;
    }
    rec[c.name] = c.type === "INTEGER" ? Number.parseInt(s, 10) : c.type === "REAL" || c.type === "NUMERIC" ? Number(s) : s;
  }
  return rec;
}

async function showRows(app, tp, t, area) {
  const rp = tp + "/tables/" + seg(t.name) + "/rows";
  let res;
  try {
    res = await app.api.get(rp + "?limit=50");
  } catch (e) {
    fill(area, errorBox(e));
    return;
  }
  const msg = h("div");
  const edit = h("div");
  const idIdx = res.columns.indexOf("id");
  const reload = () => showRows(app, tp, t, area);
  fill(area,
    h("h2", { id: "rows-h" }, "Rows of ", t.name, res.truncated || res.rows.length === 50 ? " (first 50)" : ""),
    h("div", { class: "scroll" }, h("table", { class: "grid", id: "rows-grid", "aria-labelledby": "rows-h" },
      h("thead", {}, h("tr", {}, res.columns.map((c) => h("th", { scope: "col" }, c)), app.canWrite && idIdx >= 0 ? h("th", { scope: "col" }, "Edit") : null)),
      h("tbody", {}, res.rows.map((r) => h("tr", {}, r.map((v) => h("td", {}, showValue(v))),
        app.canWrite && idIdx >= 0 ? h("td", {}, h("button", {
          type: "button", "aria-label": "Edit row " + r[idIdx],
          onclick: () => fill(edit, editForm(app, rp, t, res.columns, r, msg, reload)),
        }, "Edit")) : null))))),
    msg, edit,
    app.canWrite ? insertForm(app, rp, t, msg, reload) : null);
}

function insertForm(app, rp, t, msg, reload) {
  const form = h("form", { class: "card", "aria-labelledby": "insert-h" },
    h("h3", { id: "insert-h" }, "Insert a row into ", t.name),
    userColumns(t).map((c) => input(c, "ins", c.type === "BOOLEAN" ? false : null)),
    h("button", { type: "submit" }, "Insert row"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    fill(msg);
    try {
      const row = await app.api.post(rp, record(form, t, true));
      say("inserted row " + row.id);
      await reload();
    } catch (err) {
      fill(msg, errorBox(err));
    }
  });
  return form;
}

function editForm(app, rp, t, columns, r, msg, reload) {
  const rowID = r[columns.indexOf("id")];
  const at = (name) => r[columns.indexOf(name)];
  const form = h("form", { class: "card", "aria-labelledby": "edit-h" },
    h("h3", { id: "edit-h" }, "Edit row ", String(rowID)),
    userColumns(t).map((c) => input(c, "edit", at(c.name))),
    h("button", { type: "submit" }, "Save row"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    fill(msg);
    try {
      await app.api.patch(rp + "/" + seg(String(rowID)), record(form, t, false));
      say("saved row " + rowID);
      await reload();
    } catch (err) {
      fill(msg, errorBox(err));
    }
  });
  return form;
}
