"""The web console, GraphiQL and Swagger UI in headless Chromium against the real service.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them); without them
the tests skip, or fail when ``LAKEOPT_REQUIRE_SERVICES=1`` (CI). Selenium is pointed at
``/usr/bin/chromedriver`` so selenium-manager never downloads a driver or a browser.
Screenshots go to the test's ``tmp_path``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.live_service import LiveService
from tests.services import services_required

pytestmark = [pytest.mark.redis, pytest.mark.chromium, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1366,900",
)
UUID = re.compile(r"/tasks/([0-9a-f-]{36})$")
TOKEN = "console-test-token"


def shared_dir() -> Path:
    """``LAKEOPT_SHARED_DIR``, else ``shared/`` beside the repository (as tests/conftest.py finds it)."""
    configured = os.environ.get("LAKEOPT_SHARED_DIR")
    return Path(configured).resolve() if configured else Path(__file__).resolve().parents[2] / "shared"


def _need_chromium() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package (pip install -e '.[dev]')")
    if missing:
        message = f"Chromium browser tests need {', '.join(missing)} (apt-get install chromium chromium-driver)"
        if services_required():
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    _need_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    # performance: every request and websocket frame (to check hosts and headers); browser: console errors.
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):  # the page may be between renders
            value = condition()
            if value:
                return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def css(driver: Any, selector: str) -> list[Any]:
    return list(driver.find_elements("css selector", selector))


def network(driver: Any) -> list[dict[str, Any]]:
    """The DevTools network events logged since the last call."""
    return [json.loads(entry["message"])["message"] for entry in driver.get_log("performance")]


def console_errors(driver: Any) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def other_hosts(events: list[dict[str, Any]], base_url: str) -> list[str]:
    """Requests (HTTP and websocket) to any host but the service's: the pages must make none."""
    local = urlsplit(base_url).netloc
    urls = [e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent"]
    urls += [e["params"]["url"] for e in events if e["method"] == "Network.webSocketCreated"]
    # data:/blob: never leave the browser; chrome:// is the browser's own new-tab page.
    return [u for u in urls if urlsplit(u).scheme in {"http", "https", "ws", "wss"} and urlsplit(u).netloc != local]


def flights_text() -> str:
    workload = json.loads((shared_dir() / "workloads" / "flights.json").read_text())
    # No database to profile: the plan comes from the DDL and the queries alone (as in the
    # other service tests), so the test does not depend on what listens at the file's URL.
    workload.pop("url")
    return json.dumps(workload, indent=2)


def paste(driver: Any, selector: str, text: str) -> None:
    # What a paste does: the value changes and an input event fires (send_keys would type 40 KB).
    element = css(driver, selector)[0]
    driver.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
        element,
        text,
    )


