"""`analyze` on a hand-built history whose every figure is computed by hand below.

Calls: 1,000 input tokens, $0.003 on Sonnet 4.6 ("c"), $0.005 on Opus 4.6 ("p"); r = 5/3, break-even 60%.
| type      | tasks | chains                          | actual | premium est. | cheap ok | fallbacks |
| codegen   | 20    | 19 x c, 1 x cp                  | 0.065  | 0.100        | 19       | 1         |
| arch      | 20    | 4 x c, 16 x cp (2 fail)         | 0.140  | 0.100        | 4        | 16        |
| tiny      | 3     | 3 x c, + 1 abandoned c          | 0.012  | 0.015        | 3        | 0         |
| costly    | 10    | 7 x c, 3 x ccp                  | 0.054  | 0.050        | 7        | 3         |
| escalated | 10    | 10 x cp (no cheap-only task)    | 0.080  | 0.050        | 0        | 10        |
Window: START to START + 10 days (escalated runs last).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from harness.models import load_registry
from harness.telemetry import Analysis, TelemetryStore, analyze
from tests.telemetry.telemetry_builders import START, add_task, attempt, run_record

REGISTRY = load_registry()


@pytest.fixture
def history(store: TelemetryStore) -> TelemetryStore:
    store.begin_run(run_record("run-1"))
    for n in range(20):
        add_task(store, "run-1", "codegen", n, "cp" if n == 0 else "c", at=START)
        add_task(store, "run-1", "arch", n, "c" if n < 4 else "cp", at=START + timedelta(days=1), passed=n < 18)
    for n in range(3):
        add_task(store, "run-1", "tiny", n, "c", at=START + timedelta(days=2))
    store.record_attempt(attempt("run-1", "tiny-9#1", 0, task_type="tiny", at=START + timedelta(days=2)))
    for n in range(10):
        add_task(store, "run-1", "costly", n, "c" if n < 7 else "ccp", at=START + timedelta(days=3))
    store.finish_run("run-1", "stopped", "budget", finished_at=START + timedelta(days=3))
    store.begin_run(run_record("run-2", started_at=START + timedelta(days=9), offline=False))
    end = START + timedelta(days=10)
    for n in range(10):
        add_task(store, "run-2", "escalated", n, "cp", at=end - timedelta(minutes=1), finished_at=end)
    store.finish_run("run-2", "complete", finished_at=end)
    return store


def _types(result: Analysis) -> dict[str, object]:
    return {t.task_type: t for t in result.by_task_type}


def test_totals(history: TelemetryStore) -> None:
    a = analyze(history, registry=REGISTRY)
    assert (a.calls, a.tasks, a.passed, a.cheap_tier_passed, a.fallbacks) == (97, 63, 61, 33, 30)
    assert a.success_rate == pytest.approx(61 / 63)
    assert a.fallback_rate == pytest.approx(30 / 63)
    assert a.actual_cost_usd == Decimal("0.351")
    assert a.unfinished_tasks_cost_usd == Decimal("0.003")
    assert a.baseline_cost_usd_estimate == Decimal("0.315")
    assert a.savings_usd_estimate == Decimal("-0.036")
    assert a.savings_pct_estimate == pytest.approx(-0.036 / 0.315)
    assert a.calls_by_model == {"claude-opus-4-6": 30, "claude-sonnet-4-6": 67}
    assert a.answered_by == {"claude-sonnet-4-6": 33, "claude-opus-4-6": 28, "(none)": 2}
    assert a.price_ratio == pytest.approx(5 / 3)
    assert a.price_ratio_source == "recorded tokens"
    assert a.window_days == 10
    assert a.annual_cost_usd_projection == Decimal("0.351") / 10 * 365
    assert a.annual_savings_usd_projection == Decimal("-0.036") / 10 * 365
    assert (a.runs, a.offline_runs, a.offline_runs_excluded, a.data_note) == (2, 0, 0, None)
    assert (a.cheap_tier_tasks, a.premium_first_tasks) == (63, 0)
    assert a.projection_note is None


def test_per_task_type_figures_and_recommendations(history: TelemetryStore) -> None:
    t = _types(analyze(history, registry=REGISTRY))
    codegen, arch, tiny, costly, escalated = (t[k] for k in ("codegen", "arch", "tiny", "costly", "escalated"))
    assert (codegen.actual_cost_usd, codegen.baseline_cost_usd_estimate) == (Decimal("0.065"), Decimal("0.100"))
    assert codegen.savings_pct_estimate == pytest.approx(0.35)  # 1 - 1/r - e = 1 - 0.6 - 0.05
    assert codegen.break_even_cheap_tier_success == pytest.approx(0.6)
    assert codegen.recommendation.action == "cascade"
    assert codegen.recommendation.text == ("codegen: fallback rate 5%: keep the cascade "
                                           "(cheap-tier success 95%, break-even 60%)")

    assert arch.savings_pct_estimate == pytest.approx(-0.4)  # 1 - 0.6 - 0.8
    assert arch.cost_exceeds_premium_estimate
    assert arch.cheap_tier_success_ci95 == pytest.approx((0.0807, 0.4160), abs=1e-4)
    assert arch.recommendation.text == ("route arch straight to premium: cheap-tier success 20%, "
                                        "below the 60% break-even")

    assert (tiny.calls, tiny.unfinished_tasks_cost_usd) == (4, Decimal("0.003"))
    assert tiny.recommendation.action == "too-few-tasks"
    assert tiny.recommendation.text == "tiny: too few tasks (n=3) to recommend"

    assert costly.cheap_tier_success_rate == pytest.approx(0.7)
    assert costly.cost_exceeds_premium_estimate
    assert costly.recommendation.text == (
        "route costly straight to premium: its measured cascade cost $0.0540 exceeds the all-premium "
        "estimate $0.0500 (repairs and retries)")

    assert (escalated.price_ratio_source, escalated.price_ratio) == ("registry list prices", pytest.approx(5 / 3))
    assert escalated.recommendation.action == "premium"


def test_a_doubtful_break_even_says_so(store: TelemetryStore) -> None:
    store.begin_run(run_record())
    for n in range(10):  # 5 of 10: below 60%, but the 95% interval reaches above it
        add_task(store, "run-1", "review", n, "c" if n < 5 else "cp", at=START)
    (review,) = analyze(store).by_task_type
    assert review.recommendation.text == ("route review straight to premium: cheap-tier success 50%, below the "
                                          "60% break-even (95% CI 24%-76% includes the break-even: "
                                          "confirm with more tasks)")


def test_filters_by_time_and_task_type(history: TelemetryStore) -> None:
    late = analyze(history, since=START + timedelta(days=5), registry=REGISTRY)
    assert [t.task_type for t in late.by_task_type] == ["escalated"]
    assert (late.tasks, late.calls, late.runs) == (10, 20, 1)
    early = analyze(history, until=START + timedelta(days=1))
    assert [t.task_type for t in early.by_task_type] == ["codegen"]
    arch = analyze(history, task_type="arch")
    assert (arch.task_type_filter, arch.tasks, [t.task_type for t in arch.by_task_type]) == ("arch", 20, ["arch"])
    assert arch.recommendation.text.startswith("route arch straight to premium")


def test_an_empty_store_is_empty(store: TelemetryStore) -> None:
    a = analyze(store)
    assert a.empty
    assert (a.tasks, a.calls, a.success_rate, a.by_task_type, a.window_start) == (0, 0, None, [], None)
    assert a.actual_cost_usd == 0
