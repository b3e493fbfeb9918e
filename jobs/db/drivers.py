"""The JDBC driver jars: pinned by version and sha256, fetched once from Maven Central.

They live in ``settings.driver_dir`` (``LAKEOPT_DRIVER_DIR``); an offline install puts the same
files there by hand. A file whose sha256 does not match is never used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jobs.db.download import DownloadError, ensure_file, maven_url


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
        return maven_url(self.group, self.artifact, self.version, self.file_name)


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


def ensure_driver(jar: DriverJar, driver_dir: Path, *, timeout: float = 120.0) -> Path:
    """The path of ``jar`` in ``driver_dir``, downloading and checking it first if needed."""
    try:
        return ensure_file(jar.url, driver_dir / jar.file_name, jar.sha256, timeout=timeout)
    except DownloadError as exc:
        raise DriverUnavailable(
            f"the JDBC driver {jar.file_name} is not in {driver_dir} and could not be fetched ({exc}); "
            "put the file there by hand (LAKEOPT_DRIVER_DIR) for an offline install"
        ) from exc


def ensure_drivers(driver_dir: Path) -> list[Path]:
    """Every pinned driver jar (both engines), in a fixed order: the JVM classpath."""
    return [ensure_driver(jar, driver_dir) for jar in DRIVERS.values()]


def main() -> None:
    """``python -m jobs.db.drivers [DIR]``: fetch the drivers now (CI does, before the tests)."""
    import sys

    from jobs.settings import load_settings

    driver_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else load_settings().driver_dir
    for path in ensure_drivers(driver_dir):
        print(path)


if __name__ == "__main__":
    main()
