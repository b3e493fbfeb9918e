// The plan: DDL and migrations as SQL, each query beside its original with the changes marked.
import { diffLines, diffWords, differs } from "./diff.js";
import { copyButton, downloadButton, h } from "./dom.js";

/**
 * One model for the view from the task's exact result and the server's sqlglot layout
 * (pretty.json); without the layout the exact texts are shown.
 */
export function planModel(result, pretty) {
  const text = (exact, laid) => (laid ? laid.text : exact);
  const byId = new Map((pretty ? pretty.queries : []).map((q) => [q.queryid, q]));
  return {
    formatted: Boolean(pretty),
    ddl: result.ddl.map((st, i) => text(st.statement, pretty && pretty.ddl[i])),
    migrations: result.migrations.map((st, i) => text(st.statement, pretty && pretty.migrations[i])),
    queries: result.queries.map((q) => {
      const laid = byId.get(q.queryid);
      return {
        queryid: q.queryid,
        original: laid && laid.original ? laid.original.text : null,
        rewritten: text(q.query, laid && laid.rewritten),
      };
    }),
  };
}

const withSemicolon = (sql) => (sql.trimEnd().endsWith(";") ? sql.trimEnd() : `${sql.trimEnd()};`);

/** The plan as one .sql file: DDL, then migrations, then the queries, in the order they run. */
export function planSqlFile(taskId, model) {
  const parts = [`-- lakeopt plan for task ${taskId}`, "-- Run the DDL, then the migrations, in order; then the queries.", ""];
  parts.push("-- DDL", ...model.ddl.map(withSemicolon), "");
  parts.push("-- Migrations", ...model.migrations.map(withSemicolon), "");
  parts.push("-- Queries");
  for (const q of model.queries) parts.push(`-- queryid: ${q.queryid}`, withSemicolon(q.rewritten), "");
  return `${parts.join("\n")}\n`;
}

function statementList(title, id, statements) {
  const all = () => statements.map(withSemicolon).join("\n\n");
  return h(
    "section",
    { "aria-labelledby": id, class: "statements" },
    h("div", { class: "section-head" }, h("h3", { id }, `${title} (${statements.length})`), statements.length ? copyButton(`Copy all ${title.toLowerCase()}`, all) : null),
    h(
      "ol",
      { class: "statement-list" },
      statements.map((sql, i) =>
        h("li", {}, h("div", { class: "statement-tools" }, copyButton(`Copy ${title.toLowerCase()} ${i + 1}`, () => withSemicolon(sql))), h("pre", { class: "sql" }, h("code", {}, sql))),
      ),
    ),
  );
}

function cell(side, text, parts, kind) {
  const content = parts ? parts.map((p) => (p.changed ? h("mark", {}, p.text) : p.text)) : text === null ? "" : text;
  return h("td", { class: `${side} ${kind}` }, h("code", {}, content));
}

/** The side-by-side table of a query and its rewrite; changed lines and words are marked. */
export function diffTable(original, rewritten) {
  const rows = diffLines(original, rewritten);
  return h(
    "table",
    { class: "diff" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Original"), h("th", { scope: "col" }, "Rewritten"))),
    h(
      "tbody",
      {},
      rows.map((row) => {
        const words = row.kind === "change" ? diffWords(row.left, row.right) : null;
        return h(
          "tr",
          { class: `diff-${row.kind}` },
          cell("left", row.left, words && words.left, row.kind === "add" ? "empty" : row.kind),
          cell("right", row.right, words && words.right, row.kind === "del" ? "empty" : row.kind),
        );
      }),
    ),
  );
}

function queryArticle(query, cards, note) {
  const rules = cards.filter((card) => card.queryids.includes(query.queryid));
  const changed = query.original !== null && differs(query.original, query.rewritten);
  return h(
    "article",
    { class: "query", id: `q-${query.queryid}`, dataset: { queryid: query.queryid, changed: String(changed) } },
    h(
      "header",
      { class: "section-head" },
      h("h3", {}, h("span", { class: "queryid" }, query.queryid)),
      rules.length
        ? h("p", { class: "chips" }, "Changed by ", rules.map((card) => h("a", { class: "chip", href: `#${card.id}` }, `${card.rule || "recommendation"} #${card.number}`)))
        : null,
      copyButton("Copy rewritten query", () => withSemicolon(query.rewritten)),
    ),
    note ? h("p", { class: "note" }, note) : null,
    query.original === null
      ? [h("p", { class: "muted" }, "The original query is not known to the service."), h("pre", { class: "sql" }, h("code", {}, query.rewritten))]
      : diffTable(query.original, query.rewritten),
  );
}

/** The plan section; cards are recommendationCards(...), notes maps queryid to its note. */
export function renderPlan({ taskId, result, pretty, cards, notes }) {
  const model = planModel(result, pretty);
  const exactJson = () => `${JSON.stringify(result, null, 2)}\n`;
  return h(
    "section",
    { "aria-labelledby": "plan-h", class: "plan" },
    h(
      "div",
      { class: "section-head" },
      h("h2", { id: "plan-h" }, "Plan"),
      h(
        "div",
        { class: "toolbar" },
        downloadButton("Download JSON", `lakeopt-plan-${taskId}.json`, "application/json", exactJson),
        downloadButton("Download .sql", `lakeopt-plan-${taskId}.sql`, "application/sql", () => planSqlFile(taskId, model)),
        copyButton("Copy JSON", exactJson),
      ),
    ),
    h(
      "p",
      { class: "muted" },
      model.formatted
        ? "SQL laid out by sqlglot (Trino dialect) for reading; the JSON download holds the exact statements."
        : "SQL as the plan holds it (the formatted layout could not be loaded).",
    ),
    statementList("DDL", "ddl-h", model.ddl),
    statementList("Migrations", "migrations-h", model.migrations),
    h(
      "section",
      { "aria-labelledby": "queries-h", class: "queries" },
      h("h3", { id: "queries-h" }, `Queries (${model.queries.length})`),
      model.queries.map((q) => queryArticle(q, cards, notes.get(q.queryid))),
    ),
  );
}
