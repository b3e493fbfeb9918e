"""Re-fetch the vendored browser assets (GraphiQL, React, Swagger UI) from the npm registry.

The service serves these from ``gql_app/static/vendor/`` so that ``/graphql`` and ``/docs``
work with no internet. Each package is fetched with ``npm pack`` at a pinned version, its
tarball checked against a pinned sha256, and only the built files the pages load (plus the
licence files) are copied out. ``manifest.json`` records the sha256 of every copied file;
``tests/test_web_assets.py`` checks the tree against it.

    python scripts/fetch_web_assets.py           # write gql_app/static/vendor/
    python scripts/fetch_web_assets.py --check   # fetch and compare, write nothing

To move to a new version: change ``version``, run once with ``--print-sha256`` to see the new
tarball's hash, check it against ``npm view NAME@VERSION dist.integrity``, and pin it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[1] / "gql_app" / "static" / "vendor"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    sha256: str  # of the npm tarball
    directory: str  # under gql_app/static/vendor/
    files: tuple[str, ...]  # paths inside the tarball's package/ folder
    license: str


PACKAGES = (
    Package(
        "react",
        "18.2.0",
        "a151f7caec911760e42b7a6f6f1dfcaba141fd11ff49e2af901a2eee0366297c",
        "react",
        ("umd/react.production.min.js", "LICENSE"),
        "MIT",
    ),
    Package(
        "react-dom",
        "18.2.0",
        "20a71e86b691f860c781f3732a85c7b3c63c4d3d9a803dca9dfe6ed0eb30e2ef",
        "react-dom",
        ("umd/react-dom.production.min.js", "LICENSE"),
        "MIT",
    ),
    Package(
        "graphiql",
        "3.8.3",
        "1cadb1c2ca0dc51ea71fb4bb2680e6185e83fe400c9a62ca5fb9dfb922472bbd",
        "graphiql",
        ("graphiql.min.js", "graphiql.min.css", "LICENSE"),
        "MIT",
    ),
    Package(
        "swagger-ui-dist",
        "5.35.0",
        "1b8e891893404ea4c3558b6a87e2a3e494e7eedba41168c2ece5800a391a6ea6",
        "swagger-ui",
        ("swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-bundle.js.LICENSE.txt", "LICENSE", "NOTICE"),
        "Apache-2.0",
    ),
)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def npm_pack(package: Package, into: Path) -> bytes:
    """The package's tarball, fetched by npm itself (its registry settings, cache and proxy apply)."""
    out = subprocess.run(
        ["npm", "pack", f"{package.name}@{package.version}", "--pack-destination", str(into), "--json"],
        check=True,
        capture_output=True,
        text=True,
    )
    filename = json.loads(out.stdout)[0]["filename"]
    return (into / filename).read_bytes()


def extract(package: Package, tarball: Path) -> dict[str, bytes]:
    with tarfile.open(tarball) as archive:
        contents = {}
        for name in package.files:
            member = archive.extractfile(f"package/{name}")
            if member is None:
                raise SystemExit(f"{package.name}: package/{name} is not a file")
            contents[Path(name).name] = member.read()
        return contents


def fetch_all(print_sha256: bool) -> dict[str, dict[str, bytes]]:
    """Every package's vendored files by directory, each tarball checked against its pin."""
    result: dict[str, dict[str, bytes]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for package in PACKAGES:
            data = npm_pack(package, Path(tmp))
            digest = sha256(data)
            if print_sha256:
                print(f"{package.name}@{package.version} {digest}")
            elif digest != package.sha256:
                raise SystemExit(f"{package.name}@{package.version}: tarball sha256 {digest}, pinned {package.sha256}")
            tarball = Path(tmp) / "package.tgz"
            tarball.write_bytes(data)
            result[package.directory] = extract(package, tarball)
    return result


def manifest(files: dict[str, dict[str, bytes]]) -> dict[str, object]:
    return {
        "packages": [
            {
                "name": p.name,
                "version": p.version,
                "license": p.license,
                "tarball_sha256": p.sha256,
                "directory": p.directory,
                "files": {name: sha256(data) for name, data in sorted(files[p.directory].items())},
            }
            for p in PACKAGES
        ]
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare with the vendored tree, write nothing")
    parser.add_argument("--print-sha256", action="store_true", help="print each tarball's sha256, write nothing")
    args = parser.parse_args()
    files = fetch_all(args.print_sha256)
    if args.print_sha256:
        return 0
    wanted = json.dumps(manifest(files), indent=2) + "\n"
    if args.check:
        stale = [
            f"{directory}/{name}"
            for directory, contents in files.items()
            for name, data in contents.items()
            if not (VENDOR / directory / name).is_file() or (VENDOR / directory / name).read_bytes() != data
        ]
        if (VENDOR / "manifest.json").read_text() != wanted:
            stale.append("manifest.json")
        for path in stale:
            print(f"differs from the registry: {path}", file=sys.stderr)
        return 1 if stale else 0
    for directory, contents in files.items():
        (VENDOR / directory).mkdir(parents=True, exist_ok=True)
        for name, data in contents.items():
            (VENDOR / directory / name).write_bytes(data)
    (VENDOR / "manifest.json").write_text(wanted)
    print(f"wrote {sum(len(c) for c in files.values())} files under {VENDOR}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
