// report.verification: the contract's scores, a per-query speedup chart, mismatches and errors.
import { formatBytes, formatNumber, formatSeconds, h, s } from "./dom.js";
import { queryLink } from "./report-view.js";

const ROW = 22;
const LABEL = 130;
const WIDTH = 640;

/** Horizontal bars on a log scale around 1x: right (faster) or left (slower). */
export function speedupChart(queries) {
  const measured = queries.filter((q) => q.speedup !== null && q.speedup > 0);
  if (!measured.length) return h("p", { class: "muted" }, "No query was timed.");
  const maxLog = Math.max(1, ...measured.map((q) => Math.abs(Math.log2(q.speedup))));
  const half = (WIDTH - LABEL - 60) / 2;
  const centre = LABEL + half;
  const height = measured.length * ROW + 24;
  const bars = measured.map((q, i) => {
    const log = Math.log2(q.speedup);
    const length = (Math.abs(log) / maxLog) * half;
    const y = i * ROW + 4;
    const x = log >= 0 ? centre : centre - length;
    const kind = !q.equal ? "mismatch" : log >= 0 ? "faster" : "slower";
    return s(
      "g",
      { class: `bar ${kind}` },
      s("title", {}, `${q.queryid}: ${q.speedup.toFixed(2)}x${q.equal ? "" : " (result differed: reverted)"}`),
      s("text", { x: LABEL - 6, y: y + 13, "text-anchor": "end", class: "label" }, q.queryid.slice(0, 14)),
      s("rect", { x, y, width: Math.max(length, 1), height: ROW - 8, rx: 2 }),
      s(
        "text",
        { x: log >= 0 ? x + length + 4 : x - 4, y: y + 13, "text-anchor": log >= 0 ? "start" : "end", class: "value" },
        `${q.speedup.toFixed(2)}×`,
      ),
    );
  });
  return s(
    "svg",
    {
      class: "chart",
      viewBox: `0 0 ${WIDTH} ${height}`,
      role: "img",
      "aria-label": `Speedup of ${measured.length} queries, log scale; the line is 1x`,
    },
    bars,
    s("line", { x1: centre, x2: centre, y1: 0, y2: height - 18, class: "axis" }),
    s("text", { x: centre, y: height - 4, "text-anchor": "middle", class: "label" }, "1× (unchanged)"),
  );
}

function score(label, value, hint) {
  return [h("dt", {}, label), h("dd", { title: hint }, value)];
}

export function renderVerification(verification) {
  if (!verification) return null;
  const v = verification;
  return h(
    "section",
    { "aria-labelledby": "verification-h", class: "verification" },
    h("h2", { id: "verification-h" }, "Verification"),
    h("p", { class: "muted" }, `Run and measured on ${v.url}.`),
    h(
      "dl",
      { class: "scores" },
      score("x (speedup)", formatNumber(v.x), "frequency-weighted mean speedup"),
      score("y (storage)", formatNumber(v.y), "bytes before over bytes after"),
      score("z", formatNumber(v.z), "x^(2/3) · y"),
      score("bytes", `${formatBytes(v.sourceBytes)} → ${formatBytes(v.newBytes)}`, "source tables, new tables"),
      score("mismatches", String(v.mismatches.length), "rewrites that returned other rows (reverted)"),
    ),
    speedupChart(v.queries),
    v.mismatches.length
      ? [h("h3", {}, "Mismatches (reverted to the baseline)"), h("ul", { class: "inline-list" }, v.mismatches.map((id) => h("li", {}, queryLink(id))))]
      : null,
    v.errors.length ? [h("h3", {}, "Errors"), h("ul", { class: "warnings" }, v.errors.map((e) => h("li", {}, e)))] : null,
    h(
      "table",
      { class: "numbers" },
      h("caption", {}, "Per query"),
      h("thead", {}, h("tr", {}, ["query", "same rows", "before", "after", "speedup", "detail"].map((c) => h("th", { scope: "col" }, c)))),
      h(
        "tbody",
        {},
        v.queries.map((q) =>
          h(
            "tr",
            { class: q.equal ? "" : "mismatch" },
            h("td", {}, queryLink(q.queryid)),
            h("td", {}, q.equal ? "yes" : "no"),
            h("td", {}, formatSeconds(q.beforeSeconds)),
            h("td", {}, formatSeconds(q.afterSeconds)),
            h("td", {}, q.speedup === null ? "–" : `${q.speedup.toFixed(2)}×`),
            h("td", {}, q.detail),
          ),
        ),
      ),
    ),
  );
}
