"""`harness analyze`: fallback rate, savings and a per-task-type recommendation, from the records.

What is counted:
* live runs only, by default: offline runs (bundled-sample replays, cassette replays, fault-injected
  rehearsals: `runs.offline = 1`) are excluded and counted in `offline_runs_excluded`;
  `include_offline=True` adds them, and the result then says so (`includes_offline_sample_data`);
* cheap-tier figures (cheap-tier success, the price ratio r) only from tasks whose first step was
  a cheaper model than their run's premium baseline (`tasks.first_model != runs.baseline_model`).
  A task routed straight to premium (a policy override) has no cheap-tier data, and a task type
  with only such tasks gets no cascade recommendation.

The break-even rule (../shared/FACTS.md): with r = premium / cheap price ratio, the cascade saves
about 1 - 1/r - e against all-premium, e being the escalation rate; it breaks even when the
cheap tier's success rate is 1/r (Sonnet -> Opus 4.5+: r = 5/3, break-even 60%). A task type whose
cheap-tier success is below 1/r is cheaper sent straight to premium.

Figures and their labels:
* actual cost: every attempt paid for in the window, including attempts of tasks that never
  finished (they count against the savings, never toward success rates);
* all-premium cost is an *estimate*: each finished task's tokens re-priced at premium prices;
* the annual figures are a *projection*: cost per day over the observed window x 365, given only
  when the finished tasks span at least `MIN_PROJECTION_DAYS` (seconds of data say nothing about a year).

Cost of the SQL (1M attempts, see benchmarks/bench_analyze.py): the tasks are read once, grouped by
run (first_model and run_id are in no index of schema v1, so this one is a table scan); the attempts
are summed over their covering index, and when some runs must be left out, only the smaller of the
kept or the left-out runs' attempts is looked up (through the `attempts_run` index) and added or
subtracted. `runs` is small and is read whole.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, PlainSerializer

from harness.models import Registry, usd_float
from harness.models.usage import Usage
from harness.stats import wilson_interval
from harness.telemetry.store import TelemetryStore, from_pusd, from_us, to_us

MIN_TASKS_TO_RECOMMEND = 10
"""Below this many cheap-tier tasks a rate's 95% interval is too wide to route on."""
MIN_PROJECTION_DAYS = 7
"""Below this span of data an annual projection is noise (one 4-second run once projected $21.56 a year)."""
_DAY_US = 86_400 * 1_000_000
_FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

USD = Annotated[Decimal, PlainSerializer(usd_float, return_type=float, when_used="json")]
"""Exact in Python; a JSON number of USD at the boundary, like results.json."""
Action = Literal["premium", "cascade", "too-few-tasks", "no-price-ratio", "premium-only", "routed-to-premium"]
RatioSource = Literal["recorded tokens", "registry list prices"]


class Recommendation(BaseModel):
    action: Action
    text: str


class Figures(BaseModel):
    """Rates over finished tasks, money over every paid attempt; estimates and projections say so.

    Cheap-tier figures count only `cheap_tier_tasks` (first step cheaper than the run's premium baseline);
    `premium_first_tasks` were routed straight to premium and tell nothing about the cheap tier.
    """

    calls: int
    tasks: int
    passed: int
    success_rate: float | None
    success_ci95: tuple[float, float]
    cheap_tier_tasks: int
    premium_first_tasks: int
    cheap_tier_passed: int
    cheap_tier_success_rate: float | None
    cheap_tier_success_ci95: tuple[float, float]
    fallbacks: int
    fallback_rate: float | None
    actual_cost_usd: USD
    unfinished_tasks_cost_usd: USD
    baseline_cost_usd_estimate: USD
    savings_usd_estimate: USD
    savings_pct_estimate: float | None
    cost_exceeds_premium_estimate: bool
    price_ratio: float | None
    price_ratio_source: RatioSource | None
    break_even_cheap_tier_success: float | None
    calls_by_model: dict[str, int]
    answered_by: dict[str, int]
    recommendation: Recommendation


