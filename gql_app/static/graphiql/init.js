// GraphiQL for lakeopt, from the package's own copies of GraphiQL and React (see
// /static/vendor/). Starts from example operations; the console's API token, when one is
// saved, fills the Authorization header (HTTP) and the websocket connection_init payload.
(function () {
  "use strict";

  const EXAMPLE = `# lakeopt GraphQL API.
# Ctrl-Enter runs the operation under the cursor.
#
# 1. SubmitTask (input in Variables below) returns
#    the new task's id.
# 2. Put that id into "id" in Variables, then run
#    Task, or TaskStatus to follow the task live.

mutation SubmitTask($input: TaskInput!) {
  submitTask(input: $input) {
    __typename
    ... on Task { id status stage }
    ... on InputError { message fields { field message } }
    ... on ServiceUnavailable { message }
  }
}

query Task($id: UUID!) {
  task(id: $id) {
    __typename
    ... on Task {
      status stage progress message error
      result { ddl { statement } migrations { statement } queries { queryid query } }
      report { warnings recommendations queryNotes { queryid note } }
    }
    ... on TaskNotFound { message }
  }
}

subscription TaskStatus($id: UUID!) {
  taskStatus(id: $id) {
    __typename
    ... on TaskEvent { seq status stage progress message error }
    ... on TaskNotFound { message }
  }
}
`;

  const EXAMPLE_VARIABLES = JSON.stringify(
    {
      id: "00000000-0000-0000-0000-000000000000",
      input: {
        url: "jdbc:trino://localhost:8080?user=alice",
        ddl: [{ statement: "CREATE TABLE shop.sales.orders (id bigint, day date, amount double)" }],
        queries: [
          {
            queryid: "daily-revenue",
            query: "SELECT day, sum(amount) FROM shop.sales.orders GROUP BY day",
            runquantity: 120,
            executiontime: 4.5,
          },
        ],
      },
    },
    null,
    2,
  );

  function savedToken() {
    try {
      return window.localStorage.getItem("lakeopt.token") || "";
    } catch (_error) {
      return "";
    }
  }

  const url = new URL("/graphql", window.location.href);
  const subscriptionUrl = new URL(url);
  subscriptionUrl.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const token = savedToken();
  const auth = token ? { Authorization: "Bearer " + token } : {};

  const fetcher = GraphiQL.createFetcher({
    url: url.toString(),
    subscriptionUrl: subscriptionUrl.toString(),
    headers: auth,
    wsConnectionParams: auth,
  });

  const root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: EXAMPLE,
      variables: EXAMPLE_VARIABLES,
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
    }),
  );
})();
