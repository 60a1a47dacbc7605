"""`analyze` on records shaped like a real live run, written the way the runner writes them
(record_attempt per call, finish_task per task), every figure computed by hand.

Policy: Sonnet 4.6 -> Opus 4.6 (baseline Opus 4.6), with an override sending `architecture` straight to Opus.
Prices per million tokens: Sonnet 4.6 $3 in / $15 out, Opus 4.6 $5 in / $25 out.

| task           | calls                                          | cost                     | premium estimate |
| A codegen      | Sonnet 2000/500 accepted                       | 0.0060+0.0075 = 0.0135   | at Opus 0.0225   |
| B codegen      | Sonnet 2000/500 rejected; repair 2600/400 ok   | 0.0135+0.0078+0.0060     | first answer     |
|                |                                                |   = 0.0273               |   at Opus 0.0225 |
| C codegen      | Sonnet 2000/500 rejected; Opus 2000/600 ok     | 0.0135+0.0100+0.0150     | Opus as billed   |
|                |                                                |   = 0.0385               |   0.0250         |
| D architecture | (override) Opus 3000/800 accepted              | 0.0150+0.0200 = 0.0350   | as billed 0.0350 |
Totals: 6 calls, cost 0.1143, estimate 0.1050, savings -0.0093. Cheap tier: A, B, C only (D's first step is
the baseline): 2 of 3 passed; r measured on A and B (settled by Sonnet alone): 0.0450 / 0.0408.
All within 29 seconds: no annual projection.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from harness.models import load_registry
from harness.models.usage import Usage
from harness.telemetry import AttemptRecord, TaskRecord, TelemetryStore, analyze
from tests.telemetry.telemetry_builders import CHEAP, PREMIUM, run_record

REGISTRY = load_registry()
T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _call(store: TelemetryStore, key: str, task_type: str, seq: int, step: int, model: str, tokens: tuple[int, int],
          outcome: str, at: int, *, repair: bool = False, escalation: str | None = None) -> Decimal:
    cost = REGISTRY.cost(model, Usage(input_tokens=tokens[0], output_tokens=tokens[1]))
    store.record_attempt(AttemptRecord(
        run_id="live-1", task_key=key, seq=seq, step=step, model_requested=model, model_reported=model,
        outcome=outcome, reason="ok" if outcome == "accepted" else "json: missing key 'tests'",  # type: ignore[arg-type]
        validator=None if outcome == "accepted" else "json", repair=repair, input_tokens=tokens[0],
        output_tokens=tokens[1], cost_usd=cost, latency_s=2.0, request_id=f"req_{key}_{seq}",
        escalation_reason=escalation, scenario_id=key.split("#")[0], task_type=task_type,
        started_at=T0 + timedelta(seconds=at), finished_at=T0 + timedelta(seconds=at + 2)))
    return cost


def _finish(store: TelemetryStore, key: str, task_type: str, *, cost: Decimal, baseline: Decimal, first: str,
            answered: str, fallback: bool, cheap_ok: bool, start: int, end: int) -> None:
    store.finish_task(TaskRecord(
        run_id="live-1", task_key=key, scenario_id=key.split("#")[0], task_type=task_type, trial=1, passed=True,
        fallback_used=fallback, cheap_tier_passed=cheap_ok, answered_by=answered, first_model=first, cost_usd=cost,
        baseline_cost_usd_estimate=baseline, latency_s=float(end - start),
        escalation_reasons=("rejected by json: missing key 'tests'",) if fallback else (), final_reason="ok",
        output="def f(): ...", started_at=T0 + timedelta(seconds=start), finished_at=T0 + timedelta(seconds=end)))


@pytest.fixture
def real_run(store: TelemetryStore) -> TelemetryStore:
    store.begin_run(run_record("live-1", started_at=T0, policy_chain=(CHEAP, PREMIUM), baseline_model=PREMIUM))
    a = _call(store, "gen-a#1", "codegen", 0, 0, CHEAP, (2000, 500), "accepted", 1)
    _finish(store, "gen-a#1", "codegen", cost=a, baseline=Decimal("0.0225"), first=CHEAP, answered=CHEAP,
            fallback=False, cheap_ok=True, start=1, end=3)
    b = (_call(store, "gen-b#1", "codegen", 0, 0, CHEAP, (2000, 500), "rejected", 4)
         + _call(store, "gen-b#1", "codegen", 1, 0, CHEAP, (2600, 400), "accepted", 7, repair=True))
    _finish(store, "gen-b#1", "codegen", cost=b, baseline=Decimal("0.0225"), first=CHEAP, answered=CHEAP,
            fallback=False, cheap_ok=True, start=4, end=9)
    c = (_call(store, "gen-c#1", "codegen", 0, 0, CHEAP, (2000, 500), "rejected", 10)
         + _call(store, "gen-c#1", "codegen", 1, 1, PREMIUM, (2000, 600), "accepted", 13,
                 escalation="rejected by json: missing key 'tests'"))
    _finish(store, "gen-c#1", "codegen", cost=c, baseline=Decimal("0.025"), first=CHEAP, answered=PREMIUM,
            fallback=True, cheap_ok=False, start=10, end=15)
    d = _call(store, "arch-d#1", "architecture", 0, 0, PREMIUM, (3000, 800), "accepted", 20)
    _finish(store, "arch-d#1", "architecture", cost=d, baseline=d, first=PREMIUM, answered=PREMIUM,
            fallback=False, cheap_ok=True, start=20, end=30)
    store.finish_run("live-1", "complete", finished_at=T0 + timedelta(seconds=31))
    assert (a, b, c, d) == (Decimal("0.0135"), Decimal("0.0273"), Decimal("0.0385"), Decimal("0.035"))
    return store


def test_a_real_run_by_hand(real_run: TelemetryStore) -> None:
    r = analyze(real_run, registry=REGISTRY)
    assert (r.runs, r.offline_runs_excluded, r.data_note) == (1, 0, None)
    assert (r.calls, r.tasks, r.passed, r.fallbacks) == (6, 4, 4, 1)
    assert r.fallback_rate == pytest.approx(1 / 4)
    assert (r.cheap_tier_tasks, r.premium_first_tasks, r.cheap_tier_passed) == (3, 1, 2)
    assert r.cheap_tier_success_rate == pytest.approx(2 / 3)  # not 3/4: D never tried the cheap tier
    assert r.actual_cost_usd == Decimal("0.1143")
    assert r.baseline_cost_usd_estimate == Decimal("0.1050")
    assert r.savings_usd_estimate == Decimal("-0.0093")
    assert r.unfinished_tasks_cost_usd == 0
    assert (r.price_ratio, r.price_ratio_source) == (pytest.approx(0.045 / 0.0408), "recorded tokens")
    assert r.calls_by_model == {CHEAP: 4, PREMIUM: 2}
    assert r.answered_by == {CHEAP: 2, PREMIUM: 2}
    assert r.window_days == pytest.approx(29 / 86_400)
    assert (r.annual_cost_usd_projection, r.annual_savings_usd_projection) == (None, None)
    assert r.projection_note == "projection needs at least 7 days of data (have 29 seconds)"
    assert r.recommendation.text == ("all task types: too few tasks (n=3; 1 more routed straight to premium) "
                                     "to recommend")

    arch, codegen = r.by_task_type  # sorted by name
    assert (codegen.task_type, codegen.calls, codegen.tasks, codegen.cheap_tier_passed) == ("codegen", 5, 3, 2)
    assert (codegen.actual_cost_usd, codegen.baseline_cost_usd_estimate) == (Decimal("0.0793"), Decimal("0.0700"))
    assert codegen.recommendation.text == "codegen: too few tasks (n=3) to recommend"
    assert (arch.task_type, arch.calls, arch.tasks, arch.cheap_tier_tasks) == ("architecture", 1, 1, 0)
    assert (arch.actual_cost_usd, arch.savings_usd_estimate, arch.price_ratio) == (Decimal("0.035"), 0, None)
    assert arch.recommendation.text == "architecture: routed straight to premium: no cheap-tier data"
