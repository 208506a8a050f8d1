// The tenants of the branch: one page at a time from the server (limit,
// offset, prefix, sort on GET .../tenants, the total in X-Total-Count),
// each page's metrics from GET .../fleet/stats, a bar chart of the largest
// tenants and a histogram of how long ago the page's tenants were written.
import { barChart, histogram } from "./charts.js";
import { bytes, errorBox, field, fill, h, say, table, when } from "./dom.js";
import { seg } from "./api.js";

// The list's state survives leaving the view and coming back.
const state = { prefix: "", sort: "name", limit: 25, offset: 0 };

const SORTS = [
  ["name", "Name (A–Z)"],
  ["name:desc", "Name (Z–A)"],
  ["size:desc", "Size (largest first)"],
  ["size", "Size (smallest first)"],
  ["created:desc", "Created (newest first)"],
  ["created", "Created (oldest first)"],
  ["schema_version", "Schema version (lowest first)"],
];

const AGE_BUCKETS = [
  ["< 1 h", 3600],
  ["< 1 d", 86400],
  ["< 7 d", 7 * 86400],
  ["< 30 d", 30 * 86400],
  ["older", Infinity],
];

export async function renderTenants(app, main, id) {
  const filter = h("input", { id: "tenant-filter", type: "search", value: state.prefix, placeholder: "name starts with…", autocomplete: "off" });
  const sort = h("select", { id: "tenant-sort" }, SORTS.map(([v, l]) => h("option", { value: v }, l)));
  sort.value = state.sort;
  const size = h("select", { id: "tenant-page-size" }, [10, 25, 50, 100].map((n) => h("option", { value: String(n) }, String(n))));
  size.value = String(state.limit);
  const prev = h("button", { type: "button" }, "Previous page");
  const next = h("button", { type: "button" }, "Next page");
  const info = h("span", { id: "tenant-range", class: "muted", "aria-live": "polite" });
  const list = h("div", { id: "tenant-list" });
  const charts = h("div", { class: "charts" });
  const msg = h("div");

  let timer = 0;
  const reload = () => load(app, id, { list, info, prev, next, charts: null });
  filter.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      state.prefix = filter.value.trim();
      state.offset = 0;
      reload();
    }, 200);
  });
  sort.addEventListener("change", () => {
    state.sort = sort.value;
    state.offset = 0;
    reload();
  });
  size.addEventListener("change", () => {
    state.limit = Number(size.value);
    state.offset = 0;
    reload();
  });
  prev.addEventListener("click", () => {
    state.offset = Math.max(0, state.offset - state.limit);
    reload();
  });
  next.addEventListener("click", () => {
    state.offset += state.limit;
    reload();
  });

  const create = app.canWrite ? createForm(app, msg, reload) : null;
  fill(main,
    h("h1", {}, "Tenants"),
    h("form", { class: "toolbar", role: "search", onsubmit: (e) => { e.preventDefault(); state.prefix = filter.value.trim(); state.offset = 0; reload(); } },
      field("Filter by name", filter), field("Sort by", sort), field("Per page", size)),
    h("div", { class: "pager" }, prev, info, next),
    list, msg, create,
    h("h2", {}, "Sizes and activity"), charts);
  await load(app, id, { list, info, prev, next, charts });
}

function createForm(app, msg, reload) {
  const name = h("input", { id: "new-tenant-name", type: "text", required: true, autocomplete: "off" });
  const lazy = h("input", { id: "new-tenant-lazy", type: "checkbox" });
  const form = h("form", { class: "inline card" },
    h("h2", {}, "Create a tenant"), field("Tenant name", name),
    h("div", { class: "field check" }, lazy, h("label", { for: "new-tenant-lazy" }, "lazy (no file until its first write)")),
    h("button", { type: "submit" }, "Create tenant"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    fill(msg);
    try {
      await app.api.post(app.base + "/tenants", { name: name.value.trim(), lazy: lazy.checked });
      say("created tenant " + name.value.trim());
      name.value = "";
      await reload();
    } catch (err) {
      fill(msg, errorBox(err));
    }
  });
  return form;
}

