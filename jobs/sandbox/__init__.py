"""A local single-node Trino 476 with Iceberg on the local disk: for users (``lakeopt sandbox``) and tests.

The submodules are imported lazily by their users; nothing here starts a JVM at import time.
"""
