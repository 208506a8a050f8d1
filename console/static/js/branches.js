// Branches of the database: list, create, the diff of a branch against
// main (the changes each side has that the other has not), a merge dry run
// with its conflicts, then the merge itself (write keys only).
import { errorBox, field, fill, h, say, table, when } from "./dom.js";
import { seg } from "./api.js";

export async function renderBranches(app, main, id) {
  const dbp = "/v1/databases/" + seg(app.db) + "/branches";
  const list = await app.api.get(dbp);
  if (!app.current(id)) return;
  const detail = h("section", { id: "branch-detail", "aria-live": "polite" });
  const msg = h("div");
  const cols = [
    { label: "Branch", cell: (b) => b.name },
    { label: "From", cell: (b) => b.parent || "" },
    { label: "Created", cell: (b) => when(b.created_at) },
    { label: "Changes", num: true, cell: (b) => String(b.changes) },
    { label: "Tenants", num: true, cell: (b) => String(b.tenants) },
    { label: "Compare with main", cell: (b) => b.name === "main" ? "" : [
      h("button", { type: "button", "aria-label": "Diff " + b.name + " against main", onclick: () => diff(app, dbp, b.name, detail) }, "Diff"),
      app.canWrite ? h("button", { type: "button", "aria-label": "Merge dry run of " + b.name + " into main", onclick: () => merge(app, dbp, b.name, detail, true) }, "Merge dry run") : null,
    ] },
  ];
  fill(main,
    h("h1", {}, "Branches of ", app.db),
    table(null, cols, list, { id: "branch-table", class: "grid" }),
    app.canWrite ? createForm(app, dbp, list, msg, () => renderBranches(app, main, id)) : null,
    msg, detail);
}

function createForm(app, dbp, list, msg, reload) {
  const name = h("input", { id: "new-branch-name", type: "text", required: true, autocomplete: "off" });
  const from = h("select", { id: "new-branch-from" }, list.map((b) => h("option", { value: b.name }, b.name)));
  from.value = "main";
  const form = h("form", { class: "card inline", "aria-labelledby": "newbranch-h" },
    h("h2", { id: "newbranch-h" }, "Create a branch"), field("Branch name", name), field("From", from),
    h("button", { type: "submit" }, "Create branch"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    fill(msg);
    try {
      await app.api.post(dbp, { name: name.value.trim(), from: from.value });
      say("created branch " + name.value.trim());
      await reload();
    } catch (err) {
      fill(msg, errorBox(err));
    }
  });
  return form;
}

const changeCols = [
  { label: "Change", cell: (c) => [h("span", { class: "tag" }, c.type), " ", c.entity] },
  { label: "When", cell: (c) => when(c.timestamp) },
  { label: "SQL", cell: (c) => h("pre", { class: "code" }, (c.sql || []).join(";\n")) },
];

/** One side's changes of a conflict: type and SQL. */
function sides(changes) {
  return changes.map((x) => h("div", {}, h("span", { class: "tag" }, x.type), h("pre", { class: "code" }, (x.sql || []).join(";\n"))));
}

/** The diff: changes by id on one side only. */
async function diff(app, dbp, name, el) {
  fill(el, h("p", { class: "muted" }, "Comparing…"));
  try {
    const [mine, theirs] = await Promise.all([
      app.api.get(dbp + "/" + seg(name) + "/changes"), app.api.get(dbp + "/main/changes")]);
    const inMain = new Set(theirs.map((c) => c.id));
    const inBranch = new Set(mine.map((c) => c.id));
    const ahead = mine.filter((c) => !inMain.has(c.id));
    const behind = theirs.filter((c) => !inBranch.has(c.id));
    fill(el,
      h("h2", { id: "diff-h" }, `Diff of ${name} against main`),
      h("p", {}, `${name} has ${ahead.length} change${ahead.length === 1 ? "" : "s"} main has not; main has ${behind.length} ${name} has not.`),
      ahead.length ? table(`Only on ${name}`, changeCols, ahead, { class: "grid", id: "diff-ahead" }) : null,
      behind.length ? table("Only on main", changeCols, behind, { class: "grid", id: "diff-behind" }) : null);
  } catch (e) {
    fill(el, errorBox(e));
  }
}

/** A merge into main: a dry run shows the plan and offers the real one. */
async function merge(app, dbp, name, el, dryRun) {
  fill(el, h("p", { class: "muted" }, dryRun ? "Planning the merge…" : "Merging…"));
  let res, err;
  try {
    res = await app.api.post(dbp + "/" + seg(name) + "/merge", { target: "main", dry_run: dryRun });
  } catch (e) {
    err = e;
    res = e.details && e.details.conflicts ? e.details : null;
  }
  const parts = [h("h2", { id: "merge-h" }, (dryRun ? "Merge dry run: " : "Merge: ") + `${name} into main`)];
  if (err) parts.push(errorBox(err));
  if (res) {
    const nConf = res.conflicts ? res.conflicts.length : 0;
    parts.push(h("p", { id: "merge-summary" }, nConf
      ? `${nConf} conflict${nConf === 1 ? "" : "s"}: nothing can be merged until both sides agree.`
      : `${res.changes.length} change${res.changes.length === 1 ? "" : "s"} to apply` + (res.fast_forward ? " (fast-forward)" : "") +
        `, ${res.tenants} tenant${res.tenants === 1 ? "" : "s"} of main to migrate, no conflicts.`));
    if (res.conflicts && res.conflicts.length) {
      parts.push(table("Conflicts", [
        { label: "Entity", cell: (c) => c.entity },
        { label: "Why", cell: (c) => c.reason || "" },
        { label: `On ${name}`, cell: (c) => sides(c.source) },
        { label: "On main", cell: (c) => sides(c.target) },
      ], res.conflicts, { class: "grid", id: "merge-conflicts" }));
    }
    if (res.changes.length) parts.push(table("Changes as applied to main", changeCols, res.changes, { class: "grid", id: "merge-changes" }));
    if (dryRun && !err && res.changes.length && app.canWrite) {
      parts.push(h("button", { type: "button", class: "primary", onclick: () => merge(app, dbp, name, el, false) }, `Merge ${name} into main`));
    }
    if (!dryRun && !err) say(`merged ${name} into main`);
  }
  fill(el, parts);
}
