"""Pure SQL helpers: the dialect, quoting, statement inspection, JDBC URL parsing and redaction.

No I/O and no engine knowledge: the engine, database access, verification and the LLM gate share these.
"""
