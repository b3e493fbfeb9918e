"""Reading the user's database through JDBC: URLs, drivers, the JVM, connections and profiles.

Submodules are imported on demand; none of them starts the JVM at import time.
"""