def test_submit_follow_live_then_reload_a_finished_task(
    live_service: LiveService, browser: Any, tmp_path: Path
) -> None:
    base = live_service.base_url
    browser.get(f"{base}/")
    wait_for(lambda: css(browser, "#workload"), 15, "the submit form")
    css(browser, "#token")[0].send_keys(TOKEN)
    css(browser, "#token-form button[type=submit]")[0].click()
    assert css(browser, "#token-status")[0].text == "saved"
    paste(browser, "#workload", flights_text())
    network(browser)  # start the log from the submission
    # With the worker stopped the task stays queued, so the page surely sees it RUNNING.
    live_service.stop_worker()
    try:
        css(browser, "#submit-button")[0].click()
        task_id = wait_for(lambda: UUID.search(browser.current_url), 20, "the task page").group(1)
        panel = wait_for(lambda: css(browser, ".progress-panel[data-status=RUNNING]"), 20, "the progress panel")[0]
        assert css(browser, "#task-stage")[0].text == "stage: queued"
    finally:
        live_service.start_worker()
    # Live while RUNNING: the bar, the stage and the messages follow the worker's events.
    wait_for(lambda: len(css(browser, ".log li")) >= 3, 60, "progress messages")
    browser.save_screenshot(str(tmp_path / "console-running.png"))
    wait_for(lambda: css(browser, "#result[data-status=DONE]"), 240, "the task to be DONE")
    events = network(browser)

    result_el = css(browser, "#result")[0]
    assert result_el.get_attribute("data-source") == "subscription"
    assert panel.get_attribute("data-status") == "DONE"
    assert css(browser, "#task-progress")[0].get_attribute("value") == "1"
    assert other_hosts(events, base) == []
    assert console_errors(browser) == []

    # The token went with the submission and in the websocket's connection_init.
    posts = [
        e["params"]["request"]
        for e in events
        if e["method"] == "Network.requestWillBeSent" and e["params"]["request"]["url"] == f"{base}/new"
    ]
    assert [p["headers"].get("Authorization") for p in posts] == [f"Bearer {TOKEN}"]
    frames = [
        json.loads(e["params"]["response"]["payloadData"])
        for e in events
        if e["method"] == "Network.webSocketFrameSent"
    ]
    assert frames[0] == {"type": "connection_init", "payload": {"Authorization": f"Bearer {TOKEN}"}}
    assert frames[1]["type"] == "subscribe" and frames[1]["payload"]["variables"] == {"id": task_id}

    # Every query of the plan is shown, beside its original, laid out by sqlglot.
    plan = httpx.get(f"{base}/getresult", params={"task_id": task_id}).json()
    articles = css(browser, "article.query")
    assert [a.get_attribute("data-queryid") for a in articles] == [q["queryid"] for q in plan["queries"]]
    first = articles[0]
    assert len(first.find_elements("css selector", "table.diff tbody tr")) > 10  # one-line SQL, laid out
    # The difference is highlighted: changed lines, with the changed words marked on both sides.
    changed = css(browser, "tr.diff-change")
    assert changed, "no changed line is marked"
    marked_new = {m.text for m in css(browser, "tr.diff-change td.right mark")}
    marked_old = {m.text for m in css(browser, "tr.diff-change td.left mark")}
    assert any("public_opt" in text for text in marked_new), marked_new
    assert any("public" in text for text in marked_old), marked_old
    # A query a recommendation names links to that recommendation's card.
    cards = css(browser, "li.card[id^=rec-]")
    assert cards
    chip = css(browser, "article.query a.chip")[0]
    card_id = chip.get_attribute("href").rsplit("#", 1)[1]
    queryid = chip.find_element("xpath", "ancestor::article").get_attribute("data-queryid")
    assert queryid in css(browser, f"#{card_id}")[0].text
    # DDL and migrations are there too, with their copy and download buttons.
    assert len(css(browser, "section[aria-labelledby=ddl-h] pre.sql")) == len(plan["ddl"])
    assert len(css(browser, "section[aria-labelledby=migrations-h] pre.sql")) == len(plan["migrations"])
    buttons = {b.text for b in css(browser, ".plan button")}
    assert {"Download JSON", "Download .sql", "Copy JSON", "Copy rewritten query"} <= buttons
    first.screenshot(str(tmp_path / "console-query-diff.png"))
    browser.execute_script("window.scrollTo(0, 0)")
    browser.set_window_size(1366, 2400)
    browser.save_screenshot(str(tmp_path / "console-done.png"))
    browser.set_window_size(1366, 900)

    # A second load of the finished task renders from one query, with no live phase.
    started = time.monotonic()
    browser.get(f"{base}/tasks/{task_id}")
    wait_for(lambda: css(browser, "#result[data-status=DONE]"), 15, "the finished task")
    assert time.monotonic() - started < 15
    assert css(browser, "#result")[0].get_attribute("data-source") == "query"
    assert css(browser, ".progress-panel") == []
    assert len(css(browser, "article.query")) == len(plan["queries"])
    assert not [e for e in network(browser) if e["method"] == "Network.webSocketCreated"]

    # The home page lists the task this browser submitted.
    browser.get(f"{base}/")
    link = wait_for(lambda: css(browser, f'#recent-list a[href="/tasks/{task_id}"]'), 15, "the recent task")[0]
    status = link.find_element("xpath", "following-sibling::span[contains(@class, 'badge')]")
    wait_for(lambda: status.text == "DONE", 15, "its status")


