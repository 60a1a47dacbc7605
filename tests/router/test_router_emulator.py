"""The router against the emulator: real SDK, real HTTP, faults injected, models seen asserted."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from harness.emulator import FaultPlan
from harness.models import Registry
from harness.providers.base import Completion, CompletionRequest, Message
from harness.router import (
    BreakerBoard,
    BreakerSettings,
    BreakerState,
    BudgetExceeded,
    FatalRoutingError,
    Router,
    RoutingFailed,
    Task,
)
from harness.router.router import REPAIR_PROMPT
from tests.router.bench import CHEAP, PREMIUM, USAGE, Bench, MustContain, fast_policy
from validators import CheckContext, Verdict

pytestmark = pytest.mark.anyio

GOOD = "def add(a, b):\n    return a + b  # GOOD"
BAD = "def add(a, b):\n    return a - b"


def watch(router: Router) -> tuple[list[CompletionRequest], asyncio.Event]:
    """Wraps the router's provider: keeps every request, sets the event when the first call starts."""
    provider = router.providers["anthropic"]
    complete = provider.complete
    requests: list[CompletionRequest] = []
    started = asyncio.Event()

    async def watched(request: CompletionRequest) -> Completion:
        requests.append(request)
        started.set()
        return await complete(request)

    provider.complete = watched  # type: ignore[method-assign]
    return requests, started


def task(prompt: str, **fields: Any) -> Task:
    fields.setdefault("id", prompt[:40])
    return Task(prompt=prompt, validators=[MustContain("GOOD")], max_tokens=1000, **fields)


async def test_cheap_answer_accepted_costs_one_attempt(bench: Bench) -> None:
    bench.answer("p-accept", GOOD, model=CHEAP)
    result = await bench.router().run(task("p-accept"))

    assert bench.models_seen() == [CHEAP]
    assert result.passed and result.text == GOOD and not result.fallback_used
    assert [a.outcome for a in result.attempts] == ["accepted"]
    assert result.answered_by == result.attempts[0].model_reported
    assert result.cost_usd == bench.registry.cost(CHEAP, USAGE) == result.attempts[0].cost_usd
    assert result.escalation_path == [CHEAP] and result.escalation_reasons == []
    assert bench.sink.attempts == result.attempts


async def test_rejected_then_repaired_on_the_same_model(bench: Bench) -> None:
    bench.answer("p-repair", BAD, model=CHEAP)
    bench.answer("p-repair", GOOD, model=CHEAP, turn=2)
    result = await bench.router().run(task("p-repair"))

    assert bench.models_seen() == [CHEAP, CHEAP]
    assert [r.turn for r in bench.emulator.requests] == [1, 2]
    assert [(a.outcome, a.repair) for a in result.attempts] == [("rejected", False), ("accepted", True)]
    assert result.passed and not result.fallback_used
    assert result.cost_usd == 2 * bench.registry.cost(CHEAP, USAGE)


async def test_rejected_twice_escalates_to_premium(bench: Bench) -> None:
    bench.answer("p-escalate", BAD, model=CHEAP)  # turn 2 falls back to this answer too
    bench.answer("p-escalate", GOOD, model=PREMIUM)
    result = await bench.router().run(task("p-escalate"))

    assert bench.models_seen() == [CHEAP, CHEAP, PREMIUM]
    assert [r.turn for r in bench.emulator.requests] == [1, 2, 1]  # premium gets the clean prompt
    assert result.passed and result.fallback_used
    assert result.answered_by is not None and result.answered_by.startswith(PREMIUM)
    assert result.escalation_path == [CHEAP, PREMIUM]
    assert result.escalation_reasons[0].startswith("rejected by contains: the answer does not contain 'GOOD'")
    assert result.attempts[1].moved_on == result.escalation_reasons[0]
    assert result.cost_usd == 2 * bench.registry.cost(CHEAP, USAGE) + bench.registry.cost(PREMIUM, USAGE)
    assert bench.sink.attempts == result.attempts


