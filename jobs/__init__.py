"""lakeopt's worker side: the optimization pipeline, the task store, JDBC, the LLM client.

Nothing here imports ``gql_app``: dependencies point one way, gql_app -> jobs.
"""