def test_field_errors_are_shown_inline(live_service: LiveService, browser: Any, tmp_path: Path) -> None:
    base = live_service.base_url
    browser.get(f"{base}/")
    wait_for(lambda: css(browser, "#workload"), 15, "the submit form")

    def submit(text: str) -> list[str]:
        paste(browser, "#workload", text)
        css(browser, "#submit-button")[0].click()
        return wait_for(lambda: css(browser, "#workload-errors")[0].text, 15, "the errors")

    # REST shape: the 422's fields, each with the query it is about.
    workload = json.loads(flights_text())
    workload["queries"][1]["runquantity"] = "often"
    text = submit(json.dumps(workload))
    items = [li.text for li in css(browser, "#workload-errors .field-errors li")]
    assert items == [
        f"queries[1].runquantity (queryid {workload['queries'][1]['queryid']}): Input should be a valid integer"
    ]
    assert "invalid input" in text
    assert css(browser, "#workload")[0].get_attribute("aria-invalid") == "true"

    # GraphQL shape (verifyUrl): submitTask's InputError fields.
    submit(json.dumps({"verifyUrl": None, "ddl": [], "queries": [{**workload["queries"][0], "runquantity": 1}]}))
    items = [li.text for li in css(browser, "#workload-errors .field-errors li")]
    assert items and items[0].startswith("ddl: "), items

    # An uploaded file that is not JSON: the service says where.
    bad = shared_dir() / "workloads" / "flights.organizer-original.invalid-json.txt"
    css(browser, "#workload-file")[0].send_keys(str(bad))
    wait_for(lambda: css(browser, "#workload")[0].get_property("value").startswith(bad.read_text()[:20]), 10, "upload")
    css(browser, "#submit-button")[0].click()
    with pytest.raises(json.JSONDecodeError) as where:
        json.loads(bad.read_bytes())
    message = f"body is not valid JSON at line {where.value.lineno} column {where.value.colno}"
    wait_for(lambda: css(browser, "#workload-errors")[0].text == message, 15, "the JSON error alone")
    browser.save_screenshot(str(tmp_path / "console-errors.png"))
    assert UUID.search(browser.current_url) is None  # nothing was submitted
    # Chromium logs each refused POST /new (422) as a failed load; nothing else may appear.
    assert [e for e in console_errors(browser) if not ("/new" in e and "422" in e)] == []


@pytest.mark.parametrize(
    ("path", "rendered", "shot"),
    [
        ("/", "#submit-form", "page-console.png"),
        ("/graphql", ".graphiql-container .graphiql-query-editor .CodeMirror", "page-graphiql.png"),
        ("/docs", ".swagger-ui .opblock-summary-path", "page-docs.png"),
    ],
)
def test_pages_render_offline_and_fetch_only_from_the_service(
    live_service: LiveService, browser: Any, tmp_path: Path, path: str, rendered: str, shot: str
) -> None:
    base = live_service.base_url
    network(browser)
    browser.get(f"{base}{path}")
    wait_for(lambda: css(browser, rendered), 30, f"{path} to render")
    time.sleep(1)  # let late requests (schema introspection, fonts) go out, so they are checked too
    browser.save_screenshot(str(tmp_path / shot))
    events = network(browser)
    assert other_hosts(events, base) == []
    assert console_errors(browser) == []
    requested = {
        urlsplit(e["params"]["request"]["url"]).path for e in events if e["method"] == "Network.requestWillBeSent"
    }
    if path == "/graphql":
        text = css(browser, ".graphiql-query-editor")[0].text
        assert "mutation SubmitTask" in text
        assert "/graphql" in requested  # GraphiQL's schema introspection reached the service
    if path == "/docs":
        assert {el.text for el in css(browser, ".opblock-summary-path")} >= {"/new", "/status", "/getresult"}
        assert "/openapi.json" in requested