async function load(app, id, ui) {
  const q = new URLSearchParams({ limit: String(state.limit), offset: String(state.offset), sort: state.sort });
  if (state.prefix) q.set("prefix", state.prefix);
  const busy = ++loadSeq;
  let page, total, branch;
  try {
    const res = await app.api.request("GET", app.base + "/tenants?" + q);
    page = res.data;
    total = Number(res.headers.get("X-Total-Count") ?? page.length);
    branch = await app.api.get(app.base);
  } catch (e) {
    if (busy === loadSeq) fill(ui.list, errorBox(e));
    return;
  }
  const served = page.filter((t) => t.state !== "archived").map((t) => t.name);
  let stats = [];
  if (served.length) {
    try {
      stats = await app.api.get(app.base + "/fleet/stats?" + served.map((n) => "tenant=" + seg(n)).join("&"));
    } catch (e) {
      stats = [];
      fill(ui.list, errorBox(e));
    }
  }
  if (busy !== loadSeq || !app.current(id)) return; // a newer load or view took over
  const byName = new Map(stats.map((s) => [s.name, s]));
  const rows = page.map((t) => ({ ...t, ...(byName.get(t.name) || {}) }));
  const version = branch.changes;
  const first = total === 0 ? 0 : state.offset + 1;
  ui.info.textContent = `${first}–${state.offset + page.length} of ${total} tenant${total === 1 ? "" : "s"}`;
  ui.prev.disabled = state.offset === 0;
  ui.next.disabled = state.offset + page.length >= total;
  const cols = [
    { label: "Name", cell: (t) => h("a", { href: "#/tenant/" + seg(t.name) }, t.name) },
    { label: "State", cell: (t) => stateOf(t, version) },
    { label: "Size", num: true, cell: (t) => bytes(t.size_bytes) },
    { label: "Rows", num: true, cell: (t) => (t.rows === undefined ? "" : String(t.rows)) },
    { label: "Last write", cell: (t) => (t.last_write ? when(t.last_write) : "never") },
    { label: "Schema version", num: true, cell: (t) => `${t.schema_version} / ${version}` },
    { label: "Group", cell: (t) => t.group || "" },
  ];
  if (app.canWrite) {
    cols.push({ label: "Actions", cell: (t) => archiveButton(app, t, () => load(app, id, ui)) });
  }
  fill(ui.list, rows.length
    ? table(`Tenants of ${app.db}/${app.branch}`, cols, rows, { id: "tenant-table", class: "grid" })
    : h("p", { class: "muted" }, state.prefix ? `No tenant's name starts with "${state.prefix}".` : "No tenants."));

  if (ui.charts) {
    // The largest tenants of the whole branch, sorted by the server.
    let top = [];
    try {
      top = await app.api.get(app.base + "/tenants?sort=size:desc&limit=20");
    } catch (e) {
      fill(ui.charts, errorBox(e));
      return;
    }
    if (!app.current(id)) return;
    const now = Date.now();
    const counts = AGE_BUCKETS.map(([label]) => ({ label, count: 0 }));
    let never = 0;
    for (const t of rows) {
      if (!t.last_write) {
        never++;
        continue;
      }
      const secs = (now - Date.parse(t.last_write)) / 1000;
      const i = AGE_BUCKETS.findIndex(([, lim]) => secs < lim);
      counts[i].count++;
    }
    counts.push({ label: "never", count: never });
    fill(ui.charts,
      barChart("Size by tenant (top 20 of the branch)", top.map((t) => ({ label: t.name, value: t.size_bytes })), bytes),
      histogram("Last write age (tenants on this page)", counts));
  }
  say(`${total} tenant${total === 1 ? "" : "s"} (as of ${new Date().toLocaleTimeString()})`);
}

let loadSeq = 0;

function stateOf(t, version) {
  const tags = [h("span", { class: "tag tag-" + t.state }, t.state)];
  if (t.encrypted) tags.push(h("span", { class: "tag" }, "encrypted"));
  if (t.pending_schema || (t.state === "materialized" && t.schema_version < version)) {
    tags.push(h("span", { class: "tag tag-behind" }, "behind"));
  }
  return tags;
}

function archiveButton(app, t, reload) {
  if (t.name === "main") return "";
  const archived = t.state === "archived";
  return h("button", {
    type: "button",
    "aria-label": (archived ? "Restore " : "Archive ") + t.name,
    onclick: async (e) => {
      e.target.disabled = true;
      try {
        await app.api.post(app.base + "/tenants/" + seg(t.name) + (archived ? "/restore" : "/archive"));
        say((archived ? "restored " : "archived ") + t.name);
      } catch (err) {
        say(err.code + ": " + err.message);
      }
      await reload();
    },
  }, archived ? "Restore" : "Archive");
}
