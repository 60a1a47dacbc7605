"""Routing: cheap model first, validators decide, retry -> repair -> escalate, every attempt priced."""

from harness.router.attempt import Attempt, TaskResult
from harness.router.breaker import BreakerBoard, BreakerSettings, BreakerState
from harness.router.clock import Clock, FakeClock, SystemClock
from harness.router.policy import EscalateOn, FallbackPolicy, RetrySettings, Step, TaskTypeOverride, load_policy
from harness.router.router import (
    BudgetExceeded,
    FatalRoutingError,
    Router,
    RoutingError,
    RoutingFailed,
    estimate_prompt_tokens,
)
from harness.router.sink import AttemptSink, MemorySink
from harness.router.task import Task

__all__ = [
    "Attempt",
    "AttemptSink",
    "BreakerBoard",
    "BreakerSettings",
    "BreakerState",
    "BudgetExceeded",
    "Clock",
    "EscalateOn",
    "FakeClock",
    "FallbackPolicy",
    "FatalRoutingError",
    "MemorySink",
    "RetrySettings",
    "Router",
    "RoutingError",
    "RoutingFailed",
    "Step",
    "SystemClock",
    "Task",
    "TaskResult",
    "TaskTypeOverride",
    "estimate_prompt_tokens",
    "load_policy",
]
