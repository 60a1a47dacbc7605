"""The HTML report in a real browser: figures visible, charts drawn, untrusted output inert."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.results import OFFLINE_LABEL, RunResults
from reports import HistoryPoint, render_html
from tests.reports.reports_factory import STARTED

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(),
                       reason="Debian's chromium is not installed: run scripts/install-chromium.sh"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


def _history(results: RunResults) -> list[HistoryPoint]:
    return [HistoryPoint(f"run-00{n}", STARTED.replace(day=10 + n), 0.6 + n / 20, 0.1 + n / 100, 0.19)
            for n in range(1, 5)]


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}],
                         ids=["laptop", "phone"])
def test_report_renders_figures_charts_and_keeps_output_inert(
        browser: object, results: RunResults, tmp_path: Path, viewport: dict[str, int]) -> None:
    page_file = tmp_path / "report.html"
    page_file.write_text(render_html(results, _history(results)), encoding="utf-8")
    page = browser.new_page(viewport=viewport)  # type: ignore[attr-defined]
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(page_file.as_uri())
    page.wait_for_load_state("load")

    assert OFFLINE_LABEL in page.inner_text("#data-banner")
    assert page.is_visible("#data-banner")
    success = page.inner_text("#success")
    assert "80.0%" in success and "49.0% – 94.3%" in success and "8/10" in success
    cost = page.inner_text("#cost")
    assert "$0.1280" in cost and "$0.1920" in cost and "ESTIMATE" in cost.upper()
    assert "33.3%" in page.inner_text("#savings")
    assert "30.0%" in page.inner_text("#fallback")

    charts = page.query_selector_all("figure.chart svg")
    assert len(charts) == 5  # 3 bar charts + 2 trends
    for svg in charts:
        box = svg.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 20
    bars = page.query_selector_all("svg.bars rect")
    assert bars and all((b.bounding_box() or {"width": 0})["width"] > 0 for b in bars)

    page.click("text=render_untrusted_html")  # the scenario passed, so it starts collapsed
    trial = page.locator("details.sc", has_text="render_untrusted_html").locator("details").first
    trial.locator("summary").click()
    out = trial.locator("pre.out")
    assert "<script>alert(1)</script>" in out.inner_text()
    assert "onerror" in out.inner_text() and out.is_visible()
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.evaluate("document.querySelectorAll('script').length") == 0
    assert dialogs == []
    assert requests == [page_file.as_uri()]  # nothing fetched beyond the file itself

    page.screenshot(path=str(tmp_path / f"report-{viewport['width']}.png"), full_page=True)
    assert (tmp_path / f"report-{viewport['width']}.png").stat().st_size > 10_000
    page.close()
