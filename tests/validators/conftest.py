"""Fixtures for the validator tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from validators import CheckContext


@pytest.fixture
def fixtures(tmp_path: Path) -> Callable[[dict[str, str]], CheckContext]:
    """Write files into a per-test fixtures folder and return a context pointing at it."""

    def make(files: dict[str, str]) -> CheckContext:
        folder = tmp_path / "fixtures"
        for name, content in files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(content)
        folder.mkdir(exist_ok=True)
        return CheckContext(fixtures_dir=folder)

    return make
