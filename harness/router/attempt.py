"""The record of routing: one `Attempt` per call or skipped step, one `TaskResult` per task.

Each attempt is priced with the model the API reported (the truth about who answered); when
that differs from the model asked for, `model_mismatch` says so.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from harness.models.usage import Usage
from harness.results import Outcome


class Attempt(BaseModel):
    """One provider call (or one step skipped without a call), complete and priced."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    task_id: str
    task_type: str
    step: int = Field(ge=0)
    model_requested: str
    model_reported: str | None = None
    model_mismatch: bool = Field(default=False, description="the API answered with another model than asked")
    usage: Usage = Usage()
    cost_usd: Decimal = Decimal(0)
    latency_s: float = 0.0
    outcome: Outcome
    reason: str = ""
    validator: str | None = None
    error_kind: str | None = None
    repair: bool = False
    request_id: str | None = None
    started_at: datetime
    finished_at: datetime
    moved_on: str | None = Field(default=None, description="why the router left this step after this attempt")


class TaskResult(BaseModel):
    """Everything that happened to one task, whether or not it ended with an accepted answer."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    task_id: str
    task_type: str
    passed: bool
    text: str | None = Field(default=None, description="the accepted answer, else the last answer received")
    verdict_reason: str = ""
    verdict_validator: str | None = None
    answered_by: str | None = Field(default=None, description="model id the API reported for the accepted answer")
    fallback_used: bool = Field(description="the accepted answer came from a step after the task's first")
    escalation_path: list[str] = Field(description="models called, in order, each once")
    escalation_reasons: list[str] = Field(description="why each step was left, in order")
    attempts: list[Attempt]
    cost_usd: Decimal
    latency_s: float
    error: str | None = None

