"""What every provider speaks: a request in, a completion out, typed errors on failure."""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, PositiveInt

from harness.models.usage import Usage


class Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Literal["user", "assistant"]
    content: str


class CompletionRequest(BaseModel):
    """One Messages-API call. `model` is the model asked for; the API may report another id."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str
    messages: tuple[Message, ...] = Field(min_length=1)
    system: str | None = None
    max_tokens: PositiveInt = 4096
    temperature: float | None = Field(default=None, ge=0, le=1)
    stream: bool = False
    timeout_s: float | None = Field(default=None, gt=0)


class Completion(BaseModel):
    """What came back. `model` is the id the API reported: the truth about who answered."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    usage: Usage
    model: str
    stop_reason: str | None = None
    latency_s: float = Field(ge=0)
    request_id: str | None = None


@runtime_checkable
class Provider(Protocol):
    """Anything that can answer a `CompletionRequest`; raises `ProviderError` on failure."""

    name: str

    async def complete(self, request: CompletionRequest) -> Completion: ...
