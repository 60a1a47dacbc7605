"""`harness analyze`: fallback rate, savings and a per-task-type recommendation, from the records.

Everything is aggregated in SQL (two GROUP BY scans over covering indexes, a few dozen rows back),
so a history of a million attempts is analysed in well under two seconds.

The break-even rule (../shared/FACTS.md): with r = premium / cheap price ratio, the cascade saves
about 1 - 1/r - e against all-premium, e being the escalation rate; it breaks even when the
cheap tier's success rate is 1/r (Sonnet -> Opus 4.5+: r = 5/3, break-even 60%). A task type whose
cheap-tier success is below 1/r is cheaper sent straight to premium.

Figures and their labels:
* actual cost: every attempt paid for in the window, including attempts of tasks that never
  finished (they count against the savings, never toward success rates);
* all-premium cost is an *estimate*: each finished task's tokens re-priced at premium prices;
* the annual figures are a *projection*: cost per day over the observed window x 365.
"""

from __future__ import annotations

from collections import defaultdict
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
"""Below this many finished tasks a rate's 95% interval is too wide to route on."""
_DAY_US = 86_400 * 1_000_000
_FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

USD = Annotated[Decimal, PlainSerializer(usd_float, return_type=float, when_used="json")]
"""Exact in Python; a JSON number of USD at the boundary, like results.json."""
Action = Literal["premium", "cascade", "too-few-tasks", "no-price-ratio", "premium-only"]
RatioSource = Literal["recorded tokens", "registry list prices"]


class Recommendation(BaseModel):
    action: Action
    text: str


class Figures(BaseModel):
    """Rates over finished tasks, money over every paid attempt; estimates and projections say so."""

    calls: int
    tasks: int
    passed: int
    success_rate: float | None
    success_ci95: tuple[float, float]
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
    window_start: datetime | None
    window_end: datetime | None
    window_days: float
    annual_cost_usd_projection: USD
    annual_savings_usd_projection: USD
    runs: int
    offline_runs: int
    by_task_type: list[TaskTypeAnalysis]

    @property
    def empty(self) -> bool:
        return self.calls == 0 and self.tasks == 0


@dataclass
class _Totals:
    """What the two SQL scans return for one task type (or all of them)."""

    tasks: int = 0
    passed: int = 0
    cheap_passed: int = 0
    fallbacks: int = 0
    baseline_pusd: int = 0
    direct_cost_pusd: int = 0
    direct_baseline_pusd: int = 0
    calls: int = 0
    cost_pusd: int = 0
    unfinished_pusd: int = 0
    calls_by_model: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    answered_by: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    first_us: int | None = None
    last_us: int | None = None

    def add_time(self, first: int | None, last: int | None) -> None:
        if first is not None:
            self.first_us = first if self.first_us is None else min(self.first_us, first)
        if last is not None:
            self.last_us = last if self.last_us is None else max(self.last_us, last)


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
    """The break-even rule, refusing to route on a handful of tasks."""
    if t.tasks < MIN_TASKS_TO_RECOMMEND:
        return Recommendation(action="too-few-tasks", text=f"{subject}: too few tasks (n={t.tasks}) to recommend")
    if ratio is None:
        return Recommendation(action="no-price-ratio", text=f"{subject}: no price ratio (models not in the "
                              "registry), so the break-even rule cannot be applied")
    if ratio <= 1:
        return Recommendation(action="premium-only", text=f"{subject}: the first step costs as much as premium "
                              "(r <= 1): there is no cascade saving to be had")
    cheap = t.cheap_passed / t.tasks
    fallback = t.fallbacks / t.tasks
    break_even = 1 / ratio
    low, high = wilson_interval(t.cheap_passed, t.tasks)
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


