// The tasks this browser submitted, newest first, kept in localStorage.
import { graphql } from "./api.js";
import { h } from "./dom.js";

const KEY = "lakeopt.recentTasks";
const KEEP = 25;

export function recentTasks() {
  try {
    const value = JSON.parse(window.localStorage.getItem(KEY) || "[]");
    return Array.isArray(value) ? value.filter((t) => t && typeof t.id === "string") : [];
  } catch (_error) {
    return [];
  }
}

function store(tasks) {
  try {
    window.localStorage.setItem(KEY, JSON.stringify(tasks.slice(0, KEEP)));
  } catch (_error) {
    // storage full or disabled: the list is a convenience
  }
}

export function rememberTask(entry) {
  store([{ ...entry, submittedAt: new Date().toISOString() }, ...recentTasks().filter((t) => t.id !== entry.id)]);
}

export function forgetTasks() {
  store([]);
}

/** The current status of each task, in one GraphQL request (one aliased field per task). */
async function statuses(tasks) {
  if (!tasks.length) return {};
  const params = tasks.map((_, i) => `$t${i}: UUID!`).join(", ");
  const fields = tasks
    .map((_, i) => `t${i}: task(id: $t${i}) { __typename ... on Task { status stage progress } }`)
    .join(" ");
  const variables = Object.fromEntries(tasks.map((t, i) => [`t${i}`, t.id]));
  const data = await graphql(`query Recent(${params}) { ${fields} }`, variables);
  return Object.fromEntries(tasks.map((t, i) => [t.id, data[`t${i}`]]));
}

function statusText(state) {
  if (!state) return "…";
  if (state.__typename !== "Task") return "unknown to this service";
  return state.status === "RUNNING" ? `RUNNING (${state.stage}, ${Math.round(state.progress * 100)}%)` : state.status;
}

export function renderRecent() {
  const list = h("ul", { class: "recent", id: "recent-list" });
  const note = h("p", { class: "muted", "aria-live": "polite" });
  const section = h(
    "section",
    { "aria-labelledby": "recent-h" },
    h(
      "div",
      { class: "section-head" },
      h("h2", { id: "recent-h" }, "Recent tasks"),
      h("button", { type: "button", class: "small", onclick: () => { forgetTasks(); fill(); } }, "Forget this list"),
    ),
    note,
    list,
  );
  async function fill() {
    const tasks = recentTasks();
    note.textContent = tasks.length ? "" : "No task submitted from this browser yet.";
    const items = new Map();
    list.replaceChildren(
      ...tasks.map((t) => {
        const status = h("span", { class: "badge" }, "…");
        items.set(t.id, status);
        const when = new Date(t.submittedAt);
        return h(
          "li",
          {},
          h("a", { href: `/tasks/${t.id}`, class: "queryid" }, t.id),
          " ",
          status,
          h("span", { class: "muted" }, ` ${t.queries ?? "?"} queries, submitted ${when.toLocaleString()}`),
        );
      }),
    );
    try {
      const states = await statuses(tasks);
      for (const [id, status] of items) {
        status.textContent = statusText(states[id]);
        status.dataset.status = states[id] && states[id].status ? states[id].status : "UNKNOWN";
      }
    } catch (error) {
      note.textContent = `Statuses could not be loaded: ${error.message}`;
    }
  }
  fill();
  return section;
}