class TaskTypeAnalysis(Figures):
    task_type: str


class Analysis(Figures):
    since: datetime | None
    until: datetime | None
    task_type_filter: str | None
    include_offline: bool
    includes_offline_sample_data: bool
    """True when the figures include offline replays of sample data (only with include_offline)."""
    data_note: str | None
    """What the figures are not: offline replays included, or offline runs left out."""
    window_start: datetime | None
    window_end: datetime | None
    window_days: float
    """Span of the finished tasks counted, first start to last finish."""
    annual_cost_usd_projection: USD | None
    annual_savings_usd_projection: USD | None
    projection_note: str | None
    """Why there is no projection (fewer than MIN_PROJECTION_DAYS of data), else None."""
    runs: int
    offline_runs: int
    offline_runs_excluded: int
    by_task_type: list[TaskTypeAnalysis]

    @property
    def empty(self) -> bool:
        return self.calls == 0 and self.tasks == 0


@dataclass
class _Totals:
    """What the SQL scans return for one task type (or all of them)."""

    tasks: int = 0
    passed: int = 0
    fallbacks: int = 0
    baseline_pusd: int = 0
    cheap_tasks: int = 0
    cheap_passed: int = 0
    cheap_fallbacks: int = 0
    direct_cost_pusd: int = 0
    direct_baseline_pusd: int = 0
    calls: int = 0
    cost_pusd: int = 0
    unfinished_pusd: int = 0
    calls_by_model: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    attempt_rows: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    """Attempts per model, skipped ones included: which models had any attempt at all."""
    answered_by: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    model_pairs: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(first model, baseline model) of the cheap-tier tasks: for a list-price ratio."""
    first_us: int | None = None
    last_us: int | None = None

    def add_time(self, first: int | None, last: int | None) -> None:
        if first is not None:
            self.first_us = first if self.first_us is None else min(self.first_us, first)
        if last is not None:
            self.last_us = last if self.last_us is None else max(self.last_us, last)


@dataclass(frozen=True)
class _Run:
    offline: bool
    baseline_model: str
    started_us: int
    finished_us: int | None


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _registry_ratio(registry: Registry, cheap: str, premium: str) -> float | None:
    """List-price ratio for an even input/output mix, when no cheap-tier-only task has been priced yet."""
    if cheap not in registry or premium not in registry:
        return None
    mix = Usage(input_tokens=1_000_000, output_tokens=1_000_000)
    cheap_cost = registry.cost(cheap, mix)
    return float(registry.cost(premium, mix) / cheap_cost) if cheap_cost else None


def _recommend(subject: str, t: _Totals, ratio: float | None) -> Recommendation:
    """The break-even rule over cheap-tier tasks, refusing to route on a handful of them."""
    if t.tasks and not t.cheap_tasks:
        return Recommendation(action="routed-to-premium", text=f"{subject}: routed straight to premium: "
                              "no cheap-tier data")
    if t.cheap_tasks < MIN_TASKS_TO_RECOMMEND:
        also = f"; {t.tasks - t.cheap_tasks} more routed straight to premium" if t.tasks > t.cheap_tasks else ""
        return Recommendation(action="too-few-tasks",
                              text=f"{subject}: too few tasks (n={t.cheap_tasks}{also}) to recommend")
    if ratio is None:
        return Recommendation(action="no-price-ratio", text=f"{subject}: no price ratio (models not in the "
                              "registry), so the break-even rule cannot be applied")
    if ratio <= 1:
        return Recommendation(action="premium-only", text=f"{subject}: the first step costs as much as premium "
                              "(r <= 1): there is no cascade saving to be had")
    cheap = t.cheap_passed / t.cheap_tasks
    fallback = t.cheap_fallbacks / t.cheap_tasks
    break_even = 1 / ratio
    low, high = wilson_interval(t.cheap_passed, t.cheap_tasks)
    interval = f"95% CI {low:.0%}-{high:.0%}"
    if cheap < break_even:
        doubt = f" ({interval} includes the break-even: confirm with more tasks)" if high >= break_even else ""
        return Recommendation(action="premium", text=f"route {subject} straight to premium: cheap-tier success "
                              f"{cheap:.0%}, below the {break_even:.0%} break-even{doubt}")
    if t.cost_pusd > t.baseline_pusd:
        return Recommendation(action="premium", text=(
            f"route {subject} straight to premium: its measured cascade cost ${from_pusd(t.cost_pusd):.4f} "
            f"exceeds the all-premium estimate ${from_pusd(t.baseline_pusd):.4f} (repairs and retries)"))
    doubt = f" ({interval} includes the break-even: watch it)" if low < break_even else ""
    return Recommendation(action="cascade", text=f"{subject}: fallback rate {fallback:.0%}: keep the cascade "
                          f"(cheap-tier success {cheap:.0%}, break-even {break_even:.0%}){doubt}")


def _ratio(registry: Registry | None, t: _Totals) -> tuple[float | None, RatioSource | None]:
    """r from cheap-tier tasks the cheap tier answered alone (premium estimate / cost), else list prices."""
    if t.direct_cost_pusd > 0 and t.direct_baseline_pusd > 0:
        return t.direct_baseline_pusd / t.direct_cost_pusd, "recorded tokens"
    if registry is None or not t.model_pairs:
        return None, None
    (cheap, premium), _ = t.model_pairs.most_common(1)[0]
    ratio = _registry_ratio(registry, cheap, premium)
    return ratio, "registry list prices" if ratio is not None else None


def _figures(subject: str, t: _Totals, registry: Registry | None) -> dict[str, object]:
    ratio, source = _ratio(registry, t)
    savings = t.baseline_pusd - t.cost_pusd
    return {
        "calls": t.calls, "tasks": t.tasks, "passed": t.passed,
        "success_rate": _rate(t.passed, t.tasks), "success_ci95": wilson_interval(t.passed, t.tasks),
        "cheap_tier_tasks": t.cheap_tasks, "premium_first_tasks": t.tasks - t.cheap_tasks,
        "cheap_tier_passed": t.cheap_passed, "cheap_tier_success_rate": _rate(t.cheap_passed, t.cheap_tasks),
        "cheap_tier_success_ci95": wilson_interval(t.cheap_passed, t.cheap_tasks),
        "fallbacks": t.fallbacks, "fallback_rate": _rate(t.fallbacks, t.tasks),
        "actual_cost_usd": from_pusd(t.cost_pusd), "unfinished_tasks_cost_usd": from_pusd(t.unfinished_pusd),
        "baseline_cost_usd_estimate": from_pusd(t.baseline_pusd), "savings_usd_estimate": from_pusd(savings),
        "savings_pct_estimate": _rate(savings, t.baseline_pusd),
        "cost_exceeds_premium_estimate": t.tasks > 0 and t.cost_pusd > t.baseline_pusd,
        "price_ratio": ratio, "price_ratio_source": source if ratio is not None else None,
        "break_even_cheap_tier_success": 1 / ratio if ratio else None,
        "calls_by_model": dict(sorted(t.calls_by_model.items())),
        "answered_by": dict(sorted(t.answered_by.items(), key=lambda kv: -kv[1])),
        "recommendation": _recommend(subject, t, ratio),
    }


def _span(us: int) -> str:
    """A duration for people: seconds, hours or days, rounded down (6 days 23 hours is not "7.0 days")."""
    seconds = us // 1_000_000
    if seconds < 3600:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    if seconds < 86_400:
        return f"{math.floor(seconds / 360) / 10:.1f} hours"
    return f"{math.floor(seconds / 8640) / 10:.1f} days"


def _in_list(run_ids: Iterable[str]) -> str:
    """One parameter holding many run ids (no limit on SQL variables): `run_id IN (SELECT value FROM json_each(?))`."""
    return json.dumps(sorted(run_ids))


def analyze(store: TelemetryStore, since: datetime | None = None, until: datetime | None = None,
            task_type: str | None = None, registry: Registry | None = None,
            include_offline: bool = False) -> Analysis:
    """Aggregate the store over [since, until) (by start time), optionally one task type.

    Offline runs are left out unless `include_offline`. `registry` supplies list prices for the price
    ratio of task types none of whose cheap-tier tasks the cheap tier settled alone.
    """
    lo, hi = to_us(since or _EPOCH), to_us(until or _FAR_FUTURE)
    where = "started_at_us >= ? AND started_at_us < ?"
    params: list[object] = [lo, hi]
    if task_type is not None:
        where += " AND task_type = ?"
        params.append(task_type)

    runs = {row[0]: _Run(bool(row[1]), row[2], row[3], row[4]) for row in store.query(
        "SELECT run_id, offline, baseline_model, started_at_us, finished_at_us FROM runs")}
    excluded = set() if include_offline else {run_id for run_id, run in runs.items() if run.offline}
    kept = runs.keys() - excluded
    in_window = [run for run in runs.values()
                 if run.started_us < hi and (run.finished_us is None or run.finished_us >= lo)]

    per_type: dict[str, _Totals] = defaultdict(_Totals)
    total = _Totals()
    if kept:
        _read_tasks(store, where, params, runs, kept if excluded else None, per_type, total)
        _read_attempts(store, where, params, kept, excluded, per_type, total)

    by_type = [TaskTypeAnalysis(task_type=kind, **_figures(kind, per_type[kind], registry))
               for kind in sorted(per_type)]
    offline_in = sum(run.offline for run in in_window if not (excluded and run.offline))
    offline_out = sum(run.offline for run in in_window if excluded and run.offline)
    counted = len(in_window) - offline_out
    note = None
    if offline_in:
        note = (f"figures include offline replays of sample data ({offline_in} of {counted} runs): "
                "they are not live measurements")
    elif offline_out and total.tasks == 0 and total.calls == 0:
        note = (f"no live runs in this window ({offline_out} offline run{'s' if offline_out != 1 else ''} "
                "excluded; --include-offline to include them)")
    elif offline_out:
        note = (f"{offline_out} offline run{'s' if offline_out != 1 else ''} (sample replays) excluded; "
                "--include-offline to include them")

    span_us = (total.last_us - total.first_us) if total.first_us is not None and total.last_us is not None else 0
    days = span_us / _DAY_US
    annual_cost = annual_savings = None
    projection_note = None
    if days >= MIN_PROJECTION_DAYS:
        yearly = Decimal(365 * _DAY_US) / Decimal(span_us)
        annual_cost = from_pusd(total.cost_pusd) * yearly
        annual_savings = from_pusd(total.baseline_pusd - total.cost_pusd) * yearly
    else:
        have = _span(span_us) if total.first_us is not None else "no finished tasks"
        projection_note = f"projection needs at least {MIN_PROJECTION_DAYS} days of data (have {have})"
    return Analysis(
        since=since, until=until, task_type_filter=task_type, include_offline=include_offline,
        includes_offline_sample_data=offline_in > 0, data_note=note,
        window_start=from_us(total.first_us) if total.first_us is not None else None,
        window_end=from_us(total.last_us) if total.last_us is not None else None,
        window_days=days, annual_cost_usd_projection=annual_cost, annual_savings_usd_projection=annual_savings,
        projection_note=projection_note, runs=counted, offline_runs=offline_in, offline_runs_excluded=offline_out,
        by_task_type=by_type, **_figures(task_type or "all task types", total, registry))


def _read_tasks(store: TelemetryStore, where: str, params: list[object], runs: dict[str, _Run],
                only: set[str] | None, per_type: dict[str, _Totals], total: _Totals) -> None:
    """Finished tasks, grouped by run so each is judged against its own run's baseline model."""
    sql_where, sql_params = where, list(params)
    if only is not None:
        sql_where += " AND run_id IN (SELECT value FROM json_each(?))"
        sql_params.append(_in_list(only))
    for row in store.query(
            f"""SELECT run_id, task_type, answered_by, first_model, COUNT(*), SUM(passed), SUM(cheap_tier_passed),
                       SUM(fallback_used), SUM(baseline_pusd),
                       SUM(CASE WHEN fallback_used = 0 THEN cost_pusd ELSE 0 END),
                       SUM(CASE WHEN fallback_used = 0 THEN baseline_pusd ELSE 0 END),
                       MIN(started_at_us), MAX(finished_at_us)
                FROM tasks WHERE {sql_where} GROUP BY run_id, task_type, answered_by, first_model""", sql_params):
        (run_id, kind, answered, first_model, n, passed, cheap, fallbacks, baseline, direct_cost, direct_baseline,
         first, last) = row
        run = runs.get(run_id)
        cheap_tier = run is not None and first_model != run.baseline_model
        for t in (per_type[kind], total):
            t.tasks += n
            t.passed += passed
            t.fallbacks += fallbacks
            t.baseline_pusd += baseline
            t.answered_by[answered or "(none)"] += n
            t.add_time(first, last)
            if cheap_tier and run is not None:
                t.cheap_tasks += n
                t.cheap_passed += cheap
                t.cheap_fallbacks += fallbacks
                t.direct_cost_pusd += direct_cost
                t.direct_baseline_pusd += direct_baseline
                t.model_pairs[(first_model, run.baseline_model)] += n


