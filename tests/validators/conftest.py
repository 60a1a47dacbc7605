"""Fixtures for the validator tests (the suite runs with --import-mode=importlib: share via fixtures)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

import validators
from validators import CheckContext, Verdict


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


def _check(spec: Mapping[str, Any] | str, output: str, ctx: CheckContext | None = None) -> Verdict:
    return asyncio.run(validators.build(spec).check(output, ctx or CheckContext()))


def _py(code: str) -> str:
    """An answer the way models write it: prose around a fenced Python block."""
    return f"Here is the code:\n\n```python\n{code.strip()}\n```\n\nHope this helps."


@pytest.fixture
def check() -> Callable[..., Verdict]:
    """`check(spec, output, ctx=None)`: build the validator and run it to a verdict."""
    return _check


@pytest.fixture
def py() -> Callable[[str], str]:
    """`py(code)`: wrap code the way models answer, prose around a ```python block."""
    return _py