VIEWS_SCRIPT = """
const done = arguments[arguments.length - 1];
const [verification, report] = await Promise.all([
  import("/static/console/verification-view.js"),
  import("/static/console/report-view.js"),
]);
const data = arguments[0];
const main = document.getElementById("main");
const cards = report.recommendationCards(data.report, ["q-fast", "q-slow", "q-bad"]);
main.replaceChildren(
  report.renderRecommendations(cards),
  verification.renderVerification(data.report.verification),
  report.renderLlm(data.report.llm),
);
done(cards);
"""


def test_verification_and_llm_views_draw_the_report(live_service: LiveService, browser: Any, tmp_path: Path) -> None:
    # The shared workloads have no verify_url and no LLM here: the views get a report as the
    # GraphQL API returns one, in the console page itself (its modules, its CSS and CSP).
    query = {"equal": True, "detail": "", "beforeSeconds": 2.0}
    report = {
        "recommendations": [
            "pre-aggregation: c.new.t_agg_1 holds c.s.t grouped by (a); queries q-fast, q-bad re-aggregate it",
            "partitioning c.new.t by day(d): no query named",
        ],
        "verification": {
            "url": "jdbc:trino://staging:8080?user=alice&password=***",
            "x": 3.21,
            "y": 1.5,
            "z": 3.28,
            "sourceBytes": 3 * 1024**3,
            "newBytes": 2 * 1024**3,
            "mismatches": ["q-bad"],
            "errors": ["q-slow: timed out once"],
            "queries": [
                {**query, "queryid": "q-fast", "afterSeconds": 0.25, "speedup": 8.0},
                {**query, "queryid": "q-slow", "afterSeconds": 4.0, "speedup": 0.5},
                {**query, "queryid": "q-bad", "equal": False, "afterSeconds": 1.0, "speedup": 2.0},
                {**query, "queryid": "q-none", "afterSeconds": None, "speedup": None},
            ],
        },
        "llm": {
            "calls": 3,
            "promptTokens": 1200,
            "completionTokens": 300,
            "accepted": ["q-fast"],
            "rejected": [{"queryid": "q-slow", "sql": "SELECT 1", "note": "returned other rows"}],
            "suggestions": [],
        },
    }
    browser.get(f"{live_service.base_url}/")
    wait_for(lambda: css(browser, "#submit-form"), 15, "the console")
    cards = browser.execute_async_script(VIEWS_SCRIPT, {"report": report})
    assert [(c["rule"], c["queryids"]) for c in cards] == [("pre-aggregation", ["q-fast", "q-bad"]), (None, [])]

    bars = {
        bar.find_element("css selector", "title").get_attribute("textContent"): bar.get_attribute("class")
        for bar in css(browser, "svg.chart g.bar")
    }
    assert bars == {
        "q-fast: 8.00x": "bar faster",
        "q-slow: 0.50x": "bar slower",
        "q-bad: 2.00x (result differed: reverted)": "bar mismatch",
    }
    widths = [float(r.get_attribute("width")) for r in css(browser, "svg.chart rect")]
    assert widths[0] == max(widths) and widths[1] == widths[2]  # log scale: 8x is 3 units, 0.5x and 2x one each
    scores = [el.text for el in css(browser, ".scores dd")]
    assert scores[:3] == ["3.21", "1.50", "3.28"] and scores[3] == "3.0 GiB → 2.0 GiB" and scores[4] == "1"
    assert [row.get_attribute("class") for row in css(browser, "table.numbers tbody tr")] == ["", "", "mismatch", ""]
    llm = css(browser, "section.llm")[0].text
    assert "Accepted (1)" in llm and "Rejected (1)" in llm and "returned other rows" in llm
    browser.set_window_size(1366, 1600)
    browser.save_screenshot(str(tmp_path / "console-verification.png"))
    assert console_errors(browser) == []
