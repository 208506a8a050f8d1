// Small DOM helpers: elements from h(tag, attrs, ...children), SVG, tables,
// errors and number formats. No string is ever parsed as HTML: every text goes in as
// text, so names and values from the API can never become markup.

const SVG = "http://www.w3.org/2000/svg";

function put(el, attrs, children, setProps) {
  let value;
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.setAttribute("class", v);
    else if (k === "text") el.textContent = v;
    else if (k === "value") value = v;
    else if (setProps && (k === "checked" || k === "selected" || k === "disabled")) el[k] = Boolean(v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  if (value !== undefined) el.value = value;
  return el;
}

/** An HTML element: h("button", {type: "submit", onclick: f}, "Run"). */
export function h(tag, attrs = {}, ...children) {
  return put(document.createElement(tag), attrs, children, true);
}

/** An SVG element. */
export function s(tag, attrs = {}, ...children) {
  return put(document.createElementNS(SVG, tag), attrs, children, false);
}

/** Replaces el's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  return put(el, {}, children, true);
}

/** A labelled form field: the label's for is the control's id. */
export function field(label, control, hint) {
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control, hint ? h("small", {}, hint) : null);
}

/** A table: columns are {label, cell(row) -> Node|string, num?}. */
export function table(caption, columns, rows, attrs = {}) {
  return h("table", attrs,
    caption ? h("caption", {}, caption) : null,
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.num ? "num" : null }, c.label)))),
    h("tbody", {}, rows.map((r) => h("tr", {}, columns.map((c) => h("td", { class: c.num ? "num" : null }, c.cell(r)))))));
}

/** An API error as the API gives it: its code, then its message. */
export function errorBox(err) {
  const code = err && err.code ? err.code : "error";
  const msg = err && err.message ? err.message : String(err);
  return h("div", { class: "error", role: "alert" }, h("strong", { class: "code" }, code), ": ", msg);
}

/** A value of a result grid: null, text, or JSON for anything else. */
export function showValue(v) {
  if (v === null || v === undefined) return h("span", { class: "null" }, "NULL");
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

/** 1536 -> "1.5 KiB". */
export function bytes(n) {
  if (!Number.isFinite(n)) return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return (i === 0 ? String(n) : n.toFixed(n < 10 ? 1 : 0)) + " " + units[i];
}

/** Seconds -> "3 min", "2 h", "5 d". */
export function age(seconds) {
  if (!Number.isFinite(seconds)) return "";
  if (seconds < 60) return Math.max(0, Math.round(seconds)) + " s";
  if (seconds < 3600) return Math.round(seconds / 60) + " min";
  if (seconds < 86400) return Math.round(seconds / 3600) + " h";
  return Math.round(seconds / 86400) + " d";
}

/** An RFC 3339 time as local date and time, with the exact time as its title. */
export function when(t) {
  if (!t) return "never";
  const d = new Date(t);
  return h("time", { datetime: t, title: t }, d.toLocaleString());
}

/** A short transient message in the status line. */
export function say(text) {
  const st = document.getElementById("status");
  if (st) st.textContent = text;
}
