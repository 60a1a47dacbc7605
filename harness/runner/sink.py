"""Bridges the router's attempts into the telemetry store, the moment each one completes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from harness.router.attempt import Attempt
from harness.telemetry.records import AttemptRecord
from harness.telemetry.store import TelemetryStore


def scenario_of(task_key: str) -> str:
    return task_key.rsplit("#", 1)[0]


class StoreSink:
    """The router's AttemptSink for one run: every attempt is committed before the router moves on."""

    def __init__(self, store: TelemetryStore, run_id: str,
                 on_attempt: Callable[[Attempt], None] = lambda _: None) -> None:
        self._store = store
        self._run_id = run_id
        self._on_attempt = on_attempt
        self._seq: defaultdict[str, int] = defaultdict(int)

    async def record(self, attempt: Attempt) -> None:
        seq = self._seq[attempt.task_id]
        self._seq[attempt.task_id] = seq + 1
        await self._store.arecord_attempt(
            AttemptRecord(
                run_id=self._run_id,
                task_key=attempt.task_id,
                seq=seq,
                step=attempt.step,
                model_requested=attempt.model_requested,
                model_reported=attempt.model_reported,
                outcome=attempt.outcome,
                reason=attempt.reason,
                validator=attempt.validator,
                error_kind=attempt.error_kind,
                repair=attempt.repair,
                **attempt.usage.model_dump(),
                cost_usd=attempt.cost_usd,
                latency_s=attempt.latency_s,
                request_id=attempt.request_id,
                escalation_reason=attempt.moved_on,
                scenario_id=scenario_of(attempt.task_id),
                task_type=attempt.task_type,
                started_at=attempt.started_at,
                finished_at=attempt.finished_at,
            )
        )
        self._on_attempt(attempt)
