"""The HTML report as text: self-contained, labelled, escaped, bounded in size."""

from __future__ import annotations

import re

import pytest

from harness.results import OFFLINE_LABEL, RunResults
from reports import HistoryPoint, render_html
from reports.text import TRUNCATED_NOTE
from tests.reports.reports_factory import STARTED, build_results, large_tasks, sample_tasks


def test_headline_banner_and_estimate_labels(results: RunResults) -> None:
    html = render_html(results)
    assert f"OFFLINE: {OFFLINE_LABEL}" in html
    assert "80.0%" in html and "95% interval 49.0% – 94.3%" in html
    assert "$0.1280" in html and "$0.1920" in html and html.count('class="est">estimate<') >= 3
    assert 'name="viewport"' in html
    assert "No history yet" in html
    assert html.count("<details class=\"sc\"") == 5
    assert "<details class=\"sc\" open>" in html  # a scenario with a failure starts open


def test_live_and_incomplete_banners() -> None:
    run = build_results(sample_tasks(), offline=False, complete=False, stop_reason="budget stop: $0.10 spent")
    html = render_html(run)
    assert "LIVE: live Anthropic API" in html and "OFFLINE" not in html
    assert "Run did not complete: budget stop: $0.10 spent" in html


def test_self_contained_no_scripts_no_fetches(results: RunResults) -> None:
    html = render_html(results)
    assert "<script" not in html.lower()
    assert not re.search(r"""<[^>]*\s(?:src|href)\s*=|url\(|@import|https?://""", html, re.IGNORECASE)
    assert "default-src 'none'" in html


def test_untrusted_text_is_escaped(results: RunResults) -> None:
    html = render_html(results)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=" in html
    assert "<img" not in html
    assert "contains &lt;script&gt; as asked" in html  # reasons too


def test_trend_charts_from_history(results: RunResults) -> None:
    history = [HistoryPoint(f"run-{n}", STARTED, 0.5, 0.2, 0.3) for n in range(60)]
    html = render_html(results, history)
    assert "No history yet" not in html
    assert html.count("<polyline") == 3  # success, actual, baseline estimate
    assert "run-59" in html and "run-0042 (2026-11-20)" in html  # current run appended last
    assert "run-10 (" not in html  # only the last 50 runs


@pytest.fixture(scope="module")
def large_html() -> str:
    return render_html(build_results(large_tasks(10_000)))


def test_ten_thousand_tasks_stay_under_20_mb_with_truncation_note(large_html: str) -> None:
    size = len(large_html.encode("utf-8"))
    assert size < 20_000_000, size
    assert TRUNCATED_NOTE in large_html
    assert large_html.count("<details class=\"sc\"") == 1000
    assert large_html.rstrip().endswith("</html>")