def _figures(subject: str, t: _Totals, ratio: float | None, source: RatioSource | None) -> dict[str, object]:
    savings = t.baseline_pusd - t.cost_pusd
    return {
        "calls": t.calls, "tasks": t.tasks, "passed": t.passed,
        "success_rate": _rate(t.passed, t.tasks), "success_ci95": wilson_interval(t.passed, t.tasks),
        "cheap_tier_passed": t.cheap_passed, "cheap_tier_success_rate": _rate(t.cheap_passed, t.tasks),
        "cheap_tier_success_ci95": wilson_interval(t.cheap_passed, t.tasks),
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


def analyze(store: TelemetryStore, since: datetime | None = None, until: datetime | None = None,
            task_type: str | None = None, registry: Registry | None = None) -> Analysis:
    """Aggregate the store over [since, until) (by start time), optionally one task type.

    `registry` supplies list prices for the price ratio of task types that have no cheap-tier-only
    task yet; without it such task types get no recommendation.
    """
    where = "started_at_us >= ? AND started_at_us < ?"
    params: list[object] = [to_us(since or _EPOCH), to_us(until or _FAR_FUTURE)]
    if task_type is not None:
        where += " AND task_type = ?"
        params.append(task_type)
    per_type: dict[str, _Totals] = defaultdict(_Totals)
    total = _Totals()

    for row in store.query(
            f"""SELECT task_type, answered_by, COUNT(*), SUM(passed), SUM(cheap_tier_passed), SUM(fallback_used),
                       SUM(baseline_pusd),
                       SUM(CASE WHEN fallback_used = 0 THEN cost_pusd ELSE 0 END),
                       SUM(CASE WHEN fallback_used = 0 THEN baseline_pusd ELSE 0 END),
                       MIN(started_at_us), MAX(finished_at_us)
                FROM tasks INDEXED BY tasks_analysis WHERE {where} GROUP BY task_type, answered_by""", params):
        (kind, answered, n, passed, cheap, fallbacks, baseline, direct_cost, direct_baseline, first, last) = row
        for t in (per_type[kind], total):
            t.tasks += n
            t.passed += passed
            t.cheap_passed += cheap
            t.fallbacks += fallbacks
            t.baseline_pusd += baseline
            t.direct_cost_pusd += direct_cost
            t.direct_baseline_pusd += direct_baseline
            t.answered_by[answered or "(none)"] += n
            t.add_time(first, last)

    for row in store.query(
            f"""SELECT task_type, model_requested, state, SUM(outcome != 'skipped'), SUM(cost_pusd),
                       MIN(started_at_us), MAX(started_at_us)
                FROM attempts INDEXED BY attempts_analysis WHERE {where}
                GROUP BY task_type, model_requested, state""", params):
        kind, model, state, calls, cost, first, last = row
        for t in (per_type[kind], total):
            t.calls += calls
            t.cost_pusd += cost
            if state != "final":
                t.unfinished_pusd += cost
            t.calls_by_model[model] += calls
            t.add_time(first, last)

    by_type = []
    for kind in sorted(per_type):
        ratio, source = _ratio(store, registry, kind, per_type[kind])
        by_type.append(TaskTypeAnalysis(task_type=kind, **_figures(kind, per_type[kind], ratio, source)))
    overall_ratio, overall_source = _ratio(store, registry, task_type, total)

    run_row = store.query_one(
        "SELECT COUNT(*), COALESCE(SUM(offline), 0) FROM runs "
        "WHERE started_at_us < ? AND (finished_at_us IS NULL OR finished_at_us >= ?)", params[1::-1])
    days = 1.0
    if total.first_us is not None and total.last_us is not None:
        days = max(1.0, (total.last_us - total.first_us) / _DAY_US)
    yearly = Decimal(365) / Decimal(repr(days))
    savings = total.baseline_pusd - total.cost_pusd
    return Analysis(
        since=since, until=until, task_type_filter=task_type,
        window_start=from_us(total.first_us) if total.first_us is not None else None,
        window_end=from_us(total.last_us) if total.last_us is not None else None,
        window_days=days,
        annual_cost_usd_projection=from_pusd(total.cost_pusd) * yearly,
        annual_savings_usd_projection=from_pusd(savings) * yearly,
        runs=run_row[0], offline_runs=run_row[1], by_task_type=by_type,
        **_figures(task_type or "all task types", total, overall_ratio, overall_source))


def _ratio(store: TelemetryStore, registry: Registry | None, task_type: str | None,
           t: _Totals) -> tuple[float | None, RatioSource | None]:
    """r from tasks the cheap tier answered alone (their premium estimate / their cost), else list prices."""
    if t.direct_cost_pusd > 0 and t.direct_baseline_pusd > 0:
        return t.direct_baseline_pusd / t.direct_cost_pusd, "recorded tokens"
    if registry is None or task_type is None:
        return None, None
    rows = store.query(
        "SELECT t.first_model, r.baseline_model FROM tasks t JOIN runs r ON r.run_id = t.run_id "
        "WHERE t.task_type = ? LIMIT 1", (task_type,))
    if not rows:
        return None, None
    ratio = _registry_ratio(registry, rows[0][0], rows[0][1])
    return ratio, "registry list prices" if ratio is not None else None
