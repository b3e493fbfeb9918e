"""Print the GraphQL schema: ``python -m gql_app.export_schema > schema.graphql``."""

from gql_app.graphql_schema import create_schema

if __name__ == "__main__":
    print(create_schema().as_str())
