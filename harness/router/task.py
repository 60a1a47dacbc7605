"""What the router is asked to do: one prompt, the validators that decide, how to call."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PositiveInt

from validators import Validator


class Task(BaseModel):
    """One routed request. The router builds each validator's CheckContext from these fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    id: str
    task_type: str = "general"
    system: str | None = None
    prompt: str = Field(min_length=1)
    validators: Sequence[Validator] = ()
    fixtures_dir: Path | None = None
    judge_model: str | None = Field(default=None, description="overrides the policy's judge model")
    max_tokens: PositiveInt = 4096
    stream: bool = False
    metadata: dict[str, Any] = {}
