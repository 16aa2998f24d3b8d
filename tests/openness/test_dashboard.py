"""`tpp serve` in a real headless browser (Debian's chromium driven by Playwright): every page
renders without a console error, the numbers shown are the chain's, navigation reaches a
programme and a mint's provenance, hostile text is shown as text, downloads work, and the
server is read-only. Screenshots go to out/browser/."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import sync_playwright
from starlette.testclient import TestClient

from tests.openness.conftest import HOSTILE
from tpp.base.vocab import State
from tpp.workflow.dashboard import create_app, page_urls
from tpp.workflow.provenance import IndexData

SHOTS = Path(__file__).resolve().parents[2] / "out" / "browser"


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    assert found, "Debian's chromium is missing: `make test` installs it as root (apt-get install chromium); see the README"
    return found


@pytest.fixture(scope="module")
def server(story):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(create_app(story.path), host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        assert time.monotonic() < deadline, "the dashboard did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        yield launched
        launched.close()


def _open(browser, url):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    page.wait_for_load_state("networkidle")
    return page, problems


def test_every_page_renders_without_console_errors(story, server, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    for path in page_urls(story.path):
        page, problems = _open(browser, server + path)
        assert page.locator("#provenance").inner_text().startswith("UNATTRIBUTED")  # the rogue mint, loudly
        name = path.strip("/").replace("/", "-")[:60] or "overview"
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        assert problems == [], f"{path}: {problems}"
        page.close()


def test_the_numbers_shown_are_the_chains(story, server, browser):
    data = IndexData.load(story.path)
    page, problems = _open(browser, server + "/")
    for name, programme in story.result.programmes.items():
        row = page.locator(f'tr[data-address="{programme.address}"]')
        assert row.locator(".minted").inner_text() == data.amount(story.result.mechanisms[name].total_minted())
        assert row.locator(".state").inner_text() == State.label(programme.state())
    page.close()
    page, problems = _open(browser, server + "/budget")
    page.wait_for_selector("#supply .main-svg")  # plotly drew the charts from its local script
    assert page.locator("#rates .main-svg").count() > 0 and problems == []
    page.close()


def test_drill_down_from_programme_to_mint_provenance(story, server, browser):
    page, problems = _open(browser, server + "/")
    page.get_by_role("link", name="builders-stream").click()
    page.wait_for_selector("#epochs")
    assert "TPP-1" in page.locator("#epochs").inner_text() and "TPP-2" in page.locator("#epochs").inner_text()
    page.locator("#mints a").first.click()
    page.wait_for_selector("#mint")
    text = page.locator("main").inner_text()
    assert "votes: for" in text and "GAP parameters in force" in text and "traced" in text
    assert problems == []
    page.close()


def test_hostile_description_is_shown_as_text(story, server, browser):
    page, problems = _open(browser, server + f"/programme/{story.hostile.address}")
    page.locator("#mints a").first.click()
    page.wait_for_selector("pre.description")
    assert (
        page.locator("pre.description").inner_text() == HOSTILE.replace("\x1b", "").strip()
        or "<script>" in page.locator("pre.description").inner_text()
    )
    assert page.evaluate("window.__pwned") is None  # neither the script nor the onerror ran
    assert page.locator("main img").count() == 0
    assert problems == []
    page.close()


def test_downloads_and_read_only(story):
    client = TestClient(create_app(story.path))
    csv = client.get("/download/mints.csv")
    assert csv.status_code == 200 and csv.text.count("\n") == len(IndexData.load(story.path).mints) + 1
    assert client.get("/download/logs.parquet").content[:4] == b"PAR1"
    assert client.get("/download/nothing.csv").status_code == 404
    assert client.post("/").status_code == 405  # nothing writes
    before = story.path.stat().st_mtime_ns
    client.get("/")
    assert story.path.stat().st_mtime_ns == before


def test_the_dashboard_follows_the_index_as_it_grows(story, tmp_path):
    """What `tpp index --follow` does to a served index: a new committed batch (here the
    cursor moved by a writer) is what the next request reads."""
    import sqlite3

    copy = tmp_path / "follow.sqlite"
    source = sqlite3.connect(story.path)
    target = sqlite3.connect(copy)
    source.backup(target)
    source.close()
    client = TestClient(create_app(copy))
    before = client.get("/api/cursor").json()["cursor"]
    target.execute("UPDATE cursor SET block = block + 5 WHERE id = 1")
    target.commit()
    target.close()
    assert client.get("/api/cursor").json()["cursor"] == before + 5
    assert f'data-cursor="{before + 5}"' in client.get("/").text
