"""Turn a run's telemetry records into results.json: the store is the single source of truth.

Building results from the store (not from in-memory objects) means results.json and
`harness analyze` can never disagree, and a resumed run's results include the tasks finished
before the interruption.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from harness.models.pricing import ZERO, usd_float
from harness.results import AttemptResult, GroupSummary, MeasuredBaseline, RunResults, TaskEntry
from harness.stats import percentile, wilson_interval
from harness.telemetry.records import RunRecord, StoredAttempt, TaskRecord

OUTPUT_LIMIT = 20_000
"""Characters of each final answer kept in results.json; the full text stays in telemetry."""


def _attempt_result(a: StoredAttempt) -> AttemptResult:
    return AttemptResult(
        step=a.step,
        model_requested=a.model_requested,
        model_reported=a.model_reported,
        outcome=a.outcome,
        reason=a.escalation_reason or a.reason,
        validator=a.validator,
        error_kind=a.error_kind,
        usage=a.usage,
        cost_usd=usd_float(a.cost_usd),
        latency_s=a.latency_s,
        repair=a.repair,
    )


def _task_entry(task: TaskRecord, attempts: Sequence[StoredAttempt], title: str) -> TaskEntry:
    return TaskEntry(
        scenario_id=task.scenario_id,
        title=title,
        task_type=task.task_type,
        trial=task.trial,
        passed=task.passed,
        fallback_used=task.fallback_used,
        answered_by=task.answered_by,
        cost_usd=usd_float(task.cost_usd),
        baseline_cost_usd_estimate=usd_float(task.baseline_cost_usd_estimate),
        latency_s=task.latency_s,
        escalation_reasons=list(task.escalation_reasons),
        final_reason=task.final_reason,
        output=task.output[:OUTPUT_LIMIT],
        output_truncated=len(task.output) > OUTPUT_LIMIT,
        error=task.error,
        attempts=[_attempt_result(a) for a in sorted(attempts, key=lambda a: a.seq)],
    )


def _group(key: str, tasks: Sequence[TaskRecord]) -> GroupSummary:
    n = len(tasks)
    passed = sum(t.passed for t in tasks)
    reasons = sorted({r for t in tasks for r in t.escalation_reasons})
    return GroupSummary(
        key=key,
        tasks=n,
        passed=passed,
        success_rate=passed / n if n else 0.0,
        fallback_rate=sum(t.fallback_used for t in tasks) / n if n else 0.0,
        cheap_tier_success_rate=sum(t.cheap_tier_passed for t in tasks) / n if n else None,
        actual_cost_usd=usd_float(sum((t.cost_usd for t in tasks), ZERO)),
        baseline_cost_usd_estimate=usd_float(sum((t.baseline_cost_usd_estimate for t in tasks), ZERO)),
        answered_by=dict(Counter(t.answered_by for t in tasks if t.passed and t.answered_by)),
        escalation_reasons=reasons,
    )


def _groups(tasks: Iterable[TaskRecord], key: str) -> list[GroupSummary]:
    grouped: defaultdict[str, list[TaskRecord]] = defaultdict(list)
    for task in tasks:
        grouped[getattr(task, key)].append(task)
    return [_group(k, v) for k, v in sorted(grouped.items())]


def summarize(
    run: RunRecord,
    tasks: Sequence[TaskRecord],
    attempts: Sequence[StoredAttempt],
    titles: Mapping[str, str] | None = None,
    measured: MeasuredBaseline | None = None,
) -> RunResults:
    """results.json for a run. Actual cost counts every paid attempt, finished task or not."""
    titles = titles or {}
    by_task: defaultdict[str, list[StoredAttempt]] = defaultdict(list)
    for attempt in attempts:
        if attempt.state == "final":
            by_task[attempt.task_key].append(attempt)
    ordered = sorted(tasks, key=lambda t: (t.scenario_id, t.trial))
    n = len(ordered)
    passed = sum(t.passed for t in ordered)
    actual: Decimal = sum((a.cost_usd for a in attempts), ZERO)
    baseline: Decimal = sum((t.baseline_cost_usd_estimate for t in ordered), ZERO)
    latencies = [t.latency_s for t in ordered]
    return RunResults(
        run_id=run.run_id,
        suite=run.suite,
        policy=run.policy,
        policy_chain=list(run.policy_chain),
        offline=run.offline,
        data_label=run.data_label,
        started_at=run.started_at,
        finished_at=run.finished_at,
        complete=run.status == "complete",
        stop_reason=run.stop_reason,
        trials=run.trials,
        success_rate=passed / n if n else 0.0,
        success_ci95=wilson_interval(passed, n),
        tasks_total=n,
        tasks_passed=passed,
        model_distribution=dict(Counter(t.answered_by for t in ordered if t.passed and t.answered_by)),
        actual_cost_usd=usd_float(actual),
        baseline_model=run.baseline_model,
        baseline_cost_usd_estimate=usd_float(baseline),
        savings_usd_estimate=usd_float(baseline - actual),
        savings_pct=float((baseline - actual) / baseline * 100) if baseline else 0.0,
        measured_baseline=measured,
        fallback_rate=sum(t.fallback_used for t in ordered) / n if n else 0.0,
        latency_p50_s=percentile(latencies, 50),
        latency_p95_s=percentile(latencies, 95),
        by_task_type=_groups(ordered, "task_type"),
        by_scenario=_groups(ordered, "scenario_id"),
        tasks=[_task_entry(t, by_task[t.task_key], titles.get(t.scenario_id, "")) for t in ordered],
    )
