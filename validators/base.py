"""The validator contract: an answer in, a pass/fail `Verdict` with one human sentence out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from harness.errors import UserError
from harness.providers.base import Completion, CompletionRequest

JudgeFn = Callable[[CompletionRequest], Awaitable[Completion]]


class Verdict(BaseModel):
    """`reason` is fed back to the model for a repair and shown in reports, so it is one plain sentence."""

    model_config = ConfigDict(frozen=True)

    passed: bool
    reason: str
    validator: str
    details: dict[str, Any] = Field(default_factory=dict)


class CheckContext(BaseModel):
    """What a validator may know about the scenario; the judge is the router's, so its cost is counted."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    fixtures_dir: Path | None = None
    task_type: str = ""
    prompt: str = ""
    judge: JudgeFn | None = None
    judge_model: str | None = None


@runtime_checkable
class Validator(Protocol):
    name: str

    async def check(self, output: str, ctx: CheckContext) -> Verdict: ...


class UnknownValidatorError(UserError):
    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"unknown validator {name!r}; known validators: {', '.join(known)}")
        self.name = name


class ValidatorParamsError(UserError):
    def __init__(self, validator: str, field: str, reason: str) -> None:
        super().__init__(f"validator {validator!r}: {field}: {reason}")
        self.validator = validator
        self.field = field
        self.reason = reason


def fixture_path(ctx: CheckContext, name: str, validator: str, field: str) -> Path:
    """Resolve a fixture named in params; a missing one is the scenario author's error, not the model's."""
    if ctx.fixtures_dir is None:
        raise ValidatorParamsError(validator, field, f"fixture {name!r} needs a scenario fixtures folder")
    base = ctx.fixtures_dir.resolve()
    path = (base / name).resolve()
    if not path.is_relative_to(base) or not path.is_file():
        raise ValidatorParamsError(validator, field, f"fixture file {name!r} not found in {base}")
    return path
