// The task's report: recommendation cards, warnings, the explanation, and what the LLM did.
import { h } from "./dom.js";

/**
 * The recommendation cards of a report, the one place that reads report.recommendations:
 * [{id, number, rule, text, queryids}]. Today each recommendation is prose ("pre-aggregation: ...;
 * queries <id> ... re-aggregate it"): the rule is the text before the first ": " and the
 * queries are the ids of this task's queries that the text names. A typed field, when the API
 * gains one, is read here and nowhere else.
 */
export function recommendationCards(report, queryids) {
  return (report.recommendations || []).map((text, index) => {
    const colon = text.indexOf(": ");
    const rule = colon > 0 && colon <= 40 && !text.slice(0, colon).includes(".") ? text.slice(0, colon) : null;
    return {
      id: `rec-${index + 1}`,
      number: index + 1,
      rule,
      text: rule ? text.slice(colon + 2) : text,
      queryids: queryids.filter((queryid) => queryid && text.includes(queryid)),
    };
  });
}

export function queryLink(queryid) {
  return h("a", { href: `#q-${queryid}`, class: "queryid" }, queryid);
}

export function renderRecommendations(cards) {
  if (!cards.length) return h("p", { class: "muted" }, "The engine made no recommendation: the plan is the baseline copy.");
  return h(
    "ul",
    { class: "cards", role: "list" },
    cards.map((card) =>
      h(
        "li",
        { class: "card", id: card.id },
        h("h3", {}, card.rule || "Recommendation", " ", h("span", { class: "card-number" }, `#${card.number}`)),
        h("p", {}, card.text),
        card.queryids.length
          ? h("p", { class: "card-queries" }, "Queries: ", card.queryids.map((id, i) => [i ? ", " : "", queryLink(id)]))
          : null,
      ),
    ),
  );
}

export function renderWarnings(report) {
  if (!report.warnings.length) return null;
  return h(
    "section",
    { "aria-labelledby": "warnings-h" },
    h("h2", { id: "warnings-h" }, `Warnings (${report.warnings.length})`),
    h("ul", { class: "warnings" }, report.warnings.map((text) => h("li", {}, text))),
  );
}

export function renderExplanation(report) {
  if (!report.explanation) return null;
  // Markdown shown as text: no renderer is shipped, and the text stays readable as it is.
  return h(
    "section",
    { "aria-labelledby": "explanation-h" },
    h("h2", { id: "explanation-h" }, "Explanation"),
    h("div", { class: "prose" }, report.explanation),
  );
}

function proposal(item) {
  return h(
    "li",
    { class: "card" },
    h("h4", {}, queryLink(item.queryid)),
    h("p", {}, item.note),
    h("pre", { class: "sql" }, h("code", {}, item.sql)),
  );
}

export function renderLlm(llm) {
  if (!llm) return null;
  return h(
    "section",
    { "aria-labelledby": "llm-h", class: "llm" },
    h("h2", { id: "llm-h" }, "LLM proposals"),
    h(
      "p",
      { class: "muted" },
      `${llm.calls} calls, ${llm.promptTokens} prompt and ${llm.completionTokens} completion tokens.`,
    ),
    h("h3", {}, `Accepted (${llm.accepted.length})`),
    llm.accepted.length
      ? h("ul", { class: "inline-list" }, llm.accepted.map((id) => h("li", {}, queryLink(id))))
      : h("p", { class: "muted" }, "No LLM rewrite passed the gate."),
    h("h3", {}, `Rejected (${llm.rejected.length})`),
    llm.rejected.length ? h("ul", { class: "cards", role: "list" }, llm.rejected.map(proposal)) : h("p", { class: "muted" }, "None."),
    llm.suggestions.length
      ? [
          h("h3", {}, `Suggestions, not verified (${llm.suggestions.length})`),
          h("ul", { class: "cards", role: "list" }, llm.suggestions.map(proposal)),
        ]
      : null,
  );
}
