"""What the runner writes to telemetry: one run, its tasks (scenario trials), every attempt.

These records are independent of the router's classes on purpose: the runner maps its results
onto them, so the store's schema does not move whenever the router's internals do.
Money is exact `Decimal` USD; timestamps without a timezone are taken as UTC.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt

from harness.models.usage import Usage

RunStatus = Literal["running", "complete", "incomplete", "stopped"]
Outcome = Literal["accepted", "rejected", "error", "skipped", "judge"]
AttemptState = Literal["pending", "final", "abandoned"]
"""pending: its task is still running; final: its task finished; abandoned: its task never did."""


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RunRecord(_Record):
    """One `harness run` (or one pytest session): what was run, how, and how it ended."""

    run_id: str = Field(min_length=1)
    suite: str
    policy: str
    policy_chain: tuple[str, ...]
    baseline_model: str = Field(description="premium model the all-premium estimate is priced at")
    offline: bool
    data_label: str
    started_at: datetime
    finished_at: datetime | None = None
    status: RunStatus = "running"
    stop_reason: str | None = None
    trials: int = Field(default=1, ge=1)
    config: dict[str, Any] = {}


class TaskRecord(_Record):
    """One trial of one scenario, written once when it has finished."""

    run_id: str
    task_key: str = Field(description='f"{scenario_id}#{trial}": unique within a run')
    scenario_id: str
    task_type: str
    trial: int = Field(ge=1)
    passed: bool
    fallback_used: bool
    cheap_tier_passed: bool = Field(
        description="the first step's model produced the accepted answer (repairs on that step included)")
    answered_by: str | None = Field(description="model id the API reported for the final answer")
    first_model: str = Field(description="model of the policy's first step")
    cost_usd: Decimal = Field(ge=0)
    baseline_cost_usd_estimate: Decimal = Field(ge=0, description="the task's tokens re-priced at premium")
    latency_s: float = Field(ge=0)
    escalation_reasons: tuple[str, ...] = ()
    final_reason: str = ""
    output: str = ""
    error: str | None = None
    started_at: datetime
    finished_at: datetime

    @staticmethod
    def key(scenario_id: str, trial: int) -> str:
        return f"{scenario_id}#{trial}"


class AttemptRecord(_Record):
    """One call (or one skipped step) in a task's chain: written as soon as it returns, paid or not."""

    run_id: str
    task_key: str
    seq: NonNegativeInt = Field(description="order of the attempt within its task")
    step: NonNegativeInt = Field(description="index of the policy step")
    model_requested: str
    model_reported: str | None = None
    outcome: Outcome
    reason: str = ""
    validator: str | None = None
    error_kind: str | None = None
    repair: bool = False
    input_tokens: NonNegativeInt = 0
    output_tokens: NonNegativeInt = 0
    cache_write_5m_tokens: NonNegativeInt = 0
    cache_write_1h_tokens: NonNegativeInt = 0
    cache_read_tokens: NonNegativeInt = 0
    cost_usd: Decimal = Field(default=Decimal(0), ge=0)
    latency_s: float = Field(default=0.0, ge=0)
    request_id: str | None = None
    escalation_reason: str | None = None
    scenario_id: str
    task_type: str
    started_at: datetime
    finished_at: datetime

    @property
    def usage(self) -> Usage:
        return Usage(input_tokens=self.input_tokens, output_tokens=self.output_tokens,
                     cache_write_5m_tokens=self.cache_write_5m_tokens,
                     cache_write_1h_tokens=self.cache_write_1h_tokens, cache_read_tokens=self.cache_read_tokens)


class StoredAttempt(AttemptRecord):
    """An attempt read back, with whether its task finished (see `AttemptState`)."""

    id: int
    state: AttemptState
