"""Circuit breakers, one per model, shared by every task of a run.

When a model keeps failing transiently (overloaded, rate limited, 5xx), each task would
otherwise burn its retries and backoff budget on it before escalating. After `failure_threshold`
consecutive transient failures the breaker opens and steps on that model are skipped at once;
after `cooldown_s` it lets up to `half_open_probes` calls through, and one success closes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, PositiveInt

from harness.router.clock import Clock, SystemClock


class BreakerSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    failure_threshold: PositiveInt = 5
    cooldown_s: float = Field(default=30.0, ge=0)
    half_open_probes: PositiveInt = 1


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass
class _Breaker:
    state: BreakerState = BreakerState.CLOSED
    consecutive_failures: int = 0
    opened_at: float = 0.0
    probes_in_flight: int = 0


class BreakerBoard:
    """All breakers of a run. Single event loop: no awaits inside, so no locks are needed."""

    def __init__(self, settings: BreakerSettings | None = None, clock: Clock | None = None) -> None:
        self.settings = settings or BreakerSettings()
        self.clock = clock or SystemClock()
        self._breakers: dict[str, _Breaker] = {}

    def _get(self, model: str) -> _Breaker:
        return self._breakers.setdefault(model, _Breaker())

    def state(self, model: str) -> BreakerState:
        breaker = self._get(model)
        if breaker.state is BreakerState.OPEN and self._cooled_down(breaker):
            return BreakerState.HALF_OPEN
        return breaker.state

    def _cooled_down(self, breaker: _Breaker) -> bool:
        return self.clock.monotonic() - breaker.opened_at >= self.settings.cooldown_s

    def acquire(self, model: str) -> str | None:
        """Permission to call `model`: None if allowed, else why not (the skip reason).

        A granted half-open probe must be paired with `success`, `failure` or `release`.
        """
        breaker = self._get(model)
        if breaker.state is BreakerState.OPEN:
            if not self._cooled_down(breaker):
                remaining = self.settings.cooldown_s - (self.clock.monotonic() - breaker.opened_at)
                return (f"circuit open for {model} after {breaker.consecutive_failures} consecutive "
                        f"transient failures (half-open in {remaining:.0f}s)")
            breaker.state = BreakerState.HALF_OPEN
            breaker.probes_in_flight = 0
        if breaker.state is BreakerState.HALF_OPEN:
            if breaker.probes_in_flight >= self.settings.half_open_probes:
                return f"circuit half-open for {model}: {breaker.probes_in_flight} probe call(s) already in flight"
            breaker.probes_in_flight += 1
        return None

    def success(self, model: str) -> None:
        """The API answered (whatever validators think of the answer): close the breaker."""
        self._breakers[model] = _Breaker()

    def failure(self, model: str) -> None:
        """A transient failure; opens the breaker at the threshold, or re-opens a half-open one."""
        breaker = self._get(model)
        breaker.consecutive_failures += 1
        if breaker.state is BreakerState.HALF_OPEN or breaker.consecutive_failures >= self.settings.failure_threshold:
            breaker.state = BreakerState.OPEN
            breaker.opened_at = self.clock.monotonic()
            breaker.probes_in_flight = 0

    def release(self, model: str) -> None:
        """A call that neither proved nor disproved health (fatal error, cancelled): free its probe slot."""
        breaker = self._get(model)
        if breaker.state is BreakerState.HALF_OPEN and breaker.probes_in_flight > 0:
            breaker.probes_in_flight -= 1
