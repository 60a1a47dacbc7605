"""Fallback policies as data: which models to try in which order, and when to move on.

A policy comes from a registry preset, from `[tool.harness.policies.NAME]` in the project
config, or from Python. `FallbackPolicy.resolved(registry)` checks every model against the
registry and turns tiers into model ids; the router only ever sees resolved policies.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, PositiveInt, ValidationError, model_validator
from tenacity import RetryCallState, wait_exponential, wait_random

from harness.config import ProjectConfig
from harness.errors import UserError, first_error
from harness.models.registry import Registry, Tier, UnknownModelError
from harness.router.breaker import BreakerSettings


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Step(_Frozen):
    """One rung of the chain: a model (or a tier), how often to retry it, how often to repair."""

    provider: str = "anthropic"
    model: str | None = None
    tier: Tier | None = None
    description: str = ""
    max_attempts: PositiveInt = Field(default=3, description="calls per request on transient errors")
    repair_attempts: NonNegativeInt = Field(default=1, description="re-asks on the same step after a rejection")

    @model_validator(mode="after")
    def _model_or_tier(self) -> Self:
        if (self.model is None) == (self.tier is None):
            raise ValueError("give exactly one of 'model' or 'tier'")
        return self

    @property
    def model_id(self) -> str:
        """The model to call; only valid on a resolved policy."""
        if self.model is None:
            raise RuntimeError("step not resolved: call FallbackPolicy.resolved(registry) first")
        return self.model


class RetrySettings(_Frozen):
    """Exponential backoff with jitter (tenacity's wait strategies), `retry-after` honoured.

    The wait before retry n is max(retry-after, initial * multiplier**(n-1) capped at
    max_backoff, plus uniform jitter). The waits of one task never add up to more than
    `max_total_wait_s`: past that the step counts as exhausted.
    """

    initial_s: float = Field(default=1.0, ge=0)
    multiplier: float = Field(default=2.0, ge=1)
    max_backoff_s: float = Field(default=30.0, ge=0)
    jitter_s: float = Field(default=0.5, ge=0)
    max_total_wait_s: float = Field(default=120.0, ge=0)

    def wait_s(self, retry_number: int, retry_after_s: float | None = None) -> float:
        strategy = wait_exponential(
            multiplier=self.initial_s, max=self.max_backoff_s, exp_base=self.multiplier
        ) + wait_random(0, self.jitter_s)
        state = RetryCallState(None, None, (), {})  # type: ignore[arg-type]  # only attempt_number is read
        state.attempt_number = retry_number
        return max(retry_after_s or 0.0, float(strategy(state)))


class EscalateOn(_Frozen):
    """Which events move a task to the next step; a disabled trigger ends the task there instead."""

    rejection: bool = True
    transient_exhausted: bool = True
    context_too_long: bool = True
    max_tokens: bool = Field(default=False, description="treat stop_reason 'max_tokens' as a failed answer")


class TaskTypeOverride(_Frozen):
    """Per task type: start further up the chain (a tier, model id or step index) or use other steps."""

    start_at: str | int | None = None
    steps: tuple[Step, ...] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        if self.start_at is not None and self.steps is not None:
            raise ValueError("give 'start_at' or 'steps', not both")
        return self


class FallbackPolicy(_Frozen):
    """The chain of steps and the rules for leaving each one. Budgets are USD caps (Decimal);
    a call is made only if its worst case fits them (see Router)."""

    name: str = "custom"
    description: str = ""
    steps: tuple[Step, ...] = Field(min_length=1)
    retry: RetrySettings = RetrySettings()
    escalate_on: EscalateOn = EscalateOn()
    breaker: BreakerSettings = BreakerSettings()
    task_budget_usd: Decimal | None = Field(default=None, gt=0)
    run_budget_usd: Decimal | None = Field(default=None, gt=0)
    judge_model: str | None = Field(default=None, description="model for LLM-judge validators; default last step")
    judge_provider: str = "anthropic"
    judge_max_attempts: PositiveInt = Field(default=3, description="judge calls per verdict on transient errors")
    overrides: dict[str, TaskTypeOverride] = {}

    @classmethod
    def from_preset(cls, preset_name: str, registry: Registry, **settings: Any) -> FallbackPolicy:
        """A policy over a registry preset's chain, with the preset's step tuning (see PRESET_STEPS)."""
        preset = registry.preset(preset_name)
        tuning = PRESET_STEPS.get(preset_name, {})
        steps = tuple(Step(model=model_id, **tuning) for model_id in preset.chain)
        settings = {"name": preset_name, "description": preset.description} | settings
        return cls(steps=steps, **settings).resolved(registry)

    def resolved(self, registry: Registry) -> FallbackPolicy:
        """Every model checked against the registry (canonical ids), every tier turned into a model.

        A resolved policy names models only, so its dump validates again as the same policy."""
        steps = _resolve_steps(self.steps, registry, "steps")
        overrides = {}
        for task_type, override in self.overrides.items():
            where = f"overrides.{task_type}"
            if override.steps is not None:
                own_steps = _resolve_steps(override.steps, registry, where + ".steps")
                override = override.model_copy(update={"steps": own_steps})
            elif override.start_at is not None:
                _start_index(steps, override.start_at, registry, where + ".start_at")
            overrides[task_type] = override
        judge = None
        if self.judge_model is not None:
            judge = _resolve_model(self.judge_model, registry, "judge_model")
        return self.model_copy(update={"steps": steps, "overrides": overrides, "judge_model": judge})

    def chain_for(self, task_type: str, registry: Registry) -> list[tuple[int, Step]]:
        """The (step index, step) pairs a task of this type goes through, overrides applied."""
        override = self.overrides.get(task_type)
        if override is None:
            return list(enumerate(self.steps))
        if override.steps is not None:
            return list(enumerate(override.steps))
        assert override.start_at is not None
        first = _start_index(self.steps, override.start_at, registry, f"overrides.{task_type}.start_at")
        return list(enumerate(self.steps))[first:]

    @property
    def providers(self) -> set[str]:
        named = {s.provider for s in self.steps} | {self.judge_provider}
        for override in self.overrides.values():
            named |= {s.provider for s in override.steps or ()}
        return named


PRESET_STEPS: dict[str, dict[str, int]] = {
    # The source tutorial retried once (max_retries=1) and never repaired: kept as it was, for comparison.
    "sonnet-4.5-to-opus-4.5": {"max_attempts": 2, "repair_attempts": 0},
}
"""Step settings that differ from `Step`'s defaults for a registry preset."""


def _resolve_model(model_id: str, registry: Registry, where: str) -> str:
    try:
        return registry.get(model_id).id
    except UnknownModelError as exc:
        raise UserError(f"{where}: {exc}") from None


def _resolve_tier(tier: Tier, registry: Registry, where: str) -> str:
    """A tier means the registry presets' choice for it ('default' first), not any row of that tier."""
    ordered = sorted(registry.presets.values(), key=lambda p: p.name != "default")
    for preset in ordered:
        for model_id in preset.chain:
            if registry.get(model_id).tier == tier:
                return registry.get(model_id).id
    raise UserError(f"{where}: no preset names a model of tier '{tier.value}'; give a model id instead")


def _resolve_steps(steps: tuple[Step, ...], registry: Registry, where: str) -> tuple[Step, ...]:
    resolved = []
    for index, step in enumerate(steps):
        if step.model is not None:
            model_id = _resolve_model(step.model, registry, f"{where}.{index}.model")
        else:
            assert step.tier is not None
            model_id = _resolve_tier(step.tier, registry, f"{where}.{index}.tier")
        resolved.append(step.model_copy(update={"model": model_id, "tier": None}))
    return tuple(resolved)


def _start_index(steps: tuple[Step, ...], start_at: str | int, registry: Registry, where: str) -> int:
    if isinstance(start_at, int):
        if 0 <= start_at < len(steps):
            return start_at
        raise UserError(f"{where}: step index {start_at} out of range (0..{len(steps) - 1})")
    for index, step in enumerate(steps):
        model = registry.get(step.model_id)
        if start_at == model.tier.value or (start_at in registry and registry.get(start_at).id == model.id):
            return index
    names = ", ".join(f"{s.model_id} ({registry.get(s.model_id).tier.value})" for s in steps)
    raise UserError(f"{where}: '{start_at}' is neither a tier nor a model of this chain: {names}")


def load_policy(name: str, config: ProjectConfig, registry: Registry) -> FallbackPolicy:
    """`[tool.harness.policies.NAME]` from the project config, else the registry preset NAME.

    A config policy gives `steps = [...]` or `preset = "NAME"` (that preset's chain and tuning),
    plus any other FallbackPolicy field.
    """
    raw = config.policies.get(name)
    if raw is None:
        if name in registry.presets:
            return FallbackPolicy.from_preset(name, registry)
        known = sorted(set(config.policies) | set(registry.presets))
        raise UserError(f"unknown policy '{name}'; known policies: {', '.join(known)}")
    where = f"{config.source or 'config'}: [tool.harness.policies.{name}]"
    data = dict(raw)
    preset_name = data.pop("preset", None)
    try:
        if preset_name is not None:
            if "steps" in data:
                raise UserError(f"{where}: give 'preset' or 'steps', not both")
            if not isinstance(preset_name, str) or preset_name not in registry.presets:
                raise UserError(f"{where} field 'preset': unknown preset {preset_name!r}; "
                                f"known presets: {', '.join(sorted(registry.presets))}")
            policy = FallbackPolicy.from_preset(preset_name, registry, name=name, **data)
        else:
            policy = FallbackPolicy(name=name, **data)
    except ValidationError as exc:
        field, problem = first_error(exc, "(policy)")
        raise UserError(f"{where} field '{field}': {problem}") from None
    except TypeError as exc:
        raise UserError(f"{where}: {exc}") from None
    try:
        return policy.resolved(registry)
    except UserError as exc:
        raise UserError(f"{where} field {exc}") from None

