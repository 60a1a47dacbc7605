"""Per-call overhead of our Router vs the raw SDK and LiteLLM's Router, on the emulator at zero latency.

    .venv/bin/python benchmarks/bench_overhead.py [--calls 500] [--warmup 200] [--repeats 9] [--skip-litellm]

Three clients, each in its own process, call the same emulator (127.0.0.1, no added latency,
served from this process, which does nothing else meanwhile), sequentially, one call at a time:
  (a) raw `anthropic.AsyncAnthropic(max_retries=0).messages.create`
  (b) our `Router` with the default two-step policy (Sonnet 4.6 -> Opus 4.6), an always-pass validator
  (c) LiteLLM's `Router` with two anthropic deployments and fallbacks=[{"sonnet": ["opus"]}]
      (pinned, in benchmarks/.venv-litellm: run benchmarks/setup_litellm.sh first)
Batches are interleaved (a, b, c, then rotated) so drifts in machine load hit every client alike.
Each figure is the median over repeats of the per-batch median (or p99), with min and max.
Goal: our added overhead (b - a) under 1 ms per call at the median.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import BENCH_DIR, KEY_ENV, Worker, emit, load_average, percentile, spread

from harness.emulator import Emulator

LITELLM_PYTHON = BENCH_DIR / ".venv-litellm" / "bin" / "python"
GOAL_S = 0.001


def _figure(name: str, values: list[float], **extra: object) -> None:
    s = spread(values)
    emit(name, median_s=s["median"], min_s=s["min"], max_s=s["max"], runs=len(values), **extra)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500, help="timed calls per batch (per client, per repeat)")
    parser.add_argument("--warmup", type=int, default=200, help="untimed calls per client before the first batch")
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--skip-litellm", action="store_true")
    args = parser.parse_args()
    if args.calls < 1 or args.repeats < 1 or args.warmup < 0:
        parser.error("--calls and --repeats must be at least 1, --warmup at least 0")
    if not args.skip_litellm and not LITELLM_PYTHON.exists():
        parser.error(f"{LITELLM_PYTHON} is missing: run benchmarks/setup_litellm.sh, or pass --skip-litellm")

    medians: dict[str, list[float]] = {}
    p99s: dict[str, list[float]] = {}
    rss: dict[str, float] = {}
    load_before = load_average()
    with Emulator() as emulator:
        env = {KEY_ENV: emulator.api_key}
        counts = [str(args.calls), str(args.warmup)]
        project_python = sys.executable
        workers = [Worker(mode, [project_python, str(BENCH_DIR / "overhead_worker.py"), mode, emulator.base_url,
                                 *counts], env) for mode in ("raw", "router")]
        if not args.skip_litellm:
            workers.append(Worker("litellm", [str(LITELLM_PYTHON), str(BENCH_DIR / "litellm_worker.py"),
                                              emulator.base_url, *counts], env))
        try:
            for worker in workers:  # started together above, so their imports and warm-ups overlap
                worker.wait_ready()
            for repeat in range(args.repeats):
                shift = repeat % len(workers)
                for worker in workers[shift:] + workers[:shift]:
                    batch = worker.run()
                    times = batch["times"]
                    rss[worker.label] = max(rss.get(worker.label, 0.0), batch["maxrss_mib"])
                    medians.setdefault(worker.label, []).append(statistics.median(times))
                    p99s.setdefault(worker.label, []).append(percentile(times, 99))
        finally:
            for worker in workers:
                worker.close()
        versions = {w.label: w.ready for w in workers}
    common = {"calls": args.calls, "warmup": args.warmup, "load_before": load_before, "load_after": load_average()}

    labels = {"raw": "overhead_raw_sdk", "router": "overhead_our_router", "litellm": "overhead_litellm_router"}
    for label, name in labels.items():
        if label in medians:
            _figure(name, medians[label], p99_s=statistics.median(p99s[label]), p99_min_s=min(p99s[label]),
                    p99_max_s=max(p99s[label]), peak_rss_mib=rss[label], **common, versions=versions[label])
    ours = [b - a for a, b in zip(medians["raw"], medians["router"], strict=True)]
    # A difference of two noisy medians: it can come out negative in a tiny (--quick) run, hence "signed".
    _figure("overhead_added_ours", ours, signed=True, goal_s=GOAL_S, goal_met=statistics.median(ours) < GOAL_S)
    if "litellm" in medians:
        theirs = [c - a for a, c in zip(medians["raw"], medians["litellm"], strict=True)]
        _figure("overhead_added_litellm", theirs, signed=True)
        ratio = [b / c for b, c in zip(medians["router"], medians["litellm"], strict=True)]
        s = spread(ratio)
        emit("overhead_ratio_ours_vs_litellm", median=s["median"], min=s["min"], max=s["max"], runs=len(ratio),
             unit="x", meaning="our time per call / LiteLLM's time per call (below 1: we are faster)")
        added = [o / t for o, t in zip(ours, theirs, strict=True)]
        s = spread(added)
        emit("overhead_added_ratio_ours_vs_litellm", median=s["median"], min=s["min"], max=s["max"], runs=len(added),
             unit="x", signed=True, meaning="our added overhead / LiteLLM's added overhead, both vs the raw SDK")

    print(f"  raw SDK {statistics.median(medians['raw']) * 1e3:.3f} ms/call, our Router "
          f"{statistics.median(medians['router']) * 1e3:.3f} ms/call: added {statistics.median(ours) * 1e3:.3f} ms "
          f"(goal < {GOAL_S * 1e3:g} ms)" + (
              f"; LiteLLM Router {statistics.median(medians['litellm']) * 1e3:.3f} ms/call"
              if "litellm" in medians else "; LiteLLM skipped"))


if __name__ == "__main__":
    main()
