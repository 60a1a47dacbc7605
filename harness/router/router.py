"""The router: cheap step first, validators decide, retry -> repair -> escalate.

Per step: skip it if the prompt cannot fit the model's window or its circuit is open; call it,
retrying transient errors with backoff; run the validators on the answer; on rejection ask the
same model again with the validator's reason; then move on to the next step. Every attempt is
priced (with the model the API reported) and handed to the sink the moment it completes.

Cancellation (Ctrl-C): attempts are recorded whole or not at all. A call cancelled in flight is
not recorded: its usage is unknown, so there is nothing true to write. A call that answered but
was cancelled while its validators ran is recorded as an `error` with kind "cancelled" and its
real cost. Handing an attempt to the sink is shielded, so a cancel cannot cut a record in half.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from harness.config import ProjectConfig
from harness.errors import UserError
from harness.models.pricing import format_usd
from harness.models.registry import ModelInfo, Registry
from harness.models.usage import Usage
from harness.providers.base import Completion, CompletionRequest, Message, Provider
from harness.providers.errors import ErrorAction, ErrorKind, ProviderError
from harness.results import Outcome
from harness.router.attempt import Attempt, TaskResult
from harness.router.breaker import BreakerBoard, BreakerState
from harness.router.clock import Clock, SystemClock
from harness.router.policy import FallbackPolicy, Step, load_policy
from harness.router.sink import AttemptSink
from harness.router.task import Task
from validators import CheckContext, Verdict, check_all

CHARS_PER_TOKEN = 3.5
"""Prompt-size estimate used to skip steps whose window cannot fit: an approximation (English
prose and code run ~3-4 characters per token); the API's count_tokens would cost a round trip."""

MESSAGE_OVERHEAD_TOKENS = 4

REPAIR_PROMPT = (
    "Your previous answer was rejected by the {validator} check: {reason}\n\n"
    "Reply with a corrected, complete answer (the whole answer, not only the changes)."
)


logger = logging.getLogger(__name__)


class RoutingError(Exception):
    """The task ended without an accepted answer; `result` holds every attempt made."""

    def __init__(self, message: str, result: TaskResult) -> None:
        super().__init__(message)
        self.result = result


class RoutingFailed(RoutingError):
    """Every step was tried (or skipped) and none produced an accepted answer."""


class BudgetExceeded(RoutingError):
    """The next call could push the task or run budget over its cap, so it was not made."""

    def __init__(self, message: str, result: TaskResult, scope: Literal["task", "run"] = "task") -> None:
        super().__init__(message, result)
        self.scope = scope


class FatalRoutingError(RoutingError):
    """An error no retry or other model can fix (bad key, bad request): stopped at once."""


def estimate_prompt_tokens(system: str | None, messages: tuple[Message, ...]) -> int:
    """Approximate prompt tokens (see CHARS_PER_TOKEN); used for window fit and budget checks."""
    chars = len(system or "") + sum(len(m.content) for m in messages)
    return math.ceil(chars / CHARS_PER_TOKEN) + MESSAGE_OVERHEAD_TOKENS * (len(messages) + 1)


def _unchecked(exc: BaseException) -> tuple[str, str]:
    """(error kind, reason) for an answer that was paid for but could not be checked."""
    if isinstance(exc, _Stop):
        return "judge_failed", exc.message
    if isinstance(exc, Exception):
        return "validator_crashed", f"a validator crashed: {type(exc).__name__}: {exc}"
    return "cancelled", "cancelled while checking the answer"


def _k(tokens: int) -> str:
    return f"{tokens / 1000:.0f}K" if tokens >= 10_000 else f"{tokens / 1000:.1f}K" if tokens >= 1000 else str(tokens)


def _now() -> datetime:
    return datetime.now(UTC)


class _Stop(Exception):
    """Ends the task from deep inside the flow; `Router.run` turns it into the public error."""

    def __init__(self, error: Callable[[str, TaskResult], RoutingError], message: str) -> None:
        super().__init__(message)
        self.error = error
        self.message = message


@dataclass
class _Accepted:
    completion: Completion
    verdict: Verdict
    position: int


