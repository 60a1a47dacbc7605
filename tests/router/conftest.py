"""Fixtures for router tests: a fresh emulator per test (parallel-safe), providers closed after."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from harness.emulator import CassetteStore, Emulator, FaultPlan
from harness.models import Registry, load_registry
from tests.router.bench import Bench


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry()


@pytest.fixture
async def bench(registry: Registry, anyio_backend: str) -> AsyncIterator[Bench]:
    store = CassetteStore()
    with Emulator(cassettes=store, faults=FaultPlan()) as emulator:
        bench = Bench(emulator=emulator, store=store, registry=registry)
        yield bench
        for provider in bench.providers:
            await provider.aclose()