async def test_repair_turn_carries_the_validator_reason(bench: Bench) -> None:
    bench.answer("p-feedback", BAD, model=CHEAP)
    bench.answer("p-feedback", GOOD, model=CHEAP, turn=2)
    router = bench.router()
    requests, _ = watch(router)
    await router.run(task("p-feedback"))

    repair = requests[1].messages
    assert [m.role for m in repair] == ["user", "assistant", "user"] and repair[1].content == BAD
    assert repair[2].content == REPAIR_PROMPT.format(validator="contains", reason="the answer does not contain 'GOOD'")


async def test_overloaded_twice_then_ok_retries_same_model_with_backoff(bench: Bench) -> None:
    bench.answer("p-529", GOOD, model=CHEAP)
    bench.emulator.set_faults(FaultPlan(script={CHEAP: ["529", "529", "ok"]}))
    result = await bench.router().run(task("p-529"))

    assert bench.models_seen() == [CHEAP, CHEAP, CHEAP]
    assert bench.clock.sleeps == [1.0, 2.0]  # exponential, no jitter, no real sleeping
    assert [a.outcome for a in result.attempts] == ["error", "error", "accepted"]
    assert {a.error_kind for a in result.attempts[:2]} == {"overloaded"}
    assert result.passed and not result.fallback_used
    assert result.cost_usd == bench.registry.cost(CHEAP, USAGE)


async def test_overloaded_past_the_limit_escalates(bench: Bench) -> None:
    bench.answer("p-529x", GOOD, model=PREMIUM)
    bench.emulator.set_faults(FaultPlan(script={CHEAP: ["529", "529", "529"]}))
    result = await bench.router().run(task("p-529x"))

    assert bench.models_seen() == [CHEAP, CHEAP, CHEAP, PREMIUM]
    assert result.fallback_used and result.passed
    assert result.escalation_reasons == [f"overloaded: 3 attempts on {CHEAP}"]
    assert len(bench.clock.sleeps) == 2


async def test_retry_after_is_honoured(bench: Bench) -> None:
    bench.answer("p-429", GOOD, model=CHEAP)
    bench.emulator.set_faults(FaultPlan(script={CHEAP: ["429:2", "ok"]}))
    result = await bench.router(fast_policy(retry={"initial_s": 0.1})).run(task("p-429"))

    assert result.passed and bench.models_seen() == [CHEAP, CHEAP]
    assert bench.clock.sleeps == [2.0]
    assert result.attempts[0].error_kind == "rate_limited"


async def test_bad_key_fails_fast_without_escalation(bench: Bench) -> None:
    secret = "sk-ant-not-the-real-key-4242"
    bench.answer("p-401", GOOD)
    with pytest.raises(FatalRoutingError) as caught:
        await bench.router(api_key=secret).run(task("p-401"))

    message = str(caught.value)
    assert "ANTHROPIC_API_KEY" in message and secret not in message
    assert [r.status for r in bench.emulator.requests] == [401]  # one call, no retry, no escalation
    result = caught.value.result
    assert [a.error_kind for a in result.attempts] == ["authentication"]
    assert secret not in result.model_dump_json() and bench.clock.sleeps == []


async def test_prompt_too_long_for_cheap_window_goes_to_a_step_that_fits(bench: Bench, registry: Registry) -> None:
    small = registry.get("claude-haiku-4-5").model_copy(update={"context_window": 2_000})
    tiny = Registry([small, registry.get(PREMIUM)])
    prompt = "x" * 12_000
    bench.answer(prompt, GOOD, model=PREMIUM)
    policy = fast_policy(steps=({"model": "claude-haiku-4-5"}, {"model": PREMIUM}))
    result = await bench.router(policy, registry=tiny).run(task(prompt, id="long"))

    assert bench.models_seen() == [PREMIUM]
    skipped = result.attempts[0]
    assert (skipped.outcome, skipped.model_requested, skipped.cost_usd) == ("skipped", "claude-haiku-4-5", Decimal(0))
    assert skipped.moved_on is not None and skipped.moved_on.startswith("context too long for claude-haiku-4-5 (est.")
    assert result.passed and result.fallback_used and result.escalation_path == [PREMIUM]


