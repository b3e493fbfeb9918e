// A task's page (/tasks/<id>): live progress over the taskStatus subscription while RUNNING,
// then (or at once, for a finished task) the plan and the report.
import { authHeaders, fetchPretty, graphql, websocketUrl } from "./api.js";
import { h } from "./dom.js";
import { renderPlan } from "./plan-view.js";
import { recommendationCards, renderExplanation, renderLlm, renderRecommendations, renderWarnings } from "./report-view.js";
import { subscribe } from "./transport-ws.js";
import { renderVerification } from "./verification-view.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const POLL_MS = 2000;

const TASK = `query Task($id: UUID!) { task(id: $id) { __typename
  ... on TaskNotFound { message }
  ... on Task { id status stage progress message error url createdAt updatedAt finishedAt attempts
    result { ddl { statement } migrations { statement } queries { queryid query } }
    report { warnings recommendations queryNotes { queryid note } explanation
      llm { calls promptTokens completionTokens accepted
        rejected { queryid sql note } suggestions { queryid sql note } }
      verification { url x y z sourceBytes newBytes mismatches errors
        queries { queryid equal beforeSeconds afterSeconds speedup detail } } } } } }`;

const STATUS = `subscription Status($id: UUID!) { taskStatus(id: $id) { __typename
  ... on TaskEvent { seq status stage progress message error publishedAt }
  ... on TaskNotFound { message } } }`;

async function loadTask(id) {
  return (await graphql(TASK, { id })).task;
}

/** The progress panel: status line, bar, stage and the message log. */
function progressPanel() {
  const status = h("p", { class: "status", role: "status" });
  const bar = h("progress", { max: "1", value: "0", id: "task-progress", "aria-describedby": "task-stage" });
  const stage = h("span", { id: "task-stage", class: "stage" });
  const log = h("ol", { class: "log", "aria-label": "Messages", "aria-live": "off" });
  const element = h(
    "section",
    { class: "progress-panel", "aria-labelledby": "progress-h" },
    h("h2", { id: "progress-h" }, "Progress"),
    status,
    h("div", { class: "bar-row" }, h("label", { for: "task-progress" }, "Progress"), bar, stage),
    h("details", { open: true }, h("summary", {}, "Messages"), log),
  );
  let last = "";
  return {
    element,
    update(state) {
      const percent = Math.round((state.progress || 0) * 100);
      element.dataset.status = state.status;
      status.textContent = `${state.status}${state.status === "RUNNING" ? ` — ${percent}%` : ""}${state.error ? `: ${state.error}` : ""}`;
      bar.value = state.progress || 0;
      bar.textContent = `${percent}%`;
      stage.textContent = `stage: ${state.stage}`;
      const line = `${state.stage}: ${state.message}`;
      if (state.message && line !== last) {
        last = line;
        const when = state.publishedAt ? new Date(state.publishedAt * 1000) : new Date();
        log.append(h("li", {}, h("time", { datetime: when.toISOString() }, when.toLocaleTimeString()), ` ${line}`));
      }
    },
  };
}

function taskFacts(task) {
  const facts = [
    ["status", task.status],
    ["created", new Date(task.createdAt).toLocaleString()],
    ["finished", task.finishedAt ? new Date(task.finishedAt).toLocaleString() : "–"],
    ["database", task.url || "none given"],
  ];
  return h("dl", { class: "facts" }, facts.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

/** Everything a finished task shows; source says how it got here (query at load, or after live events). */
async function renderFinished(container, task, source) {
  const parts = [taskFacts(task)];
  if (task.status === "FAILED") {
    parts.push(h("p", { class: "error", role: "alert" }, `The task failed: ${task.error || "no reason given"}`));
  }
  const report = task.report;
  if (task.result) {
    let pretty = null;
    try {
      pretty = await fetchPretty(task.id);
    } catch (error) {
      parts.push(h("p", { class: "error" }, `The formatted SQL could not be loaded: ${error.message}`));
    }
    const queryids = task.result.queries.map((q) => q.queryid);
    const cards = report ? recommendationCards(report, queryids) : [];
    const notes = new Map((report ? report.queryNotes : []).map((n) => [n.queryid, n.note]));
    if (report) {
      parts.push(
        h("section", { "aria-labelledby": "recs-h" }, h("h2", { id: "recs-h" }, `Recommendations (${cards.length})`), renderRecommendations(cards)),
      );
    }
    if (report) parts.push(renderVerification(report.verification));
    parts.push(renderPlan({ taskId: task.id, result: task.result, pretty, cards, notes }));
  }
  if (report) parts.push(renderWarnings(report), renderExplanation(report), renderLlm(report.llm));
  container.replaceChildren(...parts.filter(Boolean));
  container.dataset.source = source;
  container.dataset.status = task.status;
  container.hidden = false;
}

/** Follow a RUNNING task: the subscription, falling back to polling if the socket fails. */
function follow(id, onEvent, onFinished, onNotice) {
  let stopped = false;
  let poller = null;
  const poll = async () => {
    if (stopped) return;
    try {
      const task = await loadTask(id);
      if (task.__typename === "Task") {
        onEvent(task);
        if (task.status !== "RUNNING") {
          stopped = true;
          onFinished(task);
          return;
        }
      }
    } catch (error) {
      onNotice(`Polling failed (${error.message}); retrying.`);
    }
    poller = setTimeout(poll, POLL_MS);
  };
  subscribe({
    url: websocketUrl("/graphql"),
    query: STATUS,
    variables: { id },
    connectionPayload: authHeaders(),
    onNext(data) {
      const event = data.taskStatus;
      if (event.__typename === "TaskEvent") onEvent(event);
    },
    async onComplete() {
      if (stopped) return;
      try {
        const task = await loadTask(id);
        stopped = true;
        onFinished(task);
      } catch (error) {
        onNotice(`The finished task could not be loaded (${error.message}); retrying.`);
        poll();
      }
    },
    onError(error) {
      if (stopped) return;
      onNotice(`Live updates stopped (${error.message}); polling every ${POLL_MS / 1000} s instead.`);
      poll();
    },
  });
  return () => {
    stopped = true;
    clearTimeout(poller);
  };
}

export async function showTask(main, id) {
  document.title = `Task ${id} · lakeopt`;
  const heading = h("h1", {}, "Task ", h("span", { class: "queryid" }, id));
  if (!UUID.test(id)) {
    main.replaceChildren(heading, h("p", { class: "error", role: "alert" }, `“${id}” is not a task id (a UUID).`), h("p", {}, h("a", { href: "/" }, "Submit a workload")));
    return;
  }
  const notice = h("p", { class: "notice", "aria-live": "polite" });
  const result = h("div", { class: "result", hidden: true, id: "result" });
  main.replaceChildren(heading, notice, result);
  let task;
  try {
    task = await loadTask(id);
  } catch (error) {
    notice.textContent = `The task could not be loaded: ${error.message}`;
    notice.classList.add("error");
    return;
  }
  if (task.__typename === "TaskNotFound") {
    notice.textContent = task.message;
    notice.classList.add("error");
    return;
  }
  if (task.status !== "RUNNING") {
    await renderFinished(result, task, "query");
    return;
  }
  const panel = progressPanel();
  main.insertBefore(panel.element, result);
  panel.update(task);
  follow(
    id,
    (state) => panel.update(state),
    async (finished) => {
      panel.update(finished);
      await renderFinished(result, finished, "subscription");
    },
    (text) => (notice.textContent = text),
  );
}
