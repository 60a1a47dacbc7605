"""The all-premium estimate, hand-computed: Sonnet 4.6 $3/$15, Haiku 4.5 $1/$5, Opus 4.6 $5/$25 per MTok."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from harness.models import Usage, load_registry
from harness.results import Outcome
from harness.router.attempt import Attempt, TaskResult
from harness.runner.engine import baseline_estimate

REGISTRY = load_registry()
OPUS, SONNET, HAIKU = "claude-opus-4-6", "claude-sonnet-4-6", "claude-haiku-4-5"
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def call(step: int, model: str, outcome: Outcome, tokens_in: int, tokens_out: int, repair: bool = False) -> Attempt:
    usage = Usage(input_tokens=tokens_in, output_tokens=tokens_out)
    return Attempt(task_id="t", task_type="x", step=step, model_requested=model, model_reported=model, usage=usage,
                   cost_usd=REGISTRY.cost(model, usage), outcome=outcome, repair=repair, started_at=NOW,
                   finished_at=NOW)


def task(*attempts: Attempt) -> TaskResult:
    return TaskResult(task_id="t", task_type="x", passed=True, fallback_used=False, escalation_path=[],
                      escalation_reasons=[], attempts=list(attempts),
                      cost_usd=sum((a.cost_usd for a in attempts), Decimal(0)), latency_s=0.0)


@pytest.mark.parametrize(("attempts", "expected"), [
    # Sonnet accepted at once: its 1000 in / 500 out at Opus prices = 0.005 + 0.0125.
    ([call(0, SONNET, "accepted", 1000, 500)], "0.0175"),
    # Sonnet rejected, then repaired: only the first answer counts as "what Opus would have done".
    ([call(0, SONNET, "rejected", 1000, 500), call(0, SONNET, "accepted", 1600, 400, repair=True)], "0.0175"),
    # Escalated: Opus's own call as billed (1000 in / 600 out = 0.005 + 0.015); Sonnet's calls are cascade cost.
    ([call(0, SONNET, "rejected", 1000, 500), call(0, SONNET, "rejected", 1600, 500, repair=True),
      call(1, OPUS, "accepted", 1000, 600)], "0.02"),
    # Three tiers, settled on Sonnet: Sonnet's first answer re-priced (1000 in / 400 out = 0.005 + 0.01);
    # Haiku's rejected call is not a premium cost.
    ([call(0, HAIKU, "rejected", 1000, 500), call(1, SONNET, "accepted", 1000, 400)], "0.015"),
    # An LLM-judge call would be made either way: 2000 in / 100 out on Opus = 0.01 + 0.0025, as billed.
    ([call(0, SONNET, "judge", 2000, 100), call(0, SONNET, "accepted", 1000, 500)], "0.0175"),
])
def test_baseline_estimate(attempts: list[Attempt], expected: str) -> None:
    assert baseline_estimate(task(*attempts), OPUS, REGISTRY) == Decimal(expected) + sum(
        (a.cost_usd for a in attempts if a.outcome == "judge"), Decimal(0))


def test_no_answered_call_estimates_nothing() -> None:
    failed = Attempt(task_id="t", task_type="x", step=0, model_requested=SONNET, outcome="error",
                     error_kind="overloaded", started_at=NOW, finished_at=NOW)
    assert baseline_estimate(task(failed), OPUS, REGISTRY) == Decimal(0)
