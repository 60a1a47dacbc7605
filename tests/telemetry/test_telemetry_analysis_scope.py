"""What `analyze` counts: live runs only (unless asked), cheap-tier figures only from cascade tasks,
and an annual projection only from a week of data on. Prices as in telemetry_builders: "c" $0.003, "p" $0.005.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from harness.models import load_registry
from harness.telemetry import TelemetryStore, analyze
from tests.telemetry.telemetry_builders import CHEAP, PREMIUM, START, add_task, attempt, run_record

REGISTRY = load_registry()
NO_LIVE = "no live runs in this window (1 offline run excluded; --include-offline to include them)"


def _live_and_offline(store: TelemetryStore, live_tasks: int, offline_tasks: int) -> None:
    """A live run of cheap-only codegen tasks; an offline sample replay of escalated tasks of another type,
    on another model, with an abandoned call: nothing of it may reach the live figures."""
    store.begin_run(run_record("live"))
    for n in range(live_tasks):
        add_task(store, "live", "codegen", n, "c", at=START + timedelta(hours=n))
    store.finish_run("live", "complete", finished_at=START + timedelta(days=1))
    store.begin_run(run_record("sample", offline=True, data_label="offline replay of bundled sample responses"))
    for n in range(offline_tasks):
        add_task(store, "sample", "sample-only", n, "cp", at=START + timedelta(hours=n))
    store.record_attempt(attempt("sample", "sample-only-99#1", 0, model="claude-haiku-4-5", task_type="sample-only",
                                 cost=Decimal("0.001"), at=START))
    store.finish_run("sample", "complete", finished_at=START + timedelta(days=1))


@pytest.mark.parametrize(("live_tasks", "offline_tasks"), [(12, 3), (2, 12)],
                         ids=["offline-subtracted", "live-summed"])  # both ways of leaving runs out
def test_offline_runs_are_left_out_by_default(store: TelemetryStore, live_tasks: int, offline_tasks: int) -> None:
    _live_and_offline(store, live_tasks, offline_tasks)
    a = analyze(store, registry=REGISTRY)
    assert [t.task_type for t in a.by_task_type] == ["codegen"]
    assert (a.tasks, a.calls, a.passed, a.fallbacks, a.cheap_tier_passed) == (live_tasks, live_tasks, live_tasks, 0,
                                                                               live_tasks)
    assert a.actual_cost_usd == Decimal("0.003") * live_tasks
    assert a.unfinished_tasks_cost_usd == 0
    assert a.calls_by_model == {CHEAP: live_tasks}
    assert (a.runs, a.offline_runs, a.offline_runs_excluded) == (1, 0, 1)
    assert (a.include_offline, a.includes_offline_sample_data) == (False, False)
    assert a.data_note == "1 offline run (sample replays) excluded; --include-offline to include them"


def test_include_offline_adds_them_and_says_so(store: TelemetryStore) -> None:
    _live_and_offline(store, 12, 3)
    a = analyze(store, registry=REGISTRY, include_offline=True)
    assert [t.task_type for t in a.by_task_type] == ["codegen", "sample-only"]
    assert (a.tasks, a.calls, a.fallbacks) == (15, 12 + 6 + 1, 3)
    assert a.actual_cost_usd == Decimal("0.036") + Decimal("0.024") + Decimal("0.001")
    assert a.unfinished_tasks_cost_usd == Decimal("0.001")
    assert (a.runs, a.offline_runs, a.offline_runs_excluded, a.includes_offline_sample_data) == (2, 1, 0, True)
    assert a.data_note == ("figures include offline replays of sample data (1 of 2 runs): "
                           "they are not live measurements")


def test_only_offline_data_says_there_is_no_live_run(store: TelemetryStore) -> None:
    _live_and_offline(store, 0, 3)
    a = analyze(store, registry=REGISTRY)
    assert a.empty
    assert (a.tasks, a.calls, a.by_task_type, a.offline_runs_excluded) == (0, 0, [], 1)
    assert a.data_note == NO_LIVE


def test_routed_straight_to_premium_has_no_cheap_tier_data(store: TelemetryStore) -> None:
    """arch: 12 override tasks (first step Opus); review: 10 cascade tasks (6 cheap ok, 4 escalated) and 5
    override ones; the overrides would read as 100% cheap-tier success at r = 1 if they were counted."""
    store.begin_run(run_record())
    for n in range(12):
        add_task(store, "run-1", "arch", n, "p", at=START, first_model=PREMIUM)
    for n in range(10):
        add_task(store, "run-1", "review", n, "c" if n < 6 else "cp", at=START)
    for n in range(10, 15):
        add_task(store, "run-1", "review", n, "p", at=START, first_model=PREMIUM)
    by_type = {t.task_type: t for t in analyze(store, registry=REGISTRY).by_task_type}
    arch, review = by_type["arch"], by_type["review"]
    assert (arch.tasks, arch.cheap_tier_tasks, arch.premium_first_tasks) == (12, 0, 12)
    assert (arch.cheap_tier_success_rate, arch.price_ratio) == (None, None)
    assert arch.recommendation.action == "routed-to-premium"
    assert arch.recommendation.text == "arch: routed straight to premium: no cheap-tier data"
    assert (review.tasks, review.cheap_tier_tasks, review.cheap_tier_passed) == (15, 10, 6)
    assert review.cheap_tier_success_rate == pytest.approx(0.6)  # not 11/15
    assert (review.price_ratio, review.price_ratio_source) == (pytest.approx(5 / 3), "recorded tokens")  # not 1.2
    assert review.recommendation.text == ("review: fallback rate 40%: keep the cascade (cheap-tier success 60%, "
                                          "break-even 60%) (95% CI 31%-83% includes the break-even: watch it)")


def test_cheap_tier_is_judged_against_each_runs_own_baseline(store: TelemetryStore) -> None:
    """An all-Sonnet policy run (baseline Sonnet) says nothing about Sonnet as the cheap tier of Opus."""
    store.begin_run(run_record("cascade"))
    for n in range(10):
        add_task(store, "cascade", "qa", n, "c" if n < 8 else "cp", at=START)
    store.begin_run(run_record("all-sonnet", policy="sonnet-only", policy_chain=(CHEAP,), baseline_model=CHEAP))
    for n in range(10, 20):
        add_task(store, "all-sonnet", "qa", n, "c", at=START)
    (qa,) = analyze(store, registry=REGISTRY).by_task_type
    assert (qa.tasks, qa.cheap_tier_tasks, qa.cheap_tier_passed) == (20, 10, 8)
    assert qa.price_ratio == pytest.approx(5 / 3)


def test_a_list_price_ratio_comes_from_a_cascade_task_not_an_override(store: TelemetryStore) -> None:
    store.begin_run(run_record())
    add_task(store, "run-1", "mixed", 0, "p", at=START, first_model=PREMIUM)  # would give r = 1
    add_task(store, "run-1", "mixed", 1, "cp", at=START)
    (mixed,) = analyze(store, registry=REGISTRY).by_task_type
    assert (mixed.price_ratio, mixed.price_ratio_source) == (pytest.approx(5 / 3), "registry list prices")


@pytest.mark.parametrize(("span", "projected", "note"), [
    (timedelta(seconds=4), False, "projection needs at least 7 days of data (have 4 seconds)"),
    (timedelta(hours=30), False, "projection needs at least 7 days of data (have 1.2 days)"),
    (timedelta(days=6, hours=23), False, "projection needs at least 7 days of data (have 6.9 days)"),
    (timedelta(days=7), True, None),
])
def test_annual_projection_needs_a_week(store: TelemetryStore, span: timedelta, projected: bool,
                                        note: str | None) -> None:
    store.begin_run(run_record())
    add_task(store, "run-1", "codegen", 0, "c", at=START, finished_at=START + span)
    a = analyze(store)
    assert a.window_days == pytest.approx(span / timedelta(days=1))
    assert a.projection_note == note
    if projected:
        assert a.annual_cost_usd_projection == Decimal("0.003") / 7 * 365
        assert a.annual_savings_usd_projection == Decimal("0.002") / 7 * 365
    else:
        assert (a.annual_cost_usd_projection, a.annual_savings_usd_projection) == (None, None)
