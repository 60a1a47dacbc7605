"""Builders for hand-made telemetry: fixed timestamps, prices from the real registry.

A module with its own name (not conftest) so it never collides with another conftest on sys.path.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from harness.telemetry import AttemptRecord, RunRecord, TaskRecord, TelemetryStore

CHEAP, PREMIUM = "claude-sonnet-4-6", "claude-opus-4-6"
START = datetime(2026, 11, 1, tzinfo=UTC)
# 1,000 input tokens: $0.003 on Sonnet 4.6, $0.005 on Opus 4.6.
CHEAP_CALL, PREMIUM_CALL = Decimal("0.003"), Decimal("0.005")


def run_record(run_id: str = "run-1", **overrides: object) -> RunRecord:
    """A live run unless `offline=True` is passed."""
    fields: dict[str, object] = dict(
        run_id=run_id, suite="quick", policy="default", policy_chain=(CHEAP, PREMIUM), baseline_model=PREMIUM,
        offline=False, data_label="live API", started_at=START)
    return RunRecord(**(fields | overrides))  # type: ignore[arg-type]


def attempt(run_id: str, task_key: str, seq: int, *, step: int = 0, model: str = CHEAP,
            outcome: str = "accepted", cost: Decimal = CHEAP_CALL, task_type: str = "codegen",
            at: datetime = START, **overrides: object) -> AttemptRecord:
    fields: dict[str, object] = dict(
        run_id=run_id, task_key=task_key, seq=seq, step=step, model_requested=model, model_reported=model,
        outcome=outcome, reason="ok" if outcome == "accepted" else outcome, input_tokens=1000, cost_usd=cost,
        latency_s=1.0, scenario_id=task_key.split("#")[0], task_type=task_type, started_at=at,
        finished_at=at + timedelta(seconds=1))
    return AttemptRecord(**(fields | overrides))  # type: ignore[arg-type]


def add_task(store: TelemetryStore, run_id: str, task_type: str, n: int, calls: Sequence[str], *,
             at: datetime, passed: bool = True, finished_at: datetime | None = None,
             first_model: str = CHEAP) -> TaskRecord:
    """One finished task whose attempts are `calls`: "c" a cheap call, "p" a premium call (the last one answers).

    The baseline re-prices the answering step's tokens at premium (cheap-only task: all its calls).
    `first_model=PREMIUM` with calls "p" makes a task a policy override sent straight to premium.
    """
    key = TaskRecord.key(f"{task_type}-{n}", 1)
    cost = Decimal(0)
    for seq, call in enumerate(calls):
        last = seq == len(calls) - 1
        premium = call == "p"
        override = first_model == PREMIUM  # the policy's first step is premium: step 0
        price = PREMIUM_CALL if premium else CHEAP_CALL
        cost += price
        store.record_attempt(attempt(
            run_id, key, seq, step=int(premium and not override), model=PREMIUM if premium else CHEAP, cost=price,
            outcome="accepted" if last and passed else "rejected", task_type=task_type, at=at,
            repair=seq > 0 and calls[seq - 1] == call))
    fallback = "p" in calls and first_model != PREMIUM
    baseline = PREMIUM_CALL * (calls.count("p") if "p" in calls else len(calls))
    task = TaskRecord(
        run_id=run_id, task_key=key, scenario_id=f"{task_type}-{n}", task_type=task_type, trial=1, passed=passed,
        fallback_used=fallback, cheap_tier_passed=passed and not fallback,
        answered_by=(PREMIUM if calls[-1] == "p" else CHEAP) if passed else None, first_model=first_model,
        cost_usd=cost,
        baseline_cost_usd_estimate=baseline, latency_s=float(len(calls)),
        escalation_reasons=("rejected: json",) if fallback else (), final_reason="ok", output="answer",
        started_at=at, finished_at=finished_at or at + timedelta(seconds=len(calls)))
    store.finish_task(task)
    return task
