"""bench_overhead.py's worker in the project venv: sequential calls through (a) the raw SDK or (b) our Router.

    BENCH_EMULATOR_KEY=... .venv/bin/python benchmarks/overhead_worker.py raw|router BASE_URL CALLS WARMUP

Started by bench_overhead.py (see benchlib.Worker for the protocol); not meant to be run by hand.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import anthropic
from benchlib import CHEAP, KEY_ENV, MAX_TOKENS, PROMPT, serve_batches

from harness.models import load_registry
from harness.providers.anthropic import AnthropicProvider
from harness.router import FallbackPolicy, Router, Task
from validators import CheckContext, Verdict

Call = Callable[[], Awaitable[Any]]


class AlwaysPass:
    """The cheapest possible validator, so (b) measures routing, not checking."""

    name = "always_pass"

    async def check(self, output: str, ctx: CheckContext) -> Verdict:
        return Verdict(passed=True, reason="Always passes (benchmark).", validator=self.name)


def raw_call(base_url: str, key: str) -> Call:
    client = anthropic.AsyncAnthropic(api_key=key, base_url=base_url, max_retries=0)

    async def call() -> Any:
        return await client.messages.create(
            model=CHEAP, max_tokens=MAX_TOKENS, messages=[{"role": "user", "content": PROMPT}])

    return call


def router_call(base_url: str, key: str) -> Call:
    registry = load_registry()
    policy = FallbackPolicy.from_preset("default", registry)  # Sonnet 4.6 -> Opus 4.6
    router = Router(policy, {"anthropic": AnthropicProvider(api_key=key, base_url=base_url)}, registry, sink=None)
    validators = [AlwaysPass()]
    counter = iter(range(10**9))

    async def call() -> Any:
        result = await router.run(Task(id=f"t{next(counter)}", task_type="bench", prompt=PROMPT,
                                       validators=validators, max_tokens=MAX_TOKENS))
        if result.fallback_used or result.answered_by is None:
            raise RuntimeError(f"the first step should have answered: {result.escalation_reasons}")
        return result

    return call


async def timed(call: Call, count: int) -> list[float]:
    times: list[float] = []
    for _ in range(count):
        started = time.perf_counter()
        await call()
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    mode, base_url, calls, warmup = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    key = os.environ[KEY_ENV]
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    call = {"raw": raw_call, "router": router_call}[mode](base_url, key)
    loop.run_until_complete(timed(call, warmup))
    info = {"client": mode, "anthropic": anthropic.__version__, "python": sys.version.split()[0]}
    serve_batches(info, lambda: {"times": loop.run_until_complete(timed(call, calls))})


if __name__ == "__main__":
    main()
