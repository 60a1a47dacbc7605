"""`harness report` and `write_all`: every format, default file names, stdout, no clobbering."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harness.cli import main
from harness.results import RunResults, load_results
from reports import FILE_NAMES, HistoryPoint, write_all

WriteResults = Callable[[RunResults], Path]


@pytest.mark.parametrize(("fmt", "marker"), [("html", "<!DOCTYPE html>"), ("md", "## Harness:"),
                                             ("junit", "<testsuites"), ("json", '"schema_version": 1')])
def test_report_writes_next_to_results(write_results: WriteResults, results: RunResults, fmt: str,
                                       marker: str, tmp_path: Path) -> None:
    path = write_results(results)
    out = path.parent / FILE_NAMES[fmt]  # type: ignore[index]
    if fmt == "json":  # the default would be the input itself: refused, so write elsewhere
        assert main(["report", str(path), "--format", fmt]) == 2
        out = tmp_path / "copy.json"
        assert main(["report", str(path), "--format", fmt, "--out", str(out)]) == 0
    else:
        assert main(["report", str(path), "--format", fmt]) == 0
    assert marker in out.read_text(encoding="utf-8")


def test_report_to_stdout(write_results: WriteResults, results: RunResults,
                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(write_results(results)), "--format", "md", "--out", "-"]) == 0
    assert capsys.readouterr().out.startswith("## Harness: quick suite")


def test_report_bad_file_exits_2(tmp_path: Path) -> None:
    assert main(["report", str(tmp_path / "nope.json")]) == 2


def test_write_all_round_trips_json(results: RunResults, tmp_path: Path) -> None:
    history = [HistoryPoint("run-1", results.started_at, 0.5, 0.1, 0.2)]
    written = write_all(results, tmp_path / "out", history)
    assert {k: p.name for k, p in written.items()} == FILE_NAMES
    assert load_results(written["json"]) == results
    assert "Trend over recent runs" in written["html"].read_text(encoding="utf-8")
