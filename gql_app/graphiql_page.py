"""GraphiQL at ``GET /graphql`` from the package's own copies of GraphiQL and React (no CDN).

Strawberry's page loads them from unpkg; this one loads ``/static/vendor/...`` (see
``static/vendor/README.md``) and starts from an example operation (``static/graphiql/init.js``).
"""

from __future__ import annotations

from starlette.responses import HTMLResponse

from gql_app.page_security import page_headers

GRAPHIQL_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<title>lakeopt GraphiQL</title>
<link rel="icon" href="/static/console/favicon.svg" type="image/svg+xml"/>
<link rel="stylesheet" href="/static/vendor/graphiql/graphiql.min.css"/>
<link rel="stylesheet" href="/static/graphiql/graphiql-page.css"/>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<noscript>GraphiQL needs JavaScript; POST queries to this URL, or see /schema in the repository.</noscript>
<script src="/static/vendor/react/react.production.min.js"></script>
<script src="/static/vendor/react-dom/react-dom.production.min.js"></script>
<script src="/static/vendor/graphiql/graphiql.min.js"></script>
<script src="/static/graphiql/init.js"></script>
</body>
</html>
"""


def graphiql_response() -> HTMLResponse:
    # React and CodeMirror set style attributes: this page needs inline styles.
    return HTMLResponse(GRAPHIQL_HTML, headers=page_headers(inline_styles=True))
