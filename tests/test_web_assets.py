"""The pages the service serves load nothing from another host.

What is checked, page by page (``/``, ``/tasks/x``, ``/graphql`` as HTML, ``/docs``):

- the HTML holds no ``http(s)://`` URL at all, and every ``src``/``href`` it loads (scripts,
  stylesheets, icons) is a path on this service that answers 200;
- our own JavaScript and CSS (not ``static/vendor/``) hold no ``http(s)://`` or ``ws(s)://``
  URL at all (the SVG namespace name, which is never fetched, excepted), and every ES module
  they import is fetched and checked the same way;
- every stylesheet's ``url(...)`` and ``@import`` is a ``data:`` URL or a path on this service.

Vendored bundles (GraphiQL, React, Swagger UI) are full of URL strings that are never fetched
(licence headers, documentation links, XML namespaces), so their JavaScript is not scanned
here: ``tests/test_console_browser.py`` loads the pages in Chromium and checks every request
the browser actually makes, and the pages' Content-Security-Policy (checked here) forbids any
other host. The vendored files themselves must match ``static/vendor/manifest.json``.
"""

from __future__ import annotations

import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from gql_app.console_routes import STATIC_DIR
from tests.live_service import LiveService

VENDOR = STATIC_DIR / "vendor"
PAGES = {"/": "text/html", "/tasks/x": "text/html", "/graphql": "text/html", "/docs": "text/html"}
EXTERNAL = re.compile(r"\b(?:https?|wss?)://[^\s\"'`)<>]+", re.IGNORECASE)
#: Namespace names: identifiers in XML/SVG, never fetched.
NAMESPACES = {"http://www.w3.org/2000/svg"}
CSS_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)|@import\s+(['\"])(.*?)\3", re.IGNORECASE | re.DOTALL)
JS_IMPORT = re.compile(
    r"""(?:^|\n)\s*(?:import|export)\b[^'"`;]*?\bfrom\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)"""
)


class _Assets(HTMLParser):
    """The URLs an HTML page makes the browser fetch: script src, link href, img/source src."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []  # (kind, url)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "script" and values.get("src"):
            self.urls.append(("module" if values.get("type") == "module" else "script", values["src"]))
        elif tag == "link" and values.get("href"):
            self.urls.append(("css" if "stylesheet" in values.get("rel", "") else "other", values["href"]))
        elif tag in {"img", "source", "iframe", "embed"} and values.get("src"):
            self.urls.append(("other", values["src"]))


def _external(text: str) -> list[str]:
    return [url for url in EXTERNAL.findall(text) if url not in NAMESPACES]


def _is_vendored(url: str) -> bool:
    return urlsplit(url).path.startswith("/static/vendor/")


def _check_css(client: httpx.Client, url: str, text: str, problems: list[str]) -> None:
    for match in CSS_URL.finditer(text):
        target = (match.group(2) or match.group(4) or "").strip()
        if target.startswith("data:") or target.startswith("#"):
            continue
        absolute = urljoin(url, target)
        if urlsplit(absolute).netloc != urlsplit(url).netloc:
            problems.append(f"{url}: loads {target}")
        elif client.get(absolute).status_code != 200:
            problems.append(f"{url}: {target} is missing")


def _crawl(client: httpx.Client, page: str) -> tuple[list[str], list[str]]:
    """(every asset URL the page loads, transitively; problems found)."""
    problems: list[str] = []
    response = client.get(page, headers={"accept": "text/html"})
    assert response.headers["content-type"].startswith("text/html"), page
    problems += [f"{page}: {url}" for url in _external(response.text)]
    parser = _Assets()
    parser.feed(response.text)
    queue = [(kind, urljoin(str(response.url), url)) for kind, url in parser.urls]
    seen: list[str] = []
    while queue:
        kind, url = queue.pop(0)
        if url in seen:
            continue
        seen.append(url)
        if urlsplit(url).netloc != urlsplit(str(response.url)).netloc:
            problems.append(f"{page}: loads {url}")
            continue
        asset = client.get(url)
        if asset.status_code != 200:
            problems.append(f"{page}: {url} answered {asset.status_code}")
            continue
        if kind == "css":
            _check_css(client, url, asset.text, problems)
        if not _is_vendored(url) and kind in {"css", "module", "script"}:
            problems += [f"{url}: {found}" for found in _external(asset.text)]
        if kind == "module":
            for match in JS_IMPORT.finditer(asset.text):
                queue.append(("module", urljoin(url, match.group(1) or match.group(2))))
    return seen, problems


@pytest.mark.redis
def test_served_pages_load_only_local_assets(live_service: LiveService) -> None:
    with httpx.Client(base_url=live_service.base_url, timeout=30) as client:
        loaded: dict[str, list[str]] = {}
        problems: list[str] = []
        for page in PAGES:
            loaded[page], found = _crawl(client, page)
            problems += found
            policy = client.get(page, headers={"accept": "text/html"}).headers["content-security-policy"]
            assert "default-src 'none'" in policy and "connect-src 'self'" in policy, page
        assert problems == []
    paths = {page: {urlsplit(url).path for url in urls} for page, urls in loaded.items()}
    # The crawl did reach what each page needs (so an empty crawl cannot pass).
    assert {"/static/console/main.js", "/static/console/task-view.js", "/static/console/diff.js"} <= paths["/"]
    assert paths["/tasks/x"] == paths["/"]
    assert {"/static/vendor/graphiql/graphiql.min.js", "/static/vendor/react/react.production.min.js"} <= paths[
        "/graphql"
    ]
    assert {"/static/vendor/swagger-ui/swagger-ui-bundle.js", "/static/vendor/swagger-ui/swagger-ui.css"} <= paths[
        "/docs"
    ]


def test_vendored_files_match_their_manifest_and_carry_their_licences() -> None:
    manifest = json.loads((VENDOR / "manifest.json").read_text())
    listed: set[Path] = set()
    for package in manifest["packages"]:
        directory = VENDOR / package["directory"]
        assert "LICENSE" in package["files"], package["name"]
        for name, digest in package["files"].items():
            path = directory / name
            listed.add(path)
            assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, f"{path} differs from the npm package"
    on_disk = {p for p in VENDOR.rglob("*") if p.is_file()} - {VENDOR / "manifest.json", VENDOR / "README.md"}
    assert on_disk == listed, "every vendored file comes from scripts/fetch_web_assets.py"


def test_the_checker_finds_what_it_looks_for() -> None:
    # The patterns above must match the forms a page would use, or the crawl proves nothing.
    assert _external('<script src="https://unpkg.com/x.js">') == ["https://unpkg.com/x.js"]
    assert _external('new WebSocket("wss://cdn.example/graphql")') == ["wss://cdn.example/graphql"]
    assert _external('createElementNS("http://www.w3.org/2000/svg", "g")') == []
    css = "a{background:url( 'https://x.example/a.png' )} @import \"https://fonts.example/f.css\"; b{src:url(data:,)}"
    assert [m.group(2) or m.group(4) for m in CSS_URL.finditer(css)] == [
        "https://x.example/a.png",
        "https://fonts.example/f.css",
        "data:,",
    ]
    js = 'import { h } from "./dom.js";\nexport { x } from "./x.js";\nconst m = import("./lazy.js");'
    assert [m.group(1) or m.group(2) for m in JS_IMPORT.finditer(js)] == ["./dom.js", "./x.js", "./lazy.js"]
    parser = _Assets()
    parser.feed('<link rel="stylesheet" href="/a.css"><script type="module" src="/m.js"></script><img src="/i.png">')
    assert parser.urls == [("css", "/a.css"), ("module", "/m.js"), ("other", "/i.png")]
