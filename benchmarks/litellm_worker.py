"""bench_overhead.py's peer worker: LiteLLM's Router, with a fallback configured, against the emulator.

    BENCH_EMULATOR_KEY=... benchmarks/.venv-litellm/bin/python benchmarks/litellm_worker.py BASE_URL CALLS WARMUP

Runs in LiteLLM's own venv (benchmarks/setup_litellm.sh), so it imports nothing from `harness`.
Everything that could call out is off: the local model-cost map, telemetry, callbacks; and any
proxy-aware HTTP client is pointed at a dead local port for everything except 127.0.0.1.
"""

from __future__ import annotations

import os

# Before `import litellm`: it reads these at import time.
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
os.environ["LITELLM_TELEMETRY"] = "False"
os.environ["LITELLM_LOG"] = "ERROR"
os.environ.setdefault("DISABLE_ROUTER_DEBUG_INFO", "True")
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
os.environ["HTTPS_PROXY"] = os.environ["https_proxy"] = "http://127.0.0.1:9"  # nothing outside gets through
os.environ["HTTP_PROXY"] = os.environ["http_proxy"] = "http://127.0.0.1:9"

import asyncio
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import litellm
from benchlib import CHEAP, KEY_ENV, MAX_TOKENS, PREMIUM, PROMPT, serve_batches

litellm.telemetry = False
litellm.suppress_debug_info = True
litellm.success_callback = []
litellm.failure_callback = []
litellm.callbacks = []
litellm.turn_off_message_logging = True


def build_router(base_url: str, key: str) -> Any:
    def deployment(name: str, model: str) -> dict[str, Any]:
        return {"model_name": name, "litellm_params": {
            "model": f"anthropic/{model}", "api_base": base_url, "api_key": key, "max_retries": 0}}

    return litellm.Router(
        model_list=[deployment("sonnet", CHEAP), deployment("opus", PREMIUM)],
        fallbacks=[{"sonnet": ["opus"]}],
        num_retries=0,
    )


async def timed(router: Any, count: int) -> list[float]:
    times: list[float] = []
    messages = [{"role": "user", "content": PROMPT}]
    for _ in range(count):
        started = time.perf_counter()
        response = await router.acompletion(model="sonnet", messages=messages, max_tokens=MAX_TOKENS)
        times.append(time.perf_counter() - started)
        if not response.choices[0].message.content:
            raise RuntimeError("LiteLLM returned an empty answer")
    return times


def main() -> None:
    base_url, calls, warmup = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    router = build_router(base_url, os.environ[KEY_ENV])
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.run_until_complete(timed(router, warmup))
    info = {"client": "litellm", "litellm": metadata.version("litellm"), "python": sys.version.split()[0]}
    serve_batches(info, lambda: {"times": loop.run_until_complete(timed(router, calls))})


if __name__ == "__main__":
    main()
