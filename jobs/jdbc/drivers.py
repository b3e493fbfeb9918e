"""The JDBC driver jars: pinned by version and sha256, fetched once from Maven Central.

They live in ``settings.driver_dir`` (``LAKEOPT_DRIVER_DIR``); an offline install puts the same
files there by hand. A file whose sha256 does not match is never used.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

MAVEN_CENTRAL = "https://repo1.maven.org/maven2"


@dataclass(frozen=True)
class DriverJar:
    group: str
    artifact: str
    version: str
    sha256: str
    #: The ``java.sql.Driver`` class the jar registers.
    driver_class: str

    @property
    def file_name(self) -> str:
        return f"{self.artifact}-{self.version}.jar"

    @property
    def url(self) -> str:
        return f"{MAVEN_CENTRAL}/{self.group.replace('.', '/')}/{self.artifact}/{self.version}/{self.file_name}"


TRINO_JDBC = DriverJar(
    group="io.trino",
    artifact="trino-jdbc",
    version="476",
    sha256="a3736d21609a5a317d2ce88b3835e312e9b6f41393c1d4b09f2ad6e7aeb3bb90",
    driver_class="io.trino.jdbc.TrinoDriver",
)
POSTGRESQL_JDBC = DriverJar(
    group="org.postgresql",
    artifact="postgresql",
    version="42.7.8",
    sha256="2a32a9dcbc42d67a50ad3a0de5efd102c8d2be46720045f2cbd6689f160ab7c7",
    driver_class="org.postgresql.Driver",
)
DRIVERS: dict[str, DriverJar] = {"trino": TRINO_JDBC, "postgresql": POSTGRESQL_JDBC}


class DriverUnavailable(RuntimeError):
    """A driver jar is missing and could not be downloaded (or its checksum is wrong)."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _download(jar: DriverJar, target: Path, timeout: float) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    # Temp file in the same folder, then rename: a reader never sees a half-written jar, and two
    # processes downloading at once both end with a complete file.
    handle, temp_name = tempfile.mkstemp(prefix=f".{jar.file_name}.", suffix=".part", dir=target.parent)
    temp = Path(temp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(handle, "wb") as out, urllib.request.urlopen(jar.url, timeout=timeout) as response:  # noqa: S310
            for block in iter(lambda: response.read(1 << 20), b""):
                digest.update(block)
                out.write(block)
        if digest.hexdigest() != jar.sha256:
            raise DriverUnavailable(
                f"{jar.url} has sha256 {digest.hexdigest()}, expected {jar.sha256}: refusing to use it"
            )
        os.replace(temp, target)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DriverUnavailable(
            f"the JDBC driver {jar.file_name} is not in {target.parent} and could not be downloaded from "
            f"{jar.url} ({exc}); put the file there by hand (LAKEOPT_DRIVER_DIR) for an offline install"
        ) from exc
    finally:
        temp.unlink(missing_ok=True)


def ensure_driver(jar: DriverJar, driver_dir: Path, *, timeout: float = 120.0) -> Path:
    """The path of ``jar`` in ``driver_dir``, downloading and checking it first if needed."""
    target = driver_dir / jar.file_name
    if target.is_file():
        if file_sha256(target) == jar.sha256:
            return target
        log.warning("%s has the wrong sha256; downloading it again", target)
    log.info("downloading %s", jar.url)
    _download(jar, target, timeout)
    return target


def ensure_drivers(driver_dir: Path) -> list[Path]:
    """Every pinned driver jar (both engines), in a fixed order: the JVM classpath."""
    return [ensure_driver(jar, driver_dir) for jar in DRIVERS.values()]


def main() -> None:
    """``python -m jobs.jdbc.drivers [DIR]``: fetch the drivers now (CI does, before the tests)."""
    import sys

    from jobs.settings import load_settings

    driver_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else load_settings().driver_dir
    for path in ensure_drivers(driver_dir):
        print(path)


if __name__ == "__main__":
    main()
