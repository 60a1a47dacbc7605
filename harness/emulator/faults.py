"""Fault injection for the emulator: scripted per model, seeded random rates, added latency.

Everything is deterministic for a given plan and request order, so a failing test replays exactly.
"""

from __future__ import annotations

import json
import random
import threading
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, model_validator

from harness.errors import UserError, first_error

FaultToken = Annotated[
    str,
    StringConstraints(pattern=r"^(ok|429(:\d+(\.\d+)?)?|529|500|503|hang|malformed|drop_stream|context_too_long)$"),
]
"""`ok`, `429` or `429:<retry-after s>`, `529`, `500`, `503`, `hang`, `malformed`, `drop_stream`,
`context_too_long`."""

Rate = Annotated[float, Field(ge=0, le=1)]
ANY_MODEL = "*"


class FaultPlan(BaseModel):
    """What goes wrong and when. `script` maps a model id as asked (or "*") to tokens, one per request."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    script: dict[str, list[FaultToken]] = {}
    seed: int = 0
    rate_429: Rate = 0.0
    rate_529: Rate = 0.0
    rate_500: Rate = 0.0
    rate_503: Rate = 0.0
    rate_hang: Rate = 0.0
    rate_malformed: Rate = 0.0
    rate_drop_stream: Rate = 0.0
    retry_after_s: float = Field(default=1.0, ge=0)
    hang_s: float = Field(default=5.0, ge=0)
    latency_ms: float = Field(default=0.0, ge=0)
    latency_jitter_ms: float = Field(default=0.0, ge=0)

    @property
    def random_rates(self) -> list[tuple[str, float]]:
        return [
            ("429", self.rate_429), ("529", self.rate_529), ("500", self.rate_500), ("503", self.rate_503),
            ("hang", self.rate_hang), ("malformed", self.rate_malformed), ("drop_stream", self.rate_drop_stream),
        ]

    @model_validator(mode="after")
    def _rates_are_a_distribution(self) -> FaultPlan:
        if sum(rate for _, rate in self.random_rates) > 1:
            raise ValueError("the rate_* fields add up to more than 1")
        return self

    @classmethod
    def load(cls, path: Path) -> FaultPlan:
        """A plan from a `.json` or `.toml` file; problems name the file and the field."""
        try:
            text = path.read_text(encoding="utf-8")
            data: Any = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
        except FileNotFoundError:
            raise UserError(f"fault plan not found: {path}") from None
        except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
            raise UserError(f"{path}: cannot parse fault plan: {exc}") from None
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            field, problem = first_error(exc, "(plan)")
            raise UserError(f"{path}: fault plan field '{field}': {problem}") from None


@dataclass(frozen=True)
class Fault:
    """The decision for one request: `kind` is a fault token without its argument."""

    kind: str
    retry_after_s: float = 0.0
    delay_s: float = 0.0


class FaultInjector:
    """Applies a plan across server threads; `reset` starts the scripts and random draws over."""

    def __init__(self, plan: FaultPlan) -> None:
        self._lock = threading.Lock()
        self.reset(plan)

    def reset(self, plan: FaultPlan) -> None:
        with self._lock:
            self.plan = plan
            self._rates = plan.random_rates
            self._cursor: defaultdict[str, int] = defaultdict(int)
            self._fault_rng = random.Random(plan.seed)
            # A separate stream, so turning latency on does not change which requests fail.
            self._latency_rng = random.Random(f"latency-{plan.seed}")

    def next_fault(self, model: str) -> Fault:
        with self._lock:
            plan = self.plan
            token = self._scripted(model) or self._scripted(ANY_MODEL) or self._drawn()
            delay_ms = plan.latency_ms
            if plan.latency_jitter_ms:
                delay_ms += self._latency_rng.uniform(-plan.latency_jitter_ms, plan.latency_jitter_ms)
        kind, _, argument = token.partition(":")
        retry_after = float(argument) if argument else plan.retry_after_s
        return Fault(kind=kind, retry_after_s=retry_after, delay_s=max(delay_ms, 0.0) / 1000)

    def _scripted(self, key: str) -> str | None:
        script = self.plan.script.get(key)
        if not script or self._cursor[key] >= len(script):
            return None
        self._cursor[key] += 1
        return script[self._cursor[key] - 1]

    def _drawn(self) -> str:
        if not any(rate for _, rate in self._rates):
            return "ok"
        draw = self._fault_rng.random()
        for token, rate in self._rates:
            if draw < rate:
                return token
            draw -= rate
        return "ok"