async def test_every_step_failing_raises_with_all_attempts(bench: Bench) -> None:
    bench.answer("p-fail", BAD)
    with pytest.raises(RoutingFailed) as caught:
        await bench.router().run(task("p-fail"))

    result = caught.value.result
    assert bench.models_seen() == [CHEAP, CHEAP, PREMIUM, PREMIUM]
    assert [a.outcome for a in result.attempts] == ["rejected"] * 4
    assert not result.passed and result.answered_by is None and result.text == BAD
    assert len(result.escalation_reasons) == 2 and "rejected by contains" in str(caught.value)
    assert result.cost_usd == 2 * bench.registry.cost(CHEAP, USAGE) + 2 * bench.registry.cost(PREMIUM, USAGE)
    assert bench.sink.attempts == result.attempts


async def test_budget_stops_before_the_call_that_could_exceed_it(bench: Bench) -> None:
    bench.answer("p-budget", BAD)
    # Sonnet's worst case (prompt + 1000 output tokens) fits $0.02; Opus's ($0.025+) does not.
    policy = fast_policy(steps=({"model": CHEAP, "repair_attempts": 0}, {"model": PREMIUM}),
                         task_budget_usd=Decimal("0.02"))
    with pytest.raises(BudgetExceeded) as caught:
        await bench.router(policy).run(task("p-budget"))

    assert bench.models_seen() == [CHEAP]
    assert "task budget of $0.0200 would be exceeded" in str(caught.value)
    assert caught.value.scope == "task"
    assert PREMIUM in str(caught.value) and "stopped before calling it" in str(caught.value)
    assert [a.outcome for a in caught.value.result.attempts] == ["rejected"]


async def test_run_budget_is_shared_by_tasks(bench: Bench) -> None:
    bench.answer("p-run-1", GOOD)
    bench.answer("p-run-2", GOOD)
    router = bench.router(fast_policy(run_budget_usd=Decimal("0.0155")))
    await router.run(task("p-run-1"))
    with pytest.raises(BudgetExceeded, match="run budget") as caught:
        await router.run(task("p-run-2"))
    assert caught.value.scope == "run"
    assert bench.models_seen() == [CHEAP]
    assert router.spent_usd == bench.registry.cost(CHEAP, USAGE)


async def test_breaker_opens_skips_and_half_opens_after_cool_down(bench: Bench) -> None:
    for prompt in ("p-br-1", "p-br-2", "p-br-3"):
        bench.answer(prompt, GOOD)
    bench.emulator.set_faults(FaultPlan(script={CHEAP: ["529", "529"]}))
    policy = fast_policy(steps=({"model": CHEAP, "max_attempts": 5}, {"model": PREMIUM}),
                         breaker=BreakerSettings(failure_threshold=2, cooldown_s=60))
    router = bench.router(policy)

    first = await router.run(task("p-br-1"))
    assert first.escalation_reasons == [f"overloaded: circuit opened for {CHEAP} after this failure"]
    assert router.breakers.state(CHEAP) is BreakerState.OPEN

    second = await router.run(task("p-br-2"))
    assert second.attempts[0].outcome == "skipped" and second.attempts[0].reason.startswith("circuit open")
    assert bench.models_seen() == [CHEAP, CHEAP, PREMIUM, PREMIUM]  # no call to the open model

    bench.clock.advance(61)
    assert router.breakers.state(CHEAP) is BreakerState.HALF_OPEN
    third = await router.run(task("p-br-3"))
    assert third.answered_by == CHEAP and not third.fallback_used
    assert router.breakers.state(CHEAP) is BreakerState.CLOSED


