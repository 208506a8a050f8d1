// Charts drawn as SVG by hand: a horizontal bar chart and a histogram.
// Each is an <svg role="img"> with a label that says what it shows, and
// every bar has a <title> with its exact value.
import { h, s } from "./dom.js";

/** Horizontal bars: items are {label, value}; format writes a value. */
export function barChart(label, items, format) {
  const rowH = 20, labelW = 150, valueW = 80, width = 560;
  const barW = width - labelW - valueW;
  const maxV = Math.max(1, ...items.map((i) => i.value));
  const height = Math.max(1, items.length) * rowH + 4;
  const svg = s("svg", { class: "chart", role: "img", "aria-label": label, viewBox: `0 0 ${width} ${height}`, width, height });
  if (items.length === 0) {
    svg.append(s("text", { x: 0, y: 14, class: "muted" }, "no data"));
  }
  items.forEach((it, i) => {
    const y = i * rowH + 2;
    const w = Math.max(1, Math.round((it.value / maxV) * barW));
    svg.append(
      s("text", { x: labelW - 6, y: y + 13, "text-anchor": "end", class: "label" }, clip(it.label, 22)),
      s("rect", { x: labelW, y: y + 2, width: w, height: rowH - 6, rx: 2, class: "bar" }, s("title", {}, `${it.label}: ${format(it.value)}`)),
      s("text", { x: labelW + w + 6, y: y + 13, class: "value" }, format(it.value)),
    );
  });
  return h("figure", {}, h("figcaption", {}, label), svg);
}

/** Vertical bars over buckets {label, count}. */
export function histogram(label, buckets) {
  const width = 560, height = 170, base = 140, top = 14;
  const maxC = Math.max(1, ...buckets.map((b) => b.count));
  const slot = width / Math.max(1, buckets.length);
  const svg = s("svg", { class: "chart", role: "img", "aria-label": label, viewBox: `0 0 ${width} ${height}`, width, height });
  svg.append(s("line", { x1: 0, y1: base, x2: width, y2: base, class: "axis" }));
  buckets.forEach((b, i) => {
    const bh = Math.round((b.count / maxC) * (base - top));
    const x = i * slot + slot * 0.15;
    svg.append(
      s("rect", { x, y: base - bh, width: slot * 0.7, height: Math.max(bh, b.count ? 1 : 0), rx: 2, class: "bar" },
        s("title", {}, `${b.label}: ${b.count} tenant${b.count === 1 ? "" : "s"}`)),
      s("text", { x: x + slot * 0.35, y: base - bh - 3, "text-anchor": "middle", class: "value" }, String(b.count)),
      s("text", { x: x + slot * 0.35, y: base + 16, "text-anchor": "middle", class: "label" }, b.label),
    );
  });
  return h("figure", {}, h("figcaption", {}, label), svg);
}

function clip(t, n) {
  return t.length > n ? t.slice(0, n - 1) + "…" : t;
}
