"""The results.json schema: what a run wrote, read by reports and gates (never the router).

Money is a JSON number of USD, rounded from exact Decimal sums (harness.models.usd_float).
Bump SCHEMA_VERSION on any incompatible change.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.errors import UserError, first_error
from harness.models.usage import Usage

SCHEMA_VERSION = 1
OFFLINE_LABEL = "offline replay of bundled sample responses"

Outcome = Literal["accepted", "rejected", "error", "skipped", "judge"]


class _Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AttemptResult(_Schema):
    """One call (or one skipped step) in a task's chain, priced."""

    step: int = Field(ge=0, description="index of the policy step")
    model_requested: str
    model_reported: str | None = None
    outcome: Outcome
    reason: str = Field(description="validator reason, error summary, or why the step was skipped")
    validator: str | None = None
    error_kind: str | None = None
    usage: Usage = Usage()
    cost_usd: float = 0.0
    latency_s: float = 0.0
    repair: bool = False


class TaskEntry(_Schema):
    """One trial of one scenario."""

    scenario_id: str
    title: str = ""
    task_type: str
    trial: int = Field(ge=1)
    passed: bool
    fallback_used: bool = Field(description="the task escalated past its first step, whether or not it then passed")
    answered_by: str | None = Field(description="model id the API reported for the final answer")
    cost_usd: float
    baseline_cost_usd_estimate: float
    latency_s: float
    escalation_reasons: list[str] = []
    final_reason: str = ""
    output: str = ""
    output_truncated: bool = False
    error: str | None = None
    attempts: list[AttemptResult]


class GroupSummary(_Schema):
    """Aggregates over a set of tasks (a task type or a scenario)."""

    key: str
    tasks: int
    passed: int
    success_rate: float
    fallback_rate: float
    cheap_tier_success_rate: float | None
    actual_cost_usd: float
    baseline_cost_usd_estimate: float
    answered_by: dict[str, int] = {}
    escalation_reasons: list[str] = []


class MeasuredBaseline(_Schema):
    """A sample of tasks shadow-run on the premium model: measured, not estimated."""

    model: str
    tasks: int
    cost_usd: float
    cascade_cost_usd_same_tasks: float


class RunResults(_Schema):
    schema_version: int = SCHEMA_VERSION
    run_id: str
    suite: str
    policy: str
    policy_chain: list[str]
    offline: bool
    data_label: str = Field(description="e.g. the offline-replay label, or 'live Anthropic API'")
    started_at: datetime
    finished_at: datetime | None
    complete: bool
    stop_reason: str | None = None
    trials: int = 1
    success_rate: float
    success_ci95: tuple[float, float]
    tasks_total: int
    tasks_passed: int
    model_distribution: dict[str, int]
    actual_cost_usd: float
    baseline_model: str
    baseline_cost_usd_estimate: float
    savings_usd_estimate: float
    savings_pct: float
    measured_baseline: MeasuredBaseline | None = None
    fallback_rate: float
    latency_p50_s: float
    latency_p95_s: float
    by_task_type: list[GroupSummary]
    by_scenario: list[GroupSummary]
    tasks: list[TaskEntry]


def load_results(path: Path) -> RunResults:
    """Read a results.json with a clear error (file, field, reason) when it is not one."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        results = RunResults.model_validate_json(text)
    except ValidationError as exc:
        field, problem = first_error(exc)
        raise UserError(f"{path}: not a results.json: field {field}: {problem}") from None
    if results.schema_version != SCHEMA_VERSION:
        raise UserError(f"{path}: schema_version {results.schema_version}, this harness reads {SCHEMA_VERSION}")
    return results
