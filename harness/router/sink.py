"""Where attempts go the moment they complete: telemetry implements `AttemptSink`.

Every attempt (accepted, rejected, failed, skipped, judge) is handed over, never only the
successes, so a fallback rate or cost computed from the sink cannot read better than reality.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from harness.router.attempt import Attempt


@runtime_checkable
class AttemptSink(Protocol):
    async def record(self, attempt: Attempt) -> None: ...


class MemorySink:
    """Keeps attempts in a list, in completion order: for tests and benchmarks."""

    def __init__(self) -> None:
        self.attempts: list[Attempt] = []

    async def record(self, attempt: Attempt) -> None:
        self.attempts.append(attempt)

    def for_task(self, task_id: str) -> list[Attempt]:
        return [a for a in self.attempts if a.task_id == task_id]