@dataclass
class _TaskRun:
    """Mutable state of one task's routing."""

    task: Task
    started: float
    judge_model: str
    attempts: list[Attempt] = field(default_factory=list)
    spent: Decimal = Decimal(0)
    reserved: Decimal = Decimal(0)
    waited_s: float = 0.0
    path: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    last_text: str | None = None
    last_verdict: Verdict | None = None
    stop: _Stop | None = None

    def called(self, model: str) -> None:
        if model not in self.path:
            self.path.append(model)


class Router:
    """Routes tasks through a `FallbackPolicy`. One Router serves a whole run: concurrent
    tasks share its breakers and its run budget."""

    def __init__(
        self,
        policy: FallbackPolicy,
        providers: Mapping[str, Provider],
        registry: Registry,
        sink: AttemptSink | None = None,
        clock: Clock | None = None,
        breakers: BreakerBoard | None = None,
        already_spent: Decimal = Decimal(0),
    ) -> None:
        """`already_spent` carries a resumed run's spend, so its run budget still counts it."""
        self.policy = policy.resolved(registry)
        self.registry = registry
        self.providers = dict(providers)
        missing = sorted(self.policy.providers - set(self.providers))
        if missing:
            raise UserError(f"policy '{self.policy.name}' uses provider(s) {', '.join(missing)}, "
                            f"but only {', '.join(sorted(self.providers)) or 'none'} were given")
        self.sink = sink
        self.clock = clock or SystemClock()
        self.breakers = breakers or BreakerBoard(self.policy.breaker, self.clock)
        self._run_spent = already_spent
        self._run_reserved = Decimal(0)

    @classmethod
    def for_policy(
        cls,
        name: str,
        config: ProjectConfig,
        registry: Registry,
        providers: Mapping[str, Provider],
        **options: Any,
    ) -> Router:
        """A Router for a policy named in the project config or a registry preset."""
        return cls(load_policy(name, config, registry), providers, registry, **options)

    @property
    def spent_usd(self) -> Decimal:
        """What this router's calls have cost so far, over all tasks."""
        return self._run_spent

    def run_sync(self, task: Task) -> TaskResult:
        """`run` for synchronous callers (one event loop per call: scripts, not servers)."""
        return asyncio.run(self.run(task))

    async def run(self, task: Task) -> TaskResult:
        """Route one task; raises a `RoutingError` (with `.result`) when no answer is accepted."""
        chain = self.policy.chain_for(task.task_type, self.registry)
        judge_model = task.judge_model or self.policy.judge_model or chain[-1][1].model_id
        run = _TaskRun(task=task, started=self.clock.monotonic(), judge_model=judge_model)
        try:
            accepted = await self._route(run, chain)
        except _Stop as stop:
            raise stop.error(stop.message, self._result(run, None, stop.message)) from None
        return self._result(run, accepted, None)

    async def _route(self, run: _TaskRun, chain: list[tuple[int, Step]]) -> _Accepted:
        for position, (index, step) in enumerate(chain):
            outcome = await self._run_step(run, position, index, step)
            if isinstance(outcome, _Accepted):
                return outcome
            run.reasons.append(outcome)
        raise _Stop(RoutingFailed, "no step produced an accepted answer: " + "; ".join(run.reasons))

    async def _run_step(self, run: _TaskRun, position: int, index: int, step: Step) -> _Accepted | str:
        """Returns the accepted answer, or why the task left this step."""
        task = run.task
        model = self.registry.get(step.model_id)
        messages: tuple[Message, ...] = (Message(role="user", content=task.prompt),)
        estimate = estimate_prompt_tokens(task.system, messages)
        if estimate + task.max_tokens > model.context_window:
            reason = (f"context too long for {model.id} (est. {_k(estimate)} prompt + {_k(task.max_tokens)} "
                      f"max output > {_k(model.context_window)} window)")
            now = _now()
            await self._record(run, step=index, model_requested=model.id, outcome="skipped", reason=reason,
                               error_kind=ErrorKind.CONTEXT_TOO_LONG.value, started_at=now, finished_at=now,
                               moved_on=reason)
            return self._escalate(self.policy.escalate_on.context_too_long, "context too long", reason)
        repairs = 0
        while True:
            called = await self._call(run, index, step, model, messages, repair=repairs > 0)
            if isinstance(called, str):
                return called
            completion, started_at, cost, mismatch = called
            common: dict[str, Any] = dict(
                step=index, model_requested=model.id, model_reported=completion.model, model_mismatch=mismatch,
                usage=completion.usage, cost_usd=cost, latency_s=completion.latency_s, repair=repairs > 0,
                request_id=completion.request_id, started_at=started_at)
            run.last_text = completion.text
            if completion.stop_reason == "max_tokens" and self.policy.escalate_on.max_tokens:
                reason = f"answer cut off at max_tokens ({task.max_tokens}) by {completion.model}"
                await self._record(run, **common, outcome="rejected", reason=reason, finished_at=_now(),
                                   moved_on=reason)
                return reason
            try:
                verdict = await self._check(run, index, completion.text)
            except BaseException as exc:  # the call was made and billed: keep it in the record, whatever happened
                kind, reason = _unchecked(exc)
                await self._record(run, **common, outcome="error", reason=reason, error_kind=kind, finished_at=_now())
                if isinstance(exc, Exception) and not isinstance(exc, _Stop):
                    logger.error("validator crashed on task %s", task.id, exc_info=exc)
                    raise _Stop(RoutingFailed, reason) from exc
                raise
            run.last_verdict = verdict
            if verdict.passed:
                await self._record(run, **common, outcome="accepted", reason=verdict.reason,
                                   validator=verdict.validator, finished_at=_now())
                return _Accepted(completion, verdict, position)
            moved_on = None
            if repairs >= step.repair_attempts:
                repaired = f" (after {repairs} repair{'s' if repairs != 1 else ''})" if repairs else ""
                moved_on = f"rejected by {verdict.validator}: {verdict.reason}{repaired}"
            await self._record(run, **common, outcome="rejected", reason=verdict.reason,
                               validator=verdict.validator, finished_at=_now(), moved_on=moved_on)
            if moved_on is not None:
                return self._escalate(self.policy.escalate_on.rejection, "rejection", moved_on)
            repairs += 1
            feedback = REPAIR_PROMPT.format(validator=verdict.validator, reason=verdict.reason)
            messages = (*messages, Message(role="assistant", content=completion.text),
                        Message(role="user", content=feedback))

    def _escalate(self, enabled: bool, trigger: str, reason: str) -> str:
        if not enabled:
            raise _Stop(RoutingFailed, f"{reason} (escalation on {trigger} is disabled in policy "
                                       f"'{self.policy.name}')")
        return reason

    async def _call(
        self, run: _TaskRun, index: int, step: Step, model: ModelInfo, messages: tuple[Message, ...], *, repair: bool
    ) -> tuple[Completion, datetime, Decimal, bool] | str:
        """One request with transient retries: the completion (priced), or why the step was left."""
        task = run.task
        request = CompletionRequest(model=model.id, messages=messages, system=task.system,
                                    max_tokens=task.max_tokens, stream=task.stream)
        provider = self.providers[step.provider]
        failures = 0
        while True:
            started_at = _now()
            refusal = self.breakers.acquire(model.id)
            if refusal is not None:
                await self._record(run, step=index, model_requested=model.id, outcome="skipped", reason=refusal,
                                   repair=repair, started_at=started_at, finished_at=started_at, moved_on=refusal)
                return self._escalate(self.policy.escalate_on.transient_exhausted, "transient errors", refusal)
            try:
                completion = await self._complete(run, provider, model, request)
            except ProviderError as exc:
                run.called(model.id)
                common: dict[str, Any] = dict(
                    step=index, model_requested=model.id, outcome="error", reason=str(exc),
                    error_kind=exc.kind.value, latency_s=exc.latency_s, repair=repair, request_id=exc.request_id,
                    started_at=started_at, finished_at=_now())
                if exc.action is ErrorAction.FATAL:
                    self.breakers.release(model.id)
                    await self._record(run, **common)
                    raise _Stop(FatalRoutingError, _fatal_message(exc, model.id, step.provider)) from None
                if exc.action is ErrorAction.ESCALATE:
                    self.breakers.release(model.id)
                    reason = f"context too long for {model.id} (API: {exc.message})"
                    await self._record(run, **common, moved_on=reason)
                    return self._escalate(self.policy.escalate_on.context_too_long, "context too long", reason)
                failures += 1
                self.breakers.failure(model.id)
                wait = self.policy.retry.wait_s(failures, exc.retry_after_s)
                moved_on = self._transient_exhausted(run, exc.kind, model.id, failures, step.max_attempts, wait)
                await self._record(run, **common, moved_on=moved_on)
                if moved_on is not None:
                    return self._escalate(self.policy.escalate_on.transient_exhausted, "transient errors", moved_on)
                run.waited_s += wait
                await self.clock.sleep(wait)
                continue
            except BaseException:
                self.breakers.release(model.id)
                raise
            run.called(model.id)
            self.breakers.success(model.id)
            cost, mismatch = self._price(model, completion)
            self._spend(run, cost)
            return completion, started_at, cost, mismatch

    def _transient_exhausted(
        self, run: _TaskRun, kind: ErrorKind, model: str, failures: int, max_attempts: int, wait: float
    ) -> str | None:
        """Why retrying this model stops now, or None to retry after `wait`."""
        if failures >= max_attempts:
            return f"{kind.value}: {failures} attempt{'s' if failures != 1 else ''} on {model}"
        if self.breakers.state(model) is BreakerState.OPEN:
            return f"{kind.value}: circuit opened for {model} after this failure"
        cap = self.policy.retry.max_total_wait_s
        if run.waited_s + wait > cap:
            return (f"{kind.value}: next retry wait ({wait:.1f}s) would pass the task's {cap:g}s "
                    f"retry-wait cap after {failures} attempt{'s' if failures != 1 else ''} on {model}")
        return None

    async def _complete(
        self, run: _TaskRun, provider: Provider, model: ModelInfo, request: CompletionRequest
    ) -> Completion:
        """The provider call, inside a budget reservation of its worst-case cost."""
        estimate = estimate_prompt_tokens(request.system, request.messages)
        worst = model.cost(Usage(input_tokens=estimate, output_tokens=request.max_tokens))
        self._reserve(run, worst, model.id, estimate, request.max_tokens)
        try:
            return await provider.complete(request)
        finally:
            run.reserved -= worst
            self._run_reserved -= worst

    def _reserve(self, run: _TaskRun, worst: Decimal, model: str, estimate: int, max_tokens: int) -> None:
        """Stop before a call whose worst case (estimated prompt + max_tokens of output) could break a cap."""
        checks: tuple[tuple[Literal["task", "run"], Decimal | None, Decimal], ...] = (
            ("task", self.policy.task_budget_usd, run.spent + run.reserved),
            ("run", self.policy.run_budget_usd, self._run_spent + self._run_reserved))
        for scope, cap, committed in checks:
            if cap is not None and committed + worst > cap:
                raise _Stop(functools.partial(BudgetExceeded, scope=scope), (
                    f"{scope} budget of {format_usd(cap)} would be exceeded: {format_usd(committed)} spent or "
                    f"committed, the next call to {model} may cost up to {format_usd(worst)} (est. {_k(estimate)} "
                    f"prompt + {_k(max_tokens)} max output tokens); stopped before calling it"))
        run.reserved += worst
        self._run_reserved += worst

    def _spend(self, run: _TaskRun, cost: Decimal) -> None:
        run.spent += cost
        self._run_spent += cost

    def _price(self, requested: ModelInfo, completion: Completion) -> tuple[Decimal, bool]:
        """Cost at the reported model's prices; an id the registry does not know is priced as asked."""
        reported = self.registry.get(completion.model) if completion.model in self.registry else None
        priced_as = reported or requested
        return priced_as.cost(completion.usage), reported is None or reported.id != requested.id

    async def _check(self, run: _TaskRun, index: int, text: str) -> Verdict:
        task = run.task

        async def judge(request: CompletionRequest) -> Completion:
            return await self._judge(run, index, request)

        ctx = CheckContext(fixtures_dir=task.fixtures_dir, task_type=task.task_type, prompt=task.prompt,
                           judge=judge, judge_model=run.judge_model)
        verdict = await check_all(task.validators, text, ctx)
        if run.stop is not None:  # a judge failure ends the task even if a validator swallowed it
            raise run.stop
        return verdict

    async def _judge(self, run: _TaskRun, index: int, request: CompletionRequest) -> Completion:
        """A validator's call to the judge model: priced, budgeted, retried, recorded as 'judge'."""
        if request.model not in self.registry:
            run.stop = _Stop(FatalRoutingError, f"judge model '{request.model}' is not in the model registry")
            raise run.stop
        model = self.registry.get(request.model)
        provider = self.providers[self.policy.judge_provider]
        failures = 0
        while True:
            started_at = _now()
            try:
                completion = await self._complete(run, provider, model, request)
            except _Stop as stop:
                run.stop = stop
                raise
            except ProviderError as exc:
                failures += 1
                await self._record(run, step=index, model_requested=model.id, outcome="error",
                                   reason=f"judge call failed: {exc}", error_kind=exc.kind.value,
                                   latency_s=exc.latency_s, request_id=exc.request_id,
                                   started_at=started_at, finished_at=_now())
                if exc.action is ErrorAction.FATAL:
                    run.stop = _Stop(FatalRoutingError, _fatal_message(exc, model.id, self.policy.judge_provider))
                    raise run.stop from None
                wait = self.policy.retry.wait_s(failures, exc.retry_after_s)
                if exc.action is ErrorAction.ESCALATE or failures >= self.policy.judge_max_attempts:
                    run.stop = _Stop(RoutingFailed, f"judge model {model.id} unavailable: {exc.kind.value} "
                                                    f"after {failures} attempt(s)")
                    raise run.stop from None
                run.waited_s += wait
                await self.clock.sleep(wait)
                continue
            cost, mismatch = self._price(model, completion)
            self._spend(run, cost)
            await self._record(run, step=index, model_requested=model.id, model_reported=completion.model,
                               model_mismatch=mismatch, usage=completion.usage, cost_usd=cost,
                               latency_s=completion.latency_s, outcome="judge", reason="judge call",
                               request_id=completion.request_id, started_at=started_at, finished_at=_now())
            return completion

    async def _record(self, run: _TaskRun, *, outcome: Outcome, **fields: Any) -> None:
        """Keep and hand over one complete attempt; shielded so a cancel cannot cut it in half."""
        attempt = Attempt(task_id=run.task.id, task_type=run.task.task_type, outcome=outcome, **fields)
        run.attempts.append(attempt)
        if self.sink is not None:
            await asyncio.shield(self.sink.record(attempt))

    def _result(self, run: _TaskRun, accepted: _Accepted | None, error: str | None) -> TaskResult:
        verdict = accepted.verdict if accepted else run.last_verdict
        return TaskResult(
            task_id=run.task.id,
            task_type=run.task.task_type,
            passed=accepted is not None,
            text=accepted.completion.text if accepted else run.last_text,
            verdict_reason=verdict.reason if verdict else "",
            verdict_validator=verdict.validator if verdict else None,
            answered_by=accepted.completion.model if accepted else None,
            fallback_used=accepted is not None and accepted.position > 0,
            escalation_path=list(run.path),
            escalation_reasons=list(run.reasons),
            attempts=list(run.attempts),
            cost_usd=sum((a.cost_usd for a in run.attempts), Decimal(0)),
            latency_s=self.clock.monotonic() - run.started,
            error=error,
        )


def _fatal_message(exc: ProviderError, model: str, provider: str) -> str:
    """What to fix, in words; names the key's variable, never its value."""
    status = f"HTTP {exc.status}" if exc.status else exc.kind.value
    if exc.kind is ErrorKind.AUTHENTICATION:
        return f"authentication failed: check {provider.upper()}_API_KEY ({status} calling {model})"
    if exc.kind is ErrorKind.PERMISSION:
        return f"permission denied calling {model}: check that the API key may use this model ({status})"
    if exc.kind is ErrorKind.NOT_FOUND:
        return f"model {model} not found by the API: check the model id ({status}: {exc.message})"
    return f"bad request to {model} ({status}): {exc.message}"
