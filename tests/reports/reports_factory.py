"""Realistic RunResults built in Python; aggregates computed the way results.json defines them.

A plain module (not conftest) so tests and the benchmark can import it by a unique name.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from harness.models.usage import Usage
from harness.results import OFFLINE_LABEL, AttemptResult, GroupSummary, RunResults, TaskEntry
from harness.stats import percentile, wilson_interval

SONNET = "claude-sonnet-4-6"
OPUS = "claude-opus-4-6"
PRICES = {SONNET: (3, 15), OPUS: (5, 25)}
XSS_OUTPUT = "<script>alert(1)</script><img src=x onerror=\"window.__xss = 1\"> done"
STARTED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def _cost(model: str, usage: Usage) -> float:
    inp, out = PRICES[model]
    return round((usage.input_tokens * inp + usage.output_tokens * out) / 1_000_000, 9)


def attempt(step: int, outcome: str, reason: str, *, inp: int = 1200, out: int = 400, validator: str | None = None,
            error_kind: str | None = None, latency: float = 1.5, repair: bool = False) -> AttemptResult:
    model = SONNET if step == 0 else OPUS
    usage = Usage(input_tokens=inp, output_tokens=out) if outcome != "error" else Usage()
    return AttemptResult(
        step=step, model_requested=model, model_reported=None if outcome == "error" else f"{model}",
        outcome=outcome, reason=reason, validator=validator, error_kind=error_kind, usage=usage,  # type: ignore[arg-type]
        cost_usd=_cost(model, usage), latency_s=latency, repair=repair)


def task(scenario_id: str, task_type: str, trial: int, attempts: list[AttemptResult], output: str, *,
         error: str | None = None, title: str = "") -> TaskEntry:
    accepted = [a for a in attempts if a.outcome == "accepted"]
    passed = bool(accepted) and error is None
    tokens = sum((a.usage for a in attempts), Usage())
    escalations = [a.reason for a, b in pairwise(attempts) if b.step > a.step]
    return TaskEntry(
        scenario_id=scenario_id, title=title, task_type=task_type, trial=trial, passed=passed,
        fallback_used=any(a.step > 0 for a in attempts),
        answered_by=accepted[-1].model_reported if accepted else None,
        cost_usd=round(sum(a.cost_usd for a in attempts), 9),
        baseline_cost_usd_estimate=_cost(OPUS, tokens),
        latency_s=round(sum(a.latency_s for a in attempts), 3),
        escalation_reasons=escalations, final_reason=attempts[-1].reason, output=output, error=error,
        attempts=attempts)


def _summary(key: str, tasks: Sequence[TaskEntry]) -> GroupSummary:
    answered: dict[str, int] = {}
    for t in tasks:
        if t.answered_by:
            answered[t.answered_by] = answered.get(t.answered_by, 0) + 1
    passed = sum(t.passed for t in tasks)
    cheap_ok = sum(any(a.step == 0 and a.outcome == "accepted" for a in t.attempts) for t in tasks)
    return GroupSummary(
        key=key, tasks=len(tasks), passed=passed, success_rate=passed / len(tasks),
        fallback_rate=sum(t.fallback_used for t in tasks) / len(tasks), cheap_tier_success_rate=cheap_ok / len(tasks),
        actual_cost_usd=round(sum(t.cost_usd for t in tasks), 9),
        baseline_cost_usd_estimate=round(sum(t.baseline_cost_usd_estimate for t in tasks), 9),
        answered_by=answered, escalation_reasons=sorted({r for t in tasks for r in t.escalation_reasons}))


def build_results(tasks: list[TaskEntry], *, offline: bool = True, complete: bool = True,
                  stop_reason: str | None = None, run_id: str = "run-0042", trials: int = 2) -> RunResults:
    """Aggregate `tasks` into a RunResults the way results.json defines each figure."""
    passed = sum(t.passed for t in tasks)
    actual = round(sum(t.cost_usd for t in tasks), 9)
    baseline = round(sum(t.baseline_cost_usd_estimate for t in tasks), 9)
    distribution: dict[str, int] = {}
    for t in tasks:
        if t.answered_by:
            distribution[t.answered_by] = distribution.get(t.answered_by, 0) + 1
    by_type: dict[str, list[TaskEntry]] = {}
    by_scenario: dict[str, list[TaskEntry]] = {}
    for t in tasks:
        by_type.setdefault(t.task_type, []).append(t)
        by_scenario.setdefault(t.scenario_id, []).append(t)
    latencies = [t.latency_s for t in tasks]
    return RunResults(
        run_id=run_id, suite="quick", policy="default", policy_chain=[SONNET, OPUS], offline=offline,
        data_label=OFFLINE_LABEL if offline else "live Anthropic API", started_at=STARTED,
        finished_at=STARTED + timedelta(minutes=3), complete=complete, stop_reason=stop_reason, trials=trials,
        success_rate=passed / len(tasks), success_ci95=wilson_interval(passed, len(tasks)),
        tasks_total=len(tasks), tasks_passed=passed, model_distribution=distribution, actual_cost_usd=actual,
        baseline_model=OPUS, baseline_cost_usd_estimate=baseline, savings_usd_estimate=round(baseline - actual, 9),
        savings_pct=round((baseline - actual) / baseline * 100, 2) if baseline else 0.0,
        fallback_rate=sum(t.fallback_used for t in tasks) / len(tasks),
        latency_p50_s=percentile(latencies, 50), latency_p95_s=percentile(latencies, 95),
        by_task_type=[_summary(k, v) for k, v in by_type.items()],
        by_scenario=[_summary(k, v) for k, v in by_scenario.items()], tasks=tasks)


def sample_tasks() -> list[TaskEntry]:
    """Five scenarios x 2 trials: first-try passes, a repair, escalations, a validator failure, an API error."""
    ok = "accepted"
    return [
        task("gen_parse_duration", "code_generation", 1,
             [attempt(0, ok, "all 12 tests passed", validator="pytest")],
             "def parse_duration(text: str) -> int:\n    ...", title="Parse '1h30m' durations"),
        task("gen_parse_duration", "code_generation", 2,
             [attempt(0, "rejected", "2 of 12 tests failed: test_negative, test_empty", validator="pytest"),
              attempt(0, "rejected", "1 of 12 tests failed: test_empty", validator="pytest", repair=True),
              attempt(1, ok, "all 12 tests passed", validator="pytest", latency=3.2)],
             "def parse_duration(text: str) -> int:\n    return 0", title="Parse '1h30m' durations"),
        task("review_sql_injection", "code_review", 1,
             [attempt(0, ok, "mentions parameterised queries", validator="contains")],
             "Use parameterised queries; never format SQL strings.", title="Spot the SQL injection"),
        task("review_sql_injection", "code_review", 2,
             [attempt(0, ok, "mentions parameterised queries", validator="contains")],
             "The query concatenates user input.", title="Spot the SQL injection"),
        task("refactor_callbacks", "refactoring", 1,
             [attempt(0, "rejected", "3 type errors (missing return type)", validator="mypy"),
              attempt(1, "rejected", "1 type error (incompatible return value)", validator="mypy")],
             "async def fetch(): ...", title="Callbacks to async/await"),
        task("refactor_callbacks", "refactoring", 2,
             [attempt(0, ok, "mypy clean, tests pass", validator="mypy")],
             "async def fetch() -> bytes: ...", title="Callbacks to async/await"),
        task("explain_regex", "explanation", 1,
             [attempt(0, "error", "529 overloaded after 3 retries", error_kind="overloaded"),
              attempt(1, "error", "connection refused", error_kind="connection")],
             "", error="API unreachable: connection refused", title="Explain a regex"),
        task("explain_regex", "explanation", 2,
             [attempt(0, ok, "names every group", validator="judge")],
             "Group 1 matches the year.", title="Explain a regex"),
        task("render_untrusted_html", "code_generation", 1,
             [attempt(0, ok, "contains <script> as asked", validator="contains")],
             XSS_OUTPUT, title="Output with markup"),
        task("render_untrusted_html", "code_generation", 2,
             [attempt(0, ok, "contains <script> as asked", validator="contains")],
             XSS_OUTPUT, title="Output with markup"),
    ]


def large_tasks(count: int) -> list[TaskEntry]:
    """`count` tasks of 10 trials per scenario with long, markup-heavy, non-ASCII outputs and reasons."""
    long_output = ("<td>naïve & “quoted” 数据</td>\n" * 300)[:6000]
    long_reason = "assertion failed: " + "expected <b>1</b> got “2” " * 40
    tasks = []
    for i in range(count):
        chain = ([attempt(0, "accepted", "all tests passed", validator="pytest")] if i % 4 else
                 [attempt(0, "rejected", long_reason, validator="pytest"),
                  attempt(1, "accepted" if i % 8 else "rejected", long_reason, validator="pytest")])
        tasks.append(task(f"scenario_{i // 10:04d}", f"type_{i % 7}", i % 10 + 1, chain, long_output,
                          title="A long-running generated scenario"))
    return tasks
