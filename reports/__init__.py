"""Reports and gates over a run's results.json: HTML, Markdown, JUnit, JSON, and `harness gate`."""

from reports.gate import GateCheck, GateOutcome, GateThresholds, evaluate
from reports.history import HistoryPoint
from reports.html import render_html
from reports.junit import render_junit
from reports.markdown import render_markdown
from reports.render import FILE_NAMES, FORMATS, Format, render, render_json, write_all

__all__ = [
    "FILE_NAMES",
    "FORMATS",
    "Format",
    "GateCheck",
    "GateOutcome",
    "GateThresholds",
    "HistoryPoint",
    "evaluate",
    "render",
    "render_html",
    "render_json",
    "render_junit",
    "render_markdown",
    "write_all",
]
