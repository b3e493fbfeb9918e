"""Talking to databases: JDBC (drivers, JVM, read-only guard, connections), the Trino client, profilers."""
