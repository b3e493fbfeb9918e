"""lakeopt's worker side, in layers that import one way (pinned by import-linter in pyproject.toml):

tasks -> {verify, llm, db} -> engine -> {sql, contract}; sandbox is a trial tool only the CLI uses.
Nothing here imports ``gql_app``.
"""
