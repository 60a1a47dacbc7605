"""Format dispatch and `write_all`: what `harness run` and `harness report` call."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal, get_args

from harness.results import RunResults
from reports.history import HistoryPoint
from reports.html import render_html
from reports.junit import render_junit
from reports.markdown import render_markdown

Format = Literal["html", "md", "junit", "json"]
FORMATS: tuple[Format, ...] = get_args(Format)
FILE_NAMES: dict[Format, str] = {"html": "report.html", "md": "summary.md", "junit": "junit.xml",
                                 "json": "results.json"}


def render_json(results: RunResults) -> str:
    """results.json itself, re-serialised (same schema, so any reader of results.json reads it)."""
    return results.model_dump_json(indent=2) + "\n"


def render(results: RunResults, fmt: Format, history: Sequence[HistoryPoint] = ()) -> str:
    """One report as text; only the HTML report uses history."""
    if fmt == "html":
        return render_html(results, history)
    if fmt == "md":
        return render_markdown(results)
    if fmt == "junit":
        return render_junit(results)
    return render_json(results)


def write_all(results: RunResults, out_dir: Path, history: Sequence[HistoryPoint] = ()) -> dict[Format, Path]:
    """Write every format into `out_dir` under FILE_NAMES; returns where each went."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[Format, Path] = {}
    for fmt in FORMATS:
        path = out_dir / FILE_NAMES[fmt]
        path.write_text(render(results, fmt, history), encoding="utf-8")
        written[fmt] = path
    return written
