"""The Markdown summary: short, labelled, and inert when pasted into GitHub."""

from __future__ import annotations

from harness.results import OFFLINE_LABEL, MeasuredBaseline, RunResults
from reports import render_html, render_markdown
from tests.reports.reports_factory import attempt, build_results, sample_tasks, task


def test_headline_with_labels_failures_and_escalations(results: RunResults) -> None:
    md = render_markdown(results)
    assert f"**Offline:** {OFFLINE_LABEL}" in md
    assert "**80.0%** (95% interval 49.0% – 94.3%; 8/10 tasks)" in md
    assert "| All-premium cost (estimate) | $0.1920" in md and "| Savings (estimate) | $0.0640 (33.3%) |" in md
    assert "### Failures (2)" in md
    assert "- refactor\\_callbacks (trial 1): 1 type error (incompatible return value)" in md
    assert "- explain\\_regex (trial 1): API unreachable: connection refused" in md
    assert "### Escalations (3)" in md
    assert "gen\\_parse\\_duration (trial 2): claude-sonnet-4-6 → claude-opus-4-6: 1 of 12 tests failed" in md


def test_live_incomplete_and_no_failures() -> None:
    passing = [t for t in sample_tasks() if t.passed and not t.fallback_used]
    md = render_markdown(build_results(passing, offline=False, complete=False, stop_reason="API unreachable"))
    assert "Live: live Anthropic API" in md and "Offline" not in md
    assert "**Run did not complete:** API unreachable" in md
    assert "### Failures (0)\nNone." in md and "### Escalations (0)\nNone." in md


def test_untrusted_reasons_cannot_inject_markup_or_break_lines() -> None:
    evil = task("evil", "code_generation", 1,
                [attempt(0, "rejected", "<img src=x onerror=alert(1)> [link](http://x) | cell\n# heading")], "")
    md = render_markdown(build_results([evil]))
    line = next(x for x in md.splitlines() if x.startswith("- evil"))
    assert "\\<img src=x onerror=alert(1)\\>" in line and "\\[link\\](http://x) \\| cell \\# heading" in line


def test_long_lists_are_capped() -> None:
    many = [task(f"s{i}", "t", 1, [attempt(0, "rejected", "no")], "") for i in range(45)]
    md = render_markdown(build_results(many))
    assert "### Failures (45)" in md and "- … and 25 more (see the HTML report)" in md
    assert len(md) < 5_000


def test_a_measured_baseline_is_shown_apart_from_the_estimate() -> None:
    measured = MeasuredBaseline(model="claude-opus-4-6", tasks=3, cost_usd=0.0328,
                                cascade_cost_usd_same_tasks=0.0367)
    results = build_results(sample_tasks()).model_copy(update={"measured_baseline": measured})
    md = render_markdown(results)
    assert "All-premium cost (measured, shadow run) | $0.0328 on claude-opus-4-6 vs $0.0367" in md
    assert "All-premium cost (estimate)" in md
    html = render_html(results)
    assert "Measured baseline (shadow run)" in html and "$0.0328" in html
    assert "shadow run" not in render_markdown(build_results(sample_tasks()))
