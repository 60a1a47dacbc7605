"""Runs scenario trials through one Router, concurrently, recording every task in telemetry.

The run stops early (status `stopped`) only for reasons that no further task can overcome: the
run budget is spent, or the API rejects our credentials / cannot be reached at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from harness.models.pricing import ZERO
from harness.models.registry import Registry
from harness.providers.errors import ErrorKind
from harness.router.attempt import TaskResult
from harness.router.router import BudgetExceeded, FatalRoutingError, Router, RoutingError
from harness.router.task import Task
from harness.scenarios.scenario import Scenario
from harness.telemetry.records import TaskRecord
from harness.telemetry.store import TelemetryStore

UNREACHABLE = {ErrorKind.CONNECTION.value, ErrorKind.TIMEOUT.value}


@dataclass(frozen=True)
class Trial:
    scenario: Scenario
    number: int

    @property
    def key(self) -> str:
        return TaskRecord.key(self.scenario.id, self.number)


def plan_trials(scenarios: Sequence[Scenario], trials: int | None) -> list[Trial]:
    """Every scenario's trials (the scenario's own count unless `trials` overrides it)."""
    return [Trial(s, n) for s in scenarios for n in range(1, (trials or s.trials) + 1)]


def baseline_estimate(result: TaskResult, baseline_model: str, registry: Registry) -> Decimal:
    """What the task would have cost on the premium model alone: an estimate, labelled so.

    Reached premium: its premium calls as billed (measured). Settled by a cheaper step: that step's
    first answer (prompt + output tokens) re-priced at premium, as if premium had answered first
    time; the cheaper tiers' rejected answers and repairs are cascade costs, not premium ones.
    Re-pricing is approximate: premium would have written a different number of tokens (and Opus
    4.7+ counts ~30% more for the same text). LLM-judge calls happen either way: counted as billed.
    """
    premium = registry.get(baseline_model)
    judging = sum((a.cost_usd for a in result.attempts if a.outcome == "judge"), ZERO)
    calls = [a for a in result.attempts if a.model_reported is not None and a.outcome != "judge"]
    on_premium = [a for a in calls if registry.get(a.model_requested).id == premium.id]
    if on_premium:
        return judging + sum((a.cost_usd for a in on_premium), ZERO)
    if not calls:
        return judging
    settled = next((a.step for a in calls if a.outcome == "accepted"), calls[-1].step)
    first_answer = next(a for a in calls if a.step == settled)
    return judging + premium.cost(first_answer.usage)


def _run_stop_reason(exc: RoutingError) -> str | None:
    """Why no further task can succeed, if so: a bad key, the run budget spent, or no API to reach."""
    if isinstance(exc, FatalRoutingError) or (isinstance(exc, BudgetExceeded) and exc.scope == "run"):
        return str(exc)
    calls = [a for a in exc.result.attempts if a.outcome != "skipped"]
    if calls and all(a.outcome == "error" and a.error_kind in UNREACHABLE for a in calls):
        return f"API unreachable: {exc}"
    return None


class SuiteRun:
    """One run's trials: bounded concurrency, a stop flag, one telemetry row per finished trial."""

    def __init__(
        self,
        *,
        router: Router,
        store: TelemetryStore,
        run_id: str,
        baseline_model: str,
        concurrency: int,
        on_task_start: Callable[[Trial], None] = lambda _: None,
        on_task_end: Callable[[Trial, TaskRecord | None], None] = lambda *_: None,
    ) -> None:
        self.router = router
        self.store = store
        self.run_id = run_id
        self.baseline_model = baseline_model
        self._slots = asyncio.Semaphore(concurrency)
        self._on_start = on_task_start
        self._on_end = on_task_end
        self.stop_reason: str | None = None
        self._prompts: dict[str, str] = {}

    def task_for(self, trial: Trial) -> Task:
        s = trial.scenario
        if s.id not in self._prompts:  # rendered once per scenario, not once per trial
            self._prompts[s.id] = s.render_prompt()
        return Task(
            id=trial.key,
            task_type=s.task_type.value,
            system=s.system,
            prompt=self._prompts[s.id],
            validators=s.build_validators(),
            fixtures_dir=s.fixtures,
            max_tokens=s.max_tokens,
            metadata={"scenario": s.id, "trial": trial.number},
        )

    async def run(self, trials: Sequence[Trial]) -> None:
        await asyncio.gather(*(self._run_one(t) for t in trials))

    async def _run_one(self, trial: Trial) -> None:
        async with self._slots:
            if self.stop_reason is not None:
                return
            self._on_start(trial)
            self._on_end(trial, await self.run_trial(trial))

    async def run_trial(self, trial: Trial) -> TaskRecord | None:
        """Route one trial and commit its task row.

        None when the whole run must stop (run budget spent, bad key, API unreachable): the trial is
        left unfinished, its paid attempts kept as abandoned, so `--resume` runs it again.
        """
        started = datetime.now(UTC)
        error: str | None = None
        try:
            result = await self.router.run(self.task_for(trial))
        except RoutingError as exc:
            self.stop_reason = _run_stop_reason(exc)
            if self.stop_reason is not None:
                return None
            result, error = exc.result, str(exc)
        record = self._record(trial, result, error, started)
        await self.store.afinish_task(record)
        return record

    def _record(self, trial: Trial, result: TaskResult, error: str | None, started: datetime) -> TaskRecord:
        """Escalated = called a model past the chain's first step, whether or not it then passed: that is
        the premium spend the economics (saving = 1 - 1/r - e) counts."""
        answered = [a for a in result.attempts if a.model_reported is not None and a.outcome != "judge"]
        first_step, first = self.router.policy.chain_for(trial.scenario.task_type.value, self.router.registry)[0]
        escalated = any(a.step != first_step and a.outcome != "skipped" for a in result.attempts)
        cheap_passed = any(a.outcome == "accepted" and a.step == first_step for a in result.attempts)
        return TaskRecord(
            run_id=self.run_id,
            task_key=trial.key,
            scenario_id=trial.scenario.id,
            task_type=trial.scenario.task_type.value,
            trial=trial.number,
            passed=result.passed,
            fallback_used=escalated,
            cheap_tier_passed=cheap_passed,
            answered_by=result.answered_by or (answered[-1].model_reported if answered else None),
            first_model=first.model_id,
            cost_usd=result.cost_usd,
            baseline_cost_usd_estimate=baseline_estimate(result, self.baseline_model, self.router.registry),
            latency_s=result.latency_s,
            escalation_reasons=tuple(result.escalation_reasons),
            final_reason=result.verdict_reason,
            output=result.text or "",
            error=error,
            started_at=started,
            finished_at=datetime.now(UTC),
        )