async def test_breaker_board_is_shared_between_routers(bench: Bench) -> None:
    board = BreakerBoard(BreakerSettings(failure_threshold=1, cooldown_s=60), bench.clock)
    bench.answer("p-shared", GOOD)
    bench.emulator.set_faults(FaultPlan(script={CHEAP: ["503"]}))
    await bench.router(breakers=board).run(task("p-shared"))
    other = await bench.router(breakers=board).run(task("p-shared"))
    assert other.attempts[0].outcome == "skipped"


async def test_many_concurrent_tasks_on_one_router(bench: Bench) -> None:
    prompts = [f"p-many-{i}" for i in range(24)]
    for i, prompt in enumerate(prompts):
        bench.answer(prompt, GOOD if i % 3 else BAD, model=CHEAP)
        bench.answer(prompt, GOOD, model=PREMIUM)
    router = bench.router()
    results = await asyncio.gather(*(router.run(task(p)) for p in prompts))

    assert all(r.passed for r in results)
    escalated = {r.task_id for r in results if r.fallback_used}
    assert escalated == {p for i, p in enumerate(prompts) if i % 3 == 0}
    assert bench.models_seen().count(PREMIUM) == len(escalated)
    assert len(bench.sink.attempts) == sum(len(r.attempts) for r in results) == len(bench.emulator.requests)
    assert router.spent_usd == sum((r.cost_usd for r in results), Decimal(0))


async def test_reported_model_is_the_truth_for_pricing(bench: Bench) -> None:
    bench.answer("p-mismatch", GOOD, model=CHEAP, model_reported=PREMIUM)
    result = await bench.router().run(task("p-mismatch"))

    attempt = result.attempts[0]
    assert attempt.model_requested == CHEAP and attempt.model_reported == PREMIUM and attempt.model_mismatch
    assert attempt.cost_usd == bench.registry.cost(PREMIUM, USAGE)
    assert result.answered_by == PREMIUM


async def test_judge_calls_are_priced_recorded_and_counted(bench: Bench) -> None:
    class AskJudge:
        name = "judge"

        async def check(self, output: str, ctx: CheckContext) -> Verdict:
            assert ctx.judge is not None and ctx.judge_model is not None
            reply = await ctx.judge(CompletionRequest(model=ctx.judge_model, max_tokens=100,
                                                      messages=(Message(role="user", content="p-judge-q"),)))
            return Verdict(passed="PASS" in reply.text, reason=reply.text, validator=self.name)

    bench.answer("p-judge", GOOD, model=CHEAP)
    bench.answer("p-judge-q", "PASS", model=PREMIUM)
    result = await bench.router().run(Task(id="j", prompt="p-judge", validators=[AskJudge()], max_tokens=1000))

    assert bench.models_seen() == [CHEAP, PREMIUM]
    assert [a.outcome for a in result.attempts] == ["judge", "accepted"]
    assert result.cost_usd == bench.registry.cost(CHEAP, USAGE) + bench.registry.cost(PREMIUM, USAGE)
    assert result.passed and not result.fallback_used and result.answered_by == CHEAP


async def test_cancelled_call_leaves_no_attempt(bench: Bench) -> None:
    bench.answer("p-cancel", GOOD)
    bench.emulator.set_faults(FaultPlan(script={CHEAP: ["hang"]}, hang_s=3))
    router = bench.router()
    _, started = watch(router)
    running = asyncio.ensure_future(router.run(task("p-cancel")))
    await started.wait()
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert bench.sink.attempts == []


async def test_streamed_answers_take_the_same_path(bench: Bench) -> None:
    bench.answer("p-stream", GOOD, model=CHEAP)
    result = await bench.router().run(task("p-stream", stream=True))
    assert result.passed and [(r.model, r.stream) for r in bench.emulator.requests] == [(CHEAP, True)]


