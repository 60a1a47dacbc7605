"""Shared fixtures: an in-process Messages-API emulator and the real SDK provider pointed at it.

`emulator`: a started `Emulator` on 127.0.0.1 with a random port, an empty `CassetteStore`
(`emulator.cassettes.add(...)`) and no faults (`emulator.set_faults(FaultPlan(...))`); stopped after
the test. `provider`: an `AnthropicProvider` for it (async fixture: use in `pytest.mark.anyio` tests).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from harness.emulator import Emulator
from harness.providers.anthropic import AnthropicProvider


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator() as emu:
        yield emu


@pytest.fixture
async def provider(emulator: Emulator) -> AsyncIterator[AnthropicProvider]:
    async with AnthropicProvider(api_key=emulator.api_key, base_url=emulator.base_url, timeout_s=5) as client:
        yield client
