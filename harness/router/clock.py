"""Time as a dependency: the router sleeps and reads time only through a `Clock`.

Backoff waits and breaker cool-downs must be testable without real sleeping, and an asyncio
router must never block its event loop, so nothing here calls `time.sleep`.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """Real time: `time.monotonic` and `asyncio.sleep`."""

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class FakeClock:
    """Test clock: sleeps return at once, are recorded, and move the clock forward.

    `monotonic()` is real elapsed time plus every fake jump, so measured latencies stay real
    while waits and cool-downs can be skipped (`advance`) deterministically.
    """

    def __init__(self) -> None:
        self.sleeps: list[float] = []
        self._offset = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self._offset

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self._offset += max(seconds, 0.0)
        await asyncio.sleep(0)  # still a suspension point, as a real sleep would be

    def advance(self, seconds: float) -> None:
        self._offset += seconds
