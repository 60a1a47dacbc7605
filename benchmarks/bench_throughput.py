"""Wall time of our runner for 1,000 tasks at concurrency 64, against the emulator with 200 ms added latency.

    .venv/bin/python benchmarks/bench_throughput.py [--tasks 1000] [--concurrency 64] [--latency-ms 200] [--repeats 5]

The emulator is served from this process; each repeat runs the runner in a fresh child process
(so its peak memory is the runner's alone), as a real run does: `open_router` (AnthropicProvider
behind a per-model limit of `--concurrency`, so all 64 may be in flight to Sonnet at once), the
default policy, `SuiteRun` with telemetry on in a temporary SQLite database. The tasks are 10
synthetic scenarios x N/10 trials with cheap text validators that the emulator's answer passes, so
every task is one call and the ideal wall time is tasks x latency / concurrency. Interleaved with
each repeat, the same calls through a bare `AsyncAnthropic` under an asyncio semaphore give the
floor that the SDK and its HTTP pool alone reach on this machine.
Goal: within 1.3x of ideal. Peak memory is the child's `ru_maxrss`; tracemalloc's peak of Python
allocations during the run is reported beside it (tracemalloc slows the run, so it is a separate run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import CHEAP, KEY_ENV, PROMPT, emit, load_average, spread

GOAL_RATIO = 1.3
SCENARIOS = 10
TASK_TYPES = ("code_generation", "documentation", "debugging", "code_review", "refactoring")
SCENARIO_YAML = """\
title: Throughput benchmark scenario {index}
task_type: {task_type}
tags: [full, bench]
prompt: |
  Benchmark task {index}: reply with one short sentence about caching.
validators:
  - contains: {{any_of: ["Emulator default answer"]}}
  - max_length: {{chars: 2000}}
