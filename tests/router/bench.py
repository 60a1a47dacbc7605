"""The router test bench: an in-process emulator, the real SDK provider, a fake clock, a sink.

Each test registers its own cassettes (keyed by the task's prompt fingerprint) so answers are
controlled, and asserts which models the emulator saw.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.emulator import Cassette, CassetteStore, Emulator, prompt_fingerprint
from harness.models import Registry, Usage
from harness.providers.anthropic import AnthropicProvider
from harness.router import FakeClock, FallbackPolicy, MemorySink, Router
from validators import CheckContext, Verdict

CHEAP = "claude-sonnet-4-6"
PREMIUM = "claude-opus-4-6"
USAGE = Usage(input_tokens=120, output_tokens=40)


class MustContain:
    """Test input: passes when the answer contains `needle`."""

    def __init__(self, needle: str, name: str = "contains") -> None:
        self.needle = needle
        self.name = name

    async def check(self, output: str, ctx: CheckContext) -> Verdict:
        passed = self.needle in output
        reason = f"found {self.needle!r}" if passed else f"the answer does not contain {self.needle!r}"
        return Verdict(passed=passed, reason=reason, validator=self.name)


@dataclass
class Bench:
    emulator: Emulator
    store: CassetteStore
    registry: Registry
    clock: FakeClock = field(default_factory=FakeClock)
    sink: MemorySink = field(default_factory=MemorySink)
    providers: list[AnthropicProvider] = field(default_factory=list)

    def answer(self, prompt: str, text: str, *, model: str | None = None, turn: int = 1,
               usage: Usage = USAGE, **extra: Any) -> None:
        self.store.add(Cassette(fingerprint=prompt_fingerprint(None, prompt), model=model, turn=turn,
                                text=text, usage=usage, **extra))

    def router(self, policy: FallbackPolicy | None = None, registry: Registry | None = None,
               api_key: str | None = None, **options: Any) -> Router:
        provider = AnthropicProvider(api_key=api_key or self.emulator.api_key, base_url=self.emulator.base_url,
                                     timeout_s=10)
        self.providers.append(provider)
        return Router(policy or fast_policy(), {"anthropic": provider}, registry or self.registry,
                      sink=self.sink, clock=self.clock, **options)

    def models_seen(self) -> list[str | None]:
        """Model ids the emulator was asked for, in arrival order (None: rejected before reading it)."""
        return [r.model for r in self.emulator.requests]


def fast_policy(**settings: Any) -> FallbackPolicy:
    """Sonnet 4.6 -> Opus 4.6, no jitter so backoff sleeps are exact."""
    steps = settings.pop("steps", ({"model": CHEAP}, {"model": PREMIUM}))
    retry = {"initial_s": 1.0, "multiplier": 2.0, "jitter_s": 0.0} | settings.pop("retry", {})
    return FallbackPolicy(name="test", steps=steps, retry=retry, **settings)
