// Talking to the service: GraphQL over HTTP, the REST /new route, the pretty-SQL route.
// Every request carries the saved API token as "Authorization: Bearer <token>".

const TOKEN_KEY = "lakeopt.token";

export function savedToken() {
  try {
    return window.localStorage.getItem(TOKEN_KEY) || "";
  } catch (_error) {
    return ""; // storage disabled: the token field still works for this page
  }
}

export function saveToken(token) {
  try {
    if (token) window.localStorage.setItem(TOKEN_KEY, token);
    else window.localStorage.removeItem(TOKEN_KEY);
    return true;
  } catch (_error) {
    return false;
  }
}

export function authHeaders() {
  const token = savedToken();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** A refused request; fields are [{field, message}] when the service named bad input fields. */
export class ApiError extends Error {
  constructor(message, { status = 0, fields = [] } = {}) {
    super(message);
    this.status = status;
    this.fields = fields;
  }
}

async function readJson(response) {
  try {
    return await response.json();
  } catch (_error) {
    throw new ApiError(`the service answered ${response.status} ${response.statusText} without JSON`, {
      status: response.status,
    });
  }
}

export async function graphql(query, variables = {}) {
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", ...authHeaders() },
      body: JSON.stringify({ query, variables }),
    });
  } catch (error) {
    throw new ApiError(`the service cannot be reached (${error.message})`);
  }
  const body = await readJson(response);
  if (body.errors && body.errors.length) {
    throw new ApiError(body.errors.map((e) => e.message).join("; "), { status: response.status });
  }
  if (!response.ok) throw new ApiError(`GraphQL answered ${response.status}`, { status: response.status });
  return body.data;
}

/** POST /new with the document's text as typed: the service reports JSON and field errors. */
export async function submitRest(text) {
  let response;
  try {
    response = await fetch("/new", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", ...authHeaders() },
      body: text,
    });
  } catch (error) {
    throw new ApiError(`the service cannot be reached (${error.message})`);
  }
  const body = await readJson(response);
  if (!response.ok) {
    throw new ApiError(body.error || `POST /new answered ${response.status}`, {
      status: response.status,
      fields: body.fields || [],
    });
  }
  return body.taskid;
}

const SUBMIT = `mutation Submit($input: TaskInput!) { submitTask(input: $input) { __typename
  ... on Task { id } ... on InputError { message fields { field message } } ... on ServiceUnavailable { message } } }`;

/** submitTask with a GraphQL-shaped input (verifyUrl); InputError fields come back as ApiError.fields. */
export async function submitGraphql(input) {
  const data = await graphql(SUBMIT, { input });
  const result = data.submitTask;
  if (result.__typename === "Task") return result.id;
  throw new ApiError(result.message, { fields: result.fields || [] });
}

/** A DONE task's statements and queries laid out by sqlglot on the server. */
export async function fetchPretty(taskId) {
  const response = await fetch(`/tasks/${encodeURIComponent(taskId)}/pretty.json`, {
    headers: { accept: "application/json", ...authHeaders() },
  });
  const body = await readJson(response);
  if (!response.ok) throw new ApiError(body.error || `answered ${response.status}`, { status: response.status });
  return body;
}

export function websocketUrl(path) {
  const url = new URL(path, window.location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url.toString();
}
