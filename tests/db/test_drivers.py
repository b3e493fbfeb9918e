"""Driver jars: pinned sha256, atomic install, and a clear error when offline."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from jobs.db.drivers import DRIVERS, POSTGRESQL_JDBC, TRINO_JDBC, DriverJar, DriverUnavailable, ensure_driver


@dataclass(frozen=True)
class LocalJar(DriverJar):
    """A DriverJar fetched from a chosen URL (a local file, or a port nobody listens on)."""

    source: str = ""

    @property
    def url(self) -> str:
        return self.source


def _jar(tmp_path: Path, content: bytes, sha256: str | None = None) -> LocalJar:
    source = tmp_path / "upstream.jar"
    source.write_bytes(content)
    return LocalJar(
        group="g",
        artifact="a",
        version="1",
        sha256=sha256 or hashlib.sha256(content).hexdigest(),
        driver_class="x.Driver",
        source=source.as_uri(),
    )


def test_pinned_versions_and_checksums() -> None:
    assert set(DRIVERS) == {"trino", "postgresql"}
    assert int(TRINO_JDBC.version) >= 476
    assert POSTGRESQL_JDBC.version.startswith("42.")
    for jar in DRIVERS.values():
        assert len(jar.sha256) == 64
        assert jar.url.startswith("https://repo1.maven.org/maven2/")
        assert jar.url.endswith(f"/{jar.version}/{jar.file_name}")


def test_download_is_verified_and_atomic(tmp_path: Path) -> None:
    jar = _jar(tmp_path, b"jar bytes")
    target_dir = tmp_path / "drivers"
    path = ensure_driver(jar, target_dir)
    assert path == target_dir / "a-1.jar"
    assert path.read_bytes() == b"jar bytes"
    assert [p.name for p in target_dir.iterdir()] == ["a-1.jar"]  # no temp file left behind
    # a present, correct file is used as it is (the source may be gone)
    Path(jar.source.removeprefix("file://")).unlink()
    assert ensure_driver(jar, target_dir) == path


def test_wrong_checksum_is_refused_and_nothing_installed(tmp_path: Path) -> None:
    jar = _jar(tmp_path, b"tampered", sha256="0" * 64)
    target_dir = tmp_path / "drivers"
    with pytest.raises(DriverUnavailable, match="expected 0000"):
        ensure_driver(jar, target_dir)
    assert list(target_dir.iterdir()) == []


def test_corrupt_local_file_is_replaced(tmp_path: Path) -> None:
    jar = _jar(tmp_path, b"good bytes")
    target_dir = tmp_path / "drivers"
    target_dir.mkdir()
    (target_dir / "a-1.jar").write_bytes(b"half a jar")
    assert ensure_driver(jar, target_dir).read_bytes() == b"good bytes"


def test_offline_and_missing_gives_a_clear_error(tmp_path: Path) -> None:
    jar = LocalJar(
        group="g", artifact="a", version="1", sha256="0" * 64, driver_class="x", source="http://127.0.0.1:9/a-1.jar"
    )
    with pytest.raises(DriverUnavailable) as caught:
        ensure_driver(jar, tmp_path / "drivers", timeout=5)
    message = str(caught.value)
    assert "a-1.jar is not in" in message
    assert "LAKEOPT_DRIVER_DIR" in message
    assert list((tmp_path / "drivers").iterdir()) == []
