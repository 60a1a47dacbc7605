"""A measured all-premium baseline: a sample of the run's tasks sent straight to the premium model.

The re-priced baseline is an estimate (premium would write other token counts); `--shadow N`
pays for N premium answers to measure it. The shadow is its own telemetry run (`RUN_ID-shadow`),
so its spend is recorded but never mixed into the cascade's cost or success figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from harness.models.pricing import ZERO, usd_float
from harness.results import MeasuredBaseline
from harness.router.policy import FallbackPolicy
from harness.runner.engine import Trial
from harness.telemetry.records import RunRecord
from harness.telemetry.store import TelemetryStore

SHADOW_SUFFIX = "-shadow"


def shadow_sample(trials: Sequence[Trial], size: int) -> list[Trial]:
    """First trials of as many different scenarios as possible, in a stable order."""
    return sorted(trials, key=lambda t: (t.number, t.scenario.id))[:size]


def shadow_policy(policy: FallbackPolicy) -> FallbackPolicy:
    """The policy's premium step alone, for every task type."""
    return policy.model_copy(update={"name": f"{policy.name}{SHADOW_SUFFIX}", "steps": policy.steps[-1:],
                                     "overrides": {}})


def shadow_record(run: RunRecord) -> RunRecord:
    return run.model_copy(update={
        "run_id": f"{run.run_id}{SHADOW_SUFFIX}", "policy": f"{run.policy}{SHADOW_SUFFIX}",
        "policy_chain": (run.baseline_model,), "config": {"shadow_of": run.run_id}})


def measured_baseline(store: TelemetryStore, run: RunRecord) -> MeasuredBaseline | None:
    """Premium-only cost against the cascade's cost on the same tasks; None without a shadow run."""
    shadow_id = f"{run.run_id}{SHADOW_SUFFIX}"
    if not store.query("SELECT 1 FROM runs WHERE run_id = ?", (shadow_id,)):
        return None
    cascade = {t.task_key: t.cost_usd for t in store.tasks_for_run(run.run_id)}
    same = [t for t in store.tasks_for_run(shadow_id) if t.task_key in cascade]
    if not same:
        return None
    premium: Decimal = sum((t.cost_usd for t in same), ZERO)
    return MeasuredBaseline(model=run.baseline_model, tasks=len(same), cost_usd=usd_float(premium),
                            cascade_cost_usd_same_tasks=usd_float(sum((cascade[t.task_key] for t in same), ZERO)))
