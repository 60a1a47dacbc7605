"""Fixtures of the telemetry tests; the record builders live in telemetry_builders."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.telemetry import TelemetryStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[TelemetryStore]:
    with TelemetryStore(tmp_path / "telemetry.db") as opened:
        yield opened