max_tokens: 512
"""


def write_scenarios(folder: Path) -> None:
    for index in range(SCENARIOS):
        text = SCENARIO_YAML.format(index=index, task_type=TASK_TYPES[index % len(TASK_TYPES)])
        (folder / f"bench_{index:02d}.yaml").write_text(text, encoding="utf-8")


async def run_suite(base_url: str, key: str, tasks: int, concurrency: int, folder: Path) -> dict[str, object]:
    """The runner as `harness run` wires it; returns the wall time of `SuiteRun.run` and what was stored."""
    from harness.models import load_registry
    from harness.router import FallbackPolicy
    from harness.runner.backend import Backend
    from harness.runner.engine import SuiteRun, plan_trials
    from harness.runner.session import open_router
    from harness.scenarios.scenario import load_suite
    from harness.telemetry import RunRecord, TelemetryStore

    write_scenarios(folder)
    scenarios = load_suite(folder)
    trials = plan_trials(scenarios, tasks // len(scenarios))
    registry = load_registry()
    policy = FallbackPolicy.from_preset("default", registry)
    backend = Backend(offline=True, data_label="benchmark: emulator with added latency", base_url=base_url,
                      api_key=key)
    run = RunRecord(run_id="bench-throughput", suite="bench", policy=policy.name,
                    policy_chain=tuple(s.model_id for s in policy.steps), baseline_model=policy.steps[-1].model_id,
                    offline=True, data_label=backend.data_label, started_at=datetime.now(UTC),
                    trials=tasks // len(scenarios))
    with TelemetryStore(folder / "telemetry.db") as store:
        store.begin_run(run)
        async with open_router(backend, policy, registry, store, run.run_id, per_model=concurrency) as router:
            suite_run = SuiteRun(router=router, store=store, run_id=run.run_id, baseline_model=run.baseline_model,
                                 concurrency=concurrency)
            started, cpu = time.perf_counter(), time.process_time()
            await suite_run.run(trials)
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        store.finish_run(run.run_id, "complete")
        stored = store.tasks_for_run(run.run_id)
        attempts = store.attempts_for_run(run.run_id)
    passed = sum(t.passed for t in stored)
    first_tier = sum(t.cheap_tier_passed for t in stored)
    if len(stored) != len(trials) or passed != len(trials) or first_tier != len(trials):
        raise RuntimeError(f"expected {len(trials)} tasks all settled by the first step; stored {len(stored)}, "
                           f"passed {passed}, first-tier {first_tier}, stop reason {suite_run.stop_reason}")
    return {"wall_s": wall, "run_cpu_s": cpu, "tasks": len(trials), "attempts": len(attempts)}


async def run_raw(base_url: str, key: str, tasks: int, concurrency: int) -> dict[str, object]:
    """The floor: the same number of bare SDK calls under the same concurrency, no router, no telemetry."""
    import anthropic

    slots = asyncio.Semaphore(concurrency)
    async with anthropic.AsyncAnthropic(api_key=key, base_url=base_url, max_retries=0) as client:
        async def one() -> None:
            async with slots:
                await client.messages.create(model=CHEAP, max_tokens=512,
                                             messages=[{"role": "user", "content": PROMPT}])

        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one() for _ in range(tasks)))
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"wall_s": wall, "run_cpu_s": cpu, "tasks": tasks, "attempts": tasks}


def worker(args: argparse.Namespace) -> None:
    """Child side: one run, then one JSON line with its wall time, CPU time and peak memory."""
    key = os.environ[KEY_ENV]
    with tempfile.TemporaryDirectory(prefix="bench-throughput-") as tmp:
        if args.tracemalloc:
            tracemalloc.start()
        cpu = time.process_time()
        if args.raw:
            result = asyncio.run(run_raw(args.base_url, key, args.tasks, args.concurrency))
        else:
            result = asyncio.run(run_suite(args.base_url, key, args.tasks, args.concurrency, Path(tmp)))
        result["process_cpu_s"] = time.process_time() - cpu  # set-up and imports included
        if args.tracemalloc:
            result["tracemalloc_peak_bytes"] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    result["maxrss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    print(json.dumps(result), flush=True)


def run_child(base_url: str, key: str, args: argparse.Namespace, *, trace: bool = False,
              raw: bool = False) -> dict[str, float]:
    argv = [sys.executable, str(Path(__file__).resolve()), "--worker", "--base-url", base_url,
            "--tasks", str(args.tasks), "--concurrency", str(args.concurrency)]
    argv += (["--tracemalloc"] if trace else []) + (["--raw"] if raw else [])
    done = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, KEY_ENV: key},
                          timeout=600, check=False)
    if done.returncode != 0:
        raise SystemExit(f"throughput worker failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1000, help=f"a multiple of {SCENARIOS}")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency-ms", type=float, default=200.0)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-tracemalloc", action="store_true", help="skip the extra run under tracemalloc")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tracemalloc", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--raw", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--base-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tasks < SCENARIOS or args.tasks % SCENARIOS or args.concurrency < 1 or args.repeats < 1:
        parser.error(f"--tasks must be a positive multiple of {SCENARIOS}; --concurrency, --repeats at least 1")
    if args.worker:
        worker(args)
        return

    from harness.emulator import Emulator, FaultPlan

    ideal = args.tasks * args.latency_ms / 1000 / args.concurrency
    load_before = load_average()
    with Emulator(faults=FaultPlan(latency_ms=args.latency_ms)) as emulator:
        runs, raws = [], []
        for _ in range(args.repeats):  # interleaved, so load drifts hit both alike
            runs.append(run_child(emulator.base_url, emulator.api_key, args))
            raws.append(run_child(emulator.base_url, emulator.api_key, args, raw=True))
        traced = None if args.no_tracemalloc else run_child(emulator.base_url, emulator.api_key, args, trace=True)
    walls = [r["wall_s"] for r in runs]
    s = spread(walls)
    common = {"tasks": args.tasks, "concurrency": args.concurrency, "latency_ms": args.latency_ms,
              "load_before": load_before, "load_after": load_average()}
    emit("throughput_wall", median_s=s["median"], min_s=s["min"], max_s=s["max"],
         runs=len(walls), ideal_s=ideal, attempts=runs[0]["attempts"],
         cpu_in_run_s=statistics.median(r_["run_cpu_s"] for r_ in runs),
         process_cpu_s=statistics.median(r_["process_cpu_s"] for r_ in runs), **common)
    raw_walls = [r_["wall_s"] for r_ in raws]
    w = spread(raw_walls)
    emit("throughput_raw_sdk_wall", median_s=w["median"], min_s=w["min"], max_s=w["max"], runs=len(raw_walls),
         ideal_s=ideal, meaning="same calls, bare AsyncAnthropic + semaphore: the floor without router or telemetry",
         cpu_in_run_s=statistics.median(r_["run_cpu_s"] for r_ in raws),
         process_cpu_s=statistics.median(r_["process_cpu_s"] for r_ in raws), **common)
    ratios = [w / ideal for w in walls]
    r = spread(ratios)
    emit("throughput_vs_ideal", median=r["median"], min=r["min"], max=r["max"], runs=len(ratios), unit="x",
         goal=GOAL_RATIO, goal_met=r["median"] <= GOAL_RATIO, meaning="wall time / (tasks x latency / concurrency)")
    rss = [r_["maxrss_bytes"] / 2**20 for r_ in runs]
    m = spread(rss)
    figures: dict[str, object] = {}
    if traced is not None:
        figures["tracemalloc_peak_mib"] = traced["tracemalloc_peak_bytes"] / 2**20
    emit("throughput_peak_rss", median=m["median"], min=m["min"], max=m["max"], runs=len(rss), unit="MiB",
         meaning="runner process ru_maxrss (emulator excluded)", **figures)
    print(f"  {args.tasks} tasks at concurrency {args.concurrency}, {args.latency_ms:g} ms latency: median "
          f"{statistics.median(walls):.2f} s (ideal {ideal:.2f} s, {r['median']:.2f}x; goal <= {GOAL_RATIO}x; bare SDK "
          f"{w['median']:.2f} s), peak RSS {m['median']:.0f} MiB")


if __name__ == "__main__":
    main()