_ATTEMPT_SUMS = "COUNT(*), SUM(outcome != 'skipped'), SUM(cost_pusd)"


def _read_attempts(store: TelemetryStore, where: str, params: list[object], kept: set[str],
                   excluded: set[str], per_type: dict[str, _Totals], total: _Totals) -> None:
    """Every attempt, paid or not. Nothing left out: one scan of the covering index. Else the kept runs'
    attempts, or all minus the left-out runs', whichever looks up fewer rows."""
    group = "GROUP BY task_type, model_requested, state"
    columns = f"task_type, model_requested, state, {_ATTEMPT_SUMS}"
    parts: list[tuple[int, str, list[object]]] = []
    everything = (1, f"SELECT {columns} FROM attempts INDEXED BY attempts_analysis WHERE {where} {group}",
                  params)
    if not excluded:
        parts.append(everything)
    else:
        by_run = "run_id IN (SELECT value FROM json_each(?))"
        count = f"SELECT COUNT(*) FROM attempts INDEXED BY attempts_run WHERE {by_run}"
        n_kept = store.query_one(count, (_in_list(kept),))[0]
        n_excluded = store.query_one(count, (_in_list(excluded),))[0]
        if n_kept <= n_excluded:
            parts.append((1, f"SELECT {columns} FROM attempts WHERE {where} AND {by_run} {group}",
                          [*params, _in_list(kept)]))
        else:
            parts.append(everything)
            parts.append((-1, f"SELECT {columns} FROM attempts WHERE {where} AND {by_run} {group}",
                          [*params, _in_list(excluded)]))
    for sign, sql, sql_params in parts:
        for kind, model, state, rows, calls, cost in store.query(sql, sql_params):
            for t in (per_type[kind], total):
                t.attempt_rows[model] += sign * rows
                t.calls += sign * calls
                t.cost_pusd += sign * cost
                if state != "final":
                    t.unfinished_pusd += sign * cost
                t.calls_by_model[model] += sign * calls
    for t in (*per_type.values(), total):  # a left-out run's task type or model: nothing left of it
        for model in [m for m, rows in t.attempt_rows.items() if rows == 0]:
            del t.calls_by_model[model], t.attempt_rows[model]
    for kind in [k for k, t in per_type.items() if t.tasks == 0 and not t.attempt_rows]:
        del per_type[kind]
