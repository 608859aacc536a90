"""The report as a reader opens it: report.html in headless Chromium at 1280 px (Debian's chromium and
chromium-driver, driven through selenium). Every image loads, no table is wider than the page, the
Answers are the first section, and the browser logs no error."""

import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from benchmarks.report.render import Heading, Table, Text, to_html
from tests.conftest import ROOT, render, synthetic_runs

PAGE_WIDTH = 1280
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
except ImportError:
    webdriver = None


def browser_missing() -> str | None:
    if CHROMIUM is None or CHROMEDRIVER is None:
        return "Chromium is not installed: apt-get install chromium chromium-driver (.ci/run installs them)"
    if webdriver is None:
        return "selenium is not installed: pip install '.[dev]'"
    return None


MISSING = browser_missing()
# .ci/run installs Chromium and sets BACKPROP_BENCH_REQUIRE_CHROMIUM=1: there these tests fail, never skip.
REQUIRED = os.environ.get("BACKPROP_BENCH_REQUIRE_CHROMIUM") == "1"
pytestmark = pytest.mark.skipif(MISSING is not None and not REQUIRED, reason=MISSING or "")

# What a reader meets, measured with every fold opened: its tables must fit then too.
MEASURE = """
document.querySelectorAll('details').forEach(d => { d.open = true; });
const page = document.documentElement.clientWidth;
return {
  page: page,
  scrolls: document.documentElement.scrollWidth > page,
  wide: Array.from(document.querySelectorAll('table'))
    .filter(t => t.getBoundingClientRect().right > page || t.scrollWidth > t.clientWidth)
    .map(t => (t.rows[0] ? t.rows[0].innerText : '').replace(/\\s+/g, ' ').slice(0, 80)),
  images: document.images.length,
  broken: Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt),
  sections: Array.from(document.querySelectorAll('h2')).map(h => h.textContent),
};
"""


@pytest.fixture(scope="module")
def browser():
    assert MISSING is None, MISSING
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="backprop-bench-chromium-")
    for argument in [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        f"--window-size={PAGE_WIDTH},1000",
        f"--user-data-dir={profile}",
    ]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def opened(browser, page: Path) -> dict:
    """The page's measurements, and the errors the browser logged while loading it."""
    browser.get_log("browser")  # what earlier pages logged
    browser.get(page.resolve().as_uri())
    seen = browser.execute_script(MEASURE)
    seen["errors"] = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    return seen


def assert_readable(seen: dict):
    assert seen["page"] <= PAGE_WIDTH
    assert seen["images"] and not seen["broken"], f"images that did not load: {seen['broken']}"
    assert not seen["wide"], f"tables wider than a {PAGE_WIDTH}-px page: {seen['wide']}"
    assert not seen["scrolls"], "the page scrolls sideways"
    assert seen["sections"][:1] == ["Answers"], seen["sections"]
    assert not seen["errors"], seen["errors"]


def test_the_report_reads_in_a_browser(browser, tmp_path):
    assert_readable(opened(browser, render(tmp_path, synthetic_runs()) / "report.html"))


@pytest.mark.slow
def test_the_sample_runs_read_in_a_browser(browser, tmp_path):
    """The report of docs/report's runs (a real sweep's labels and sizes), as this code writes it."""
    runs = pd.read_parquet(ROOT / "docs" / "report" / "runs.parquet")
    assert_readable(opened(browser, render(tmp_path, runs) / "report.html"))


def test_a_table_too_wide_for_the_page_is_caught(browser, tmp_path):
    words = pd.DataFrame({f"column {i}": ["an_unbreakable_cell_of_forty_characters_"] for i in range(12)})
    page = tmp_path / "wide.html"
    page.write_text(to_html([Heading(2, "Answers"), Text("A table:"), Table(words)], tmp_path, "wide"))
    seen = opened(browser, page)
    assert len(seen["wide"]) == 1 and seen["wide"][0].startswith("column 0 column 1") and seen["scrolls"]


def test_a_broken_image_and_a_script_error_are_caught(browser, tmp_path):
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>t</title></head><body>'
        '<h2>Answers</h2><img alt="missing plot" src="missing.png"><script>undefined_name()</script>'
        "</body></html>"
    )
    seen = opened(browser, page)
    assert seen["broken"] == ["missing plot"]
    assert any("undefined_name" in error for error in seen["errors"])
