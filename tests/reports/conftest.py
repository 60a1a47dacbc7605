"""Fixtures for the report tests: a realistic run, and a way to put it on disk."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harness.results import RunResults
from tests.reports.reports_factory import build_results, sample_tasks


@pytest.fixture
def results() -> RunResults:
    return build_results(sample_tasks())


@pytest.fixture
def write_results(tmp_path: Path) -> Callable[[RunResults], Path]:
    def write(run: RunResults) -> Path:
        path = tmp_path / "run" / "results.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(run.model_dump_json(indent=2), encoding="utf-8")
        return path

    return write
