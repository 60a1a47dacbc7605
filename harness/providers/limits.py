"""Per-model concurrency caps, so a run with high task concurrency respects each model's rate limit."""

from __future__ import annotations

import asyncio
from collections import defaultdict

from harness.providers.base import Completion, CompletionRequest, Provider


class ModelConcurrencyLimit:
    """Wraps a provider: at most `per_model` calls in flight to any one model id."""

    def __init__(self, inner: Provider, per_model: int) -> None:
        if per_model < 1:
            raise ValueError("per_model must be at least 1")
        self.name = inner.name
        self._inner = inner
        self._slots: defaultdict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(per_model))

    async def complete(self, request: CompletionRequest) -> Completion:
        async with self._slots[request.model]:
            return await self._inner.complete(request)
