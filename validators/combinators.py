"""Logic over other validators, so a scenario can say "either of these" or "never this"."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from validators.base import CheckContext, Validator, Verdict
from validators.registry import build, check_all, register


class ListParams(BaseModel):
    """YAML gives a plain list of specs: `all_of: [spec, spec]`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    validators: list[Any] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _from_list(cls, value: Any) -> Any:
        return {"validators": value} if isinstance(value, list) else value


class NotParams(BaseModel):
    """YAML gives one spec: `not: {contains: {...}}`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    validator: Any

    @model_validator(mode="before")
    @classmethod
    def _from_spec(cls, value: Any) -> Any:
        return {"validator": value}


@register("all_of", ListParams)
class AllOf:
    name = "all_of"

    def __init__(self, params: ListParams) -> None:
        self.children: list[Validator] = [build(spec) for spec in params.validators]

    async def check(self, output: str, ctx: CheckContext) -> Verdict:
        return await check_all(self.children, output, ctx)


@register("any_of", ListParams)
class AnyOf:
    name = "any_of"

    def __init__(self, params: ListParams) -> None:
        self.children: list[Validator] = [build(spec) for spec in params.validators]

    async def check(self, output: str, ctx: CheckContext) -> Verdict:
        verdicts = [await child.check(output, ctx) for child in self.children]  # in order: cheap ones first
        details = {"verdicts": [v.model_dump(mode="json") for v in verdicts]}
        winner = next((v for v in verdicts if v.passed), None)
        if winner is not None:
            return Verdict(passed=True, reason=winner.reason, validator=self.name, details=details)
        reasons = " / ".join(v.reason.rstrip(".") for v in verdicts)
        return Verdict(passed=False, reason=f"None of the alternatives passed: {reasons}.", validator=self.name,
                       details=details)


@register("not", NotParams)
class Not:
    name = "not"

    def __init__(self, params: NotParams) -> None:
        self.child: Validator = build(params.validator)

    async def check(self, output: str, ctx: CheckContext) -> Verdict:
        inner = await self.child.check(output, ctx)
        details = {"inner": inner.model_dump(mode="json")}
        if inner.passed:
            return Verdict(passed=False, reason=f"The answer must not satisfy {self.child.name}: {inner.reason}",
                           validator=self.name, details=details)
        return Verdict(passed=True, reason=f"The answer does not satisfy {self.child.name}, as required.",
                       validator=self.name, details=details)