async def test_task_type_override_starts_at_premium(bench: Bench) -> None:
    bench.answer("p-arch", GOOD, model=PREMIUM)
    policy = fast_policy(overrides={"architecture_analysis": {"start_at": "premium"}})
    result = await bench.router(policy).run(task("p-arch", task_type="architecture_analysis"))
    assert bench.models_seen() == [PREMIUM]
    assert result.passed and not result.fallback_used and result.attempts[0].step == 1


async def test_api_context_error_escalates(bench: Bench) -> None:
    bench.answer("p-ctx", GOOD, model=PREMIUM)
    bench.emulator.set_faults(FaultPlan(script={CHEAP: ["context_too_long"]}))
    result = await bench.router().run(task("p-ctx"))
    assert bench.models_seen() == [CHEAP, PREMIUM] and bench.clock.sleeps == []
    assert result.escalation_reasons[0].startswith(f"context too long for {CHEAP} (API:")


async def test_truncated_answer_escalates_when_the_policy_says_so(bench: Bench) -> None:
    bench.answer("p-cut", GOOD, model=CHEAP, stop_reason="max_tokens")
    bench.answer("p-cut", GOOD + " in full", model=PREMIUM)
    result = await bench.router(fast_policy(escalate_on={"max_tokens": True})).run(task("p-cut"))
    assert bench.models_seen() == [CHEAP, PREMIUM]
    assert result.escalation_reasons == [f"answer cut off at max_tokens (1000) by {CHEAP}"]


async def test_disabled_trigger_ends_the_task_instead_of_escalating(bench: Bench) -> None:
    bench.answer("p-noesc", BAD)
    with pytest.raises(RoutingFailed, match="escalation on rejection is disabled"):
        await bench.router(fast_policy(escalate_on={"rejection": False})).run(task("p-noesc"))
    assert bench.models_seen() == [CHEAP, CHEAP]


async def test_retry_waits_are_capped_per_task(bench: Bench) -> None:
    bench.answer("p-cap", GOOD, model=PREMIUM)
    bench.emulator.set_faults(FaultPlan(script={CHEAP: ["429:5"]}))
    result = await bench.router(fast_policy(retry={"max_total_wait_s": 3})).run(task("p-cap"))
    assert bench.models_seen() == [CHEAP, PREMIUM] and bench.clock.sleeps == []
    assert "retry-wait cap" in result.escalation_reasons[0]


async def test_cancel_while_validating_records_the_billed_call(bench: Bench) -> None:
    checking = asyncio.Event()

    class Slow:
        name = "slow"

        async def check(self, output: str, ctx: CheckContext) -> Verdict:
            checking.set()
            await asyncio.Event().wait()  # never returns: the cancel arrives here
            raise AssertionError("unreachable")

    bench.answer("p-slow", GOOD, model=CHEAP)
    running = asyncio.ensure_future(bench.router().run(Task(id="slow", prompt="p-slow", validators=[Slow()])))
    await checking.wait()
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    [attempt] = bench.sink.attempts
    assert (attempt.outcome, attempt.error_kind) == ("error", "cancelled")
    assert attempt.cost_usd == bench.registry.cost(CHEAP, USAGE)


async def test_a_crashing_validator_fails_the_task_but_keeps_the_billed_call(bench: Bench) -> None:
    class Broken:
        name = "broken"

        async def check(self, output: str, ctx: CheckContext) -> Verdict:
            raise ZeroDivisionError("bug in a custom validator")

    bench.answer("p-broken", GOOD, model=CHEAP)
    with pytest.raises(RoutingFailed, match="a validator crashed: ZeroDivisionError") as caught:
        await bench.router().run(Task(id="broken", prompt="p-broken", validators=[Broken()]))
    assert bench.models_seen() == [CHEAP], "a crash is not a reason to pay for the premium model"
    [attempt] = bench.sink.attempts
    assert (attempt.outcome, attempt.error_kind) == ("error", "validator_crashed")
    assert attempt.cost_usd == bench.registry.cost(CHEAP, USAGE) == caught.value.result.cost_usd
