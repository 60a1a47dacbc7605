"""Helpers for the validator tests (a uniquely named module, so test files can import it)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import validators
from validators import CheckContext, Verdict


def check(spec: Mapping[str, Any] | str, output: str, ctx: CheckContext | None = None) -> Verdict:
    return asyncio.run(validators.build(spec).check(output, ctx or CheckContext()))


def py(code: str) -> str:
    """An answer the way models write it: prose around a fenced Python block."""
    return f"Here is the code:\n\n```python\n{code.strip()}\n```\n\nHope this helps."
