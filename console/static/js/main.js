// The console's shell: sign in, the key's scope, navigation and routing.
// Views live in their own modules; each gets the app context and renders
// into <main>. Routes are in the URL fragment (#/tenants, #/tenant/acme,
// #/schema, #/branches, #/fleet), so the server only ever serves files.
import { Api, ApiError, branchPath } from "./api.js";
import { errorBox, field, fill, h } from "./dom.js";
import { renderTenants } from "./tenants.js";
import { renderTenant } from "./tenant.js";
import { renderSchema } from "./schema.js";
import { renderBranches } from "./branches.js";
import { renderFleet } from "./fleet.js";

const store = window.sessionStorage;
const main = document.getElementById("main");

/** The app context the views use. */
const app = {
  api: null,
  scope: null, // GET /v1/whoami: {id, database, branch, tenant, read_only}
  db: "main",
  branch: "main",
  /** Every render gets a new number; a view drops answers of an older one. */
  renderId: 0,
  get base() {
    return branchPath(this.db, this.branch);
  },
  /** Writes are possible: the key is not read-only. */
  get canWrite() {
    return !this.scope.read_only;
  },
  /** The key reaches one tenant only. */
  get tenantKey() {
    return Boolean(this.scope.tenant);
  },
  /** The key manages the branch's tenants and schema (not a tenant key). */
  get branchAdmin() {
    return !this.scope.tenant;
  },
  /** The key manages branches (no branch or tenant limit). */
  get dbAdmin() {
    return !this.scope.tenant && !this.scope.branch;
  },
  go(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  },
  current(id) {
    return id === this.renderId;
  },
  signOut,
};

function signOut() {
  store.removeItem("cinch.key");
  app.api = null;
  app.scope = null;
  history.replaceState(null, "", location.pathname);
  route();
}

async function signIn(key, db, branch) {
  const api = new Api(key);
  const scope = await api.get("/v1/whoami");
  app.api = api;
  app.scope = scope;
  app.db = scope.database || db || "main";
  app.branch = scope.branch || branch || "main";
  store.setItem("cinch.key", key);
  store.setItem("cinch.db", app.db);
  store.setItem("cinch.branch", app.branch);
}

function signInView() {
  document.getElementById("nav").hidden = true;
  fill(document.getElementById("who"));
  fill(document.getElementById("where"));
  const key = h("input", { id: "signin-key", type: "password", autocomplete: "off", required: true, spellcheck: "false" });
  const db = h("input", { id: "signin-db", type: "text", value: store.getItem("cinch.db") || "main", required: true });
  const branch = h("input", { id: "signin-branch", type: "text", value: store.getItem("cinch.branch") || "main", required: true });
  const out = h("div");
  const form = h("form", { class: "card signin", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "Sign in to cinch"),
    h("p", { class: "muted" }, "Use an API key from ", h("code", {}, "cinch key create"),
      ". It stays in this tab's session storage and goes to the server only as an Authorization header."),
    field("API key", key), field("Database", db), field("Branch", branch),
    h("button", { type: "submit", class: "primary" }, "Sign in"), out);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    fill(out);
    try {
      await signIn(key.value.trim(), db.value.trim(), branch.value.trim());
      app.go(home());
    } catch (e) {
      fill(out, errorBox(e));
    }
  });
  fill(main, form);
  key.focus();
}

/** Where a key starts: its tenant, or the tenant list. */
function home() {
  return app.tenantKey ? "#/tenant/" + encodeURIComponent(app.scope.tenant) : "#/tenants";
}

async function chrome() {
  const nav = document.getElementById("nav");
  const links = [];
  if (app.tenantKey) links.push(["#/tenant/" + encodeURIComponent(app.scope.tenant), "Tenant " + app.scope.tenant]);
  else links.push(["#/tenants", "Tenants"]);
  links.push(["#/schema", "Schema"]);
  if (app.dbAdmin) links.push(["#/branches", "Branches"]);
  if (app.branchAdmin) links.push(["#/fleet", "Fleet"]);
  const here = location.hash || home();
  fill(nav, links.map(([href, label]) =>
    h("a", { href, "aria-current": here.startsWith(href) ? "page" : null }, label)));
  nav.hidden = false;
  const where = document.getElementById("where");
  if (app.dbAdmin) {
    const sel = h("select", { id: "branch-select" }, h("option", { value: app.branch }, app.branch));
    fill(where, h("span", {}, "database ", h("strong", {}, app.db)), h("label", { for: "branch-select" }, "branch"), sel);
    sel.addEventListener("change", () => {
      app.branch = sel.value;
      store.setItem("cinch.branch", app.branch);
      route();
    });
    app.api.get("/v1/databases/" + encodeURIComponent(app.db) + "/branches").then((list) => {
      fill(sel, list.map((b) => h("option", { value: b.name }, b.name)));
      sel.value = app.branch;
    }, () => {});
  } else {
    fill(where, h("span", {}, "database ", h("strong", {}, app.db), " · branch ", h("strong", {}, app.branch)));
  }
  const s = app.scope;
  const limits = [s.tenant ? "tenant " + s.tenant : s.branch ? "branch " + s.branch : s.database ? "database " + s.database : "every database"];
  if (s.read_only) limits.push("read-only");
  fill(document.getElementById("who"),
    h("span", { class: "muted", title: "key " + s.id }, "key " + s.id + " · " + limits.join(", ")),
    h("button", { type: "button", onclick: signOut }, "Sign out"));
}

async function route() {
  const id = ++app.renderId;
  if (!app.api) {
    const key = store.getItem("cinch.key");
    if (key) {
      try {
        await signIn(key, store.getItem("cinch.db"), store.getItem("cinch.branch"));
      } catch (e) {
        store.removeItem("cinch.key");
        if (!(e instanceof ApiError) || e.status !== 401) console.warn("sign in:", e.message);
      }
    }
    if (!app.current(id)) return;
    if (!app.api) return signInView();
  }
  const hash = location.hash || home();
  const [, view, arg] = hash.match(/^#\/([a-z]*)\/?(.*)$/) || [];
  await chrome();
  fill(main, h("p", { class: "muted" }, "Loading…"));
  try {
    switch (view) {
      case "tenants":
        if (app.tenantKey) return app.go(home());
        return await renderTenants(app, main, id);
      case "tenant":
        return await renderTenant(app, main, id, decodeURIComponent(arg));
      case "schema":
        return await renderSchema(app, main, id);
      case "branches":
        return await renderBranches(app, main, id);
      case "fleet":
        return await renderFleet(app, main, id);
      default:
        return app.go(home());
    }
  } catch (e) {
    if (app.current(id)) fill(main, errorBox(e));
  }
}

window.addEventListener("hashchange", route);
route();
