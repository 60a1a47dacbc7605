"""`harness gate`: pass/fail a run against thresholds, so CI can block on quality *and* cost.

Actual values are results.json's own figures (cost per task is its total cost over its tasks).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.errors import UserError, first_error
from harness.results import RunResults
from reports.text import pct, usd

HOW_TO_SET = (
    "no gate thresholds: set them under [tool.harness.gate] in pyproject.toml (e.g. min_success = 0.9, "
    "max_cost = 5.0) or pass --min-success, --max-cost, --max-cost-per-task, --max-fallback-rate or --min-savings"
)
EXIT_PASS, EXIT_MISS, EXIT_INCOMPLETE = 0, 1, 3


class GateThresholds(BaseModel):
    """Thresholds as written in [tool.harness.gate]; every one optional, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_success: float | None = Field(None, ge=0, le=1, description="minimum success rate, 0..1")
    on_lower_bound: bool = Field(False, description="apply min_success to the 95% interval's lower bound")
    max_cost: float | None = Field(None, ge=0, description="maximum total actual cost, USD")
    max_cost_per_task: float | None = Field(None, ge=0, description="maximum actual cost per task, USD")
    max_fallback_rate: float | None = Field(None, ge=0, le=1, description="maximum fallback rate, 0..1")
    min_savings: float | None = Field(None, le=100, description="minimum savings vs the estimate, percent")

    @classmethod
    def from_config(cls, raw: dict[str, Any], source: str = "[tool.harness.gate]") -> GateThresholds:
        """Validate a thresholds mapping (the config section); the error names the source and the field."""
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            field, problem = first_error(exc, "(section)")
            raise UserError(f"{source} field '{field}': {problem}") from None

    @property
    def empty(self) -> bool:
        return all(getattr(self, name) is None for name in
                   ("min_success", "max_cost", "max_cost_per_task", "max_fallback_rate", "min_savings"))


@dataclass(frozen=True)
class GateCheck:
    name: str
    actual: float
    threshold: float
    comparison: Literal[">=", "<="]
    shown_actual: str
    shown_threshold: str

    @property
    def passed(self) -> bool:
        if self.comparison == ">=":
            return self.actual >= self.threshold
        return self.actual <= self.threshold


@dataclass(frozen=True)
class GateOutcome:
    checks: list[GateCheck]
    complete: bool
    stop_reason: str | None

    @property
    def misses(self) -> list[GateCheck]:
        return [c for c in self.checks if not c.passed]

    @property
    def exit_code(self) -> int:
        """3 when the run could not complete (its figures cover only part of the suite), else 1 on a miss."""
        if not self.complete:
            return EXIT_INCOMPLETE
        return EXIT_MISS if self.misses else EXIT_PASS

    def lines(self) -> list[str]:
        """Human-readable outcome: each check with actual vs threshold, then the verdict."""
        out = [f"{'ok  ' if c.passed else 'MISS'} {c.name}: {c.shown_actual} (threshold {c.comparison} "
               f"{c.shown_threshold})" for c in self.checks]
        if not self.complete:
            out.append(f"INCOMPLETE run: {self.stop_reason or 'no reason recorded'}")
        out.append({EXIT_PASS: "gate passed", EXIT_MISS: f"gate failed: {len(self.misses)} threshold(s) missed",
                    EXIT_INCOMPLETE: "gate failed: the run could not complete"}[self.exit_code])
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.exit_code == EXIT_PASS, "exit_code": self.exit_code, "complete": self.complete,
            "stop_reason": self.stop_reason,
            "checks": [{"name": c.name, "actual": c.actual, "threshold": c.threshold,
                        "comparison": c.comparison, "passed": c.passed} for c in self.checks],
        }


def cost_per_task(results: RunResults) -> float:
    """Total actual cost over the tasks run (0 for an empty run)."""
    return results.actual_cost_usd / results.tasks_total if results.tasks_total else 0.0


def evaluate(results: RunResults, thresholds: GateThresholds) -> GateOutcome:
    """Check each set threshold against the run's figures; raises UserError when none is set."""
    if thresholds.empty:
        raise UserError(HOW_TO_SET)
    t = thresholds
    checks: list[GateCheck] = []
    if t.min_success is not None:
        name, actual = ("success rate (95% lower bound)", results.success_ci95[0]) if t.on_lower_bound \
            else ("success rate", results.success_rate)
        checks.append(GateCheck(name, actual, t.min_success, ">=", pct(actual), pct(t.min_success)))
    if t.max_cost is not None:
        checks.append(GateCheck("total cost", results.actual_cost_usd, t.max_cost, "<=",
                                usd(results.actual_cost_usd), usd(t.max_cost)))
    if t.max_cost_per_task is not None:
        per_task = cost_per_task(results)
        checks.append(GateCheck("cost per task", per_task, t.max_cost_per_task, "<=",
                                usd(per_task), usd(t.max_cost_per_task)))
    if t.max_fallback_rate is not None:
        checks.append(GateCheck("fallback rate", results.fallback_rate, t.max_fallback_rate, "<=",
                                pct(results.fallback_rate), pct(t.max_fallback_rate)))
    if t.min_savings is not None:
        checks.append(GateCheck("savings vs all-premium estimate", results.savings_pct, t.min_savings, ">=",
                                f"{results.savings_pct:.1f}%", f"{t.min_savings:.1f}%"))
    return GateOutcome(checks, results.complete, results.stop_reason)
