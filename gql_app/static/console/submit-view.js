// The home page: submit a workload (pasted or uploaded JSON) and see the API's field errors.
import { ApiError, submitGraphql, submitRest } from "./api.js";
import { h } from "./dom.js";
import { rememberTask, renderRecent } from "./recent.js";

/**
 * How to send a document: GraphQL when it is a submitTask input ("verifyUrl", or {"input": ...}),
 * else the text as typed to POST /new, whose validator names JSON syntax and field errors.
 */
export function submission(text) {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (_error) {
    return { via: "rest", doc: null };
  }
  if (doc && typeof doc === "object" && !Array.isArray(doc)) {
    if (doc.input && typeof doc.input === "object" && !("ddl" in doc)) return { via: "graphql", doc: doc.input };
    if ("verifyUrl" in doc) return { via: "graphql", doc };
  }
  return { via: "rest", doc };
}

/** "queries[2].runquantity" -> the queryid of that query, to say which query it is. */
function whichQuery(field, doc) {
  const match = /^(?:input\.)?queries\[(\d+)\]/.exec(field);
  const query = match && doc && Array.isArray(doc.queries) ? doc.queries[Number(match[1])] : null;
  return query && typeof query.queryid === "string" ? query.queryid : null;
}

function errorList(error, doc) {
  const items = (error.fields || []).map((f) => {
    const queryid = whichQuery(f.field, doc);
    return h(
      "li",
      {},
      f.field ? h("code", { class: "field" }, f.field) : h("span", { class: "field" }, "the document"),
      queryid ? h("span", { class: "muted" }, ` (queryid ${queryid})`) : null,
      `: ${f.message}`,
    );
  });
  return [h("p", {}, error.message), items.length ? h("ul", { class: "field-errors" }, items) : null];
}

export function showSubmit(main) {
  document.title = "lakeopt console";
  const textarea = h("textarea", {
    id: "workload",
    name: "workload",
    rows: "16",
    spellcheck: "false",
    "aria-describedby": "workload-help workload-errors",
    placeholder: '{"url": "jdbc:trino://host:8080?user=alice", "ddl": [...], "queries": [...]}',
  });
  const file = h("input", { id: "workload-file", type: "file", accept: ".json,.txt,application/json,text/plain" });
  const errors = h("div", { id: "workload-errors", class: "errors", role: "alert" });
  const submit = h("button", { type: "submit", id: "submit-button" }, "Submit workload");
  const format = h("button", { type: "button", class: "secondary" }, "Format JSON");

  const showError = (error, doc) => {
    errors.replaceChildren(...errorList(error, doc).filter(Boolean));
    textarea.setAttribute("aria-invalid", "true");
  };
  const clearErrors = () => {
    errors.replaceChildren();
    textarea.removeAttribute("aria-invalid");
  };

  file.addEventListener("change", async () => {
    const chosen = file.files && file.files[0];
    if (!chosen) return;
    textarea.value = await chosen.text();
    clearErrors();
    textarea.focus();
  });
  format.addEventListener("click", () => {
    try {
      textarea.value = JSON.stringify(JSON.parse(textarea.value), null, 2);
      clearErrors();
    } catch (error) {
      showError(new ApiError(`Not valid JSON: ${error.message}`), null);
    }
  });

  const form = h(
    "form",
    { id: "submit-form", novalidate: true },
    h("label", { for: "workload" }, "Workload JSON"),
    h(
      "p",
      { id: "workload-help", class: "muted" },
      "The body of POST /new (",
      h("code", {}, "url, verify_url, ddl, queries"),
      ") or the GraphQL submitTask input (",
      h("code", {}, "url, verifyUrl, ddl, queries"),
      ").",
    ),
    textarea,
    h("div", { class: "file-row" }, h("label", { for: "workload-file" }, "Or upload a file"), file),
    h("div", { class: "actions" }, submit, format),
    errors,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    const text = textarea.value;
    if (!text.trim()) {
      showError(new ApiError("Paste or upload a workload first."), null);
      textarea.focus();
      return;
    }
    const { via, doc } = submission(text);
    submit.disabled = true;
    submit.textContent = "Submitting…";
    try {
      const id = via === "graphql" ? await submitGraphql(doc) : await submitRest(text);
      rememberTask({ id, queries: doc && Array.isArray(doc.queries) ? doc.queries.length : null });
      window.location.assign(`/tasks/${id}`);
    } catch (error) {
      showError(error instanceof ApiError ? error : new ApiError(error.message), doc);
      errors.focus();
    } finally {
      submit.disabled = false;
      submit.textContent = "Submit workload";
    }
  });
  errors.tabIndex = -1;

  main.replaceChildren(
    h("h1", {}, "Optimize a workload"),
    h(
      "p",
      {},
      "lakeopt returns a plan — new tables in a new schema, the migrations that fill them, and every query rewritten to read them.",
    ),
    form,
    renderRecent(),
  );
}
