"""One place that wires a backend, a policy and the telemetry store into a Router."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from decimal import Decimal

from harness.models.registry import Registry
from harness.providers.anthropic import AnthropicProvider
from harness.providers.base import Provider
from harness.providers.limits import ModelConcurrencyLimit
from harness.router.attempt import Attempt
from harness.router.clock import Clock, SystemClock
from harness.router.policy import FallbackPolicy
from harness.router.router import Router
from harness.runner.backend import Backend
from harness.runner.recording import RecordingProvider
from harness.runner.sink import StoreSink
from harness.telemetry.store import TelemetryStore


@asynccontextmanager
async def open_router(
    backend: Backend,
    policy: FallbackPolicy,
    registry: Registry,
    store: TelemetryStore,
    run_id: str,
    *,
    per_model: int = 8,
    clock: Clock | None = None,
    on_attempt: Callable[[Attempt], None] = lambda _: None,
    already_spent: Decimal = Decimal(0),
) -> AsyncIterator[Router]:
    """A Router whose every attempt lands in the store; the HTTP client closes on exit."""
    async with AnthropicProvider(api_key=backend.api_key, base_url=backend.base_url) as live:
        provider: Provider = live
        if backend.record_dir is not None:
            provider = RecordingProvider(provider, backend.record_dir)
        yield Router(policy, {"anthropic": ModelConcurrencyLimit(provider, per_model)}, registry,
                     sink=StoreSink(store, run_id, on_attempt=on_attempt), clock=clock or SystemClock(),
                     already_spent=already_spent)
