"""Telemetry at scale: insert rates and `analyze` time on 1,000,000 attempts.

    .venv/bin/python benchmarks/bench_analyze.py [--attempts 1000000] [--single 20000] [--repeat 5]

Seeded synthetic history: 90 days, 12 task types with cheap-tier success from 30% to 98%,
Sonnet 4.6 first, Opus 4.6 on rejection (one repair on the cheap step for some). Prints one JSON
line per figure ({"name", "median_s" or "per_s"}) and a human line. Goal: analyze < 2 s.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from harness.models import load_registry
from harness.telemetry import AttemptRecord, RunRecord, TelemetryStore, analyze
from harness.telemetry.store import to_us

CHEAP, PREMIUM = "claude-sonnet-4-6", "claude-opus-4-6"
START = datetime(2026, 8, 1, tzinfo=UTC)
DAYS = 90
TASK_TYPES = {f"type_{i:02d}": 0.30 + i * 0.06 for i in range(12)}  # cheap-tier success 30% .. 96%
TASKS_PER_RUN = 1_000
# Pico-dollars per token (USD per million x 10**6): input, output.
PRICES = {CHEAP: (3_000_000, 15_000_000), PREMIUM: (5_000_000, 25_000_000)}


def _emit(name: str, human: str, **figures: float) -> None:
    print(json.dumps({"name": name, **figures}))
    print(f"  {human}")


def _run(run_id: str, started_at: datetime) -> RunRecord:
    return RunRecord(run_id=run_id, suite="bench", policy="default", policy_chain=(CHEAP, PREMIUM),
                     baseline_model=PREMIUM, offline=False, data_label="benchmark", started_at=started_at)


Rows = list[tuple[Any, ...]]


def _history(rng: random.Random, attempts: int) -> Iterator[tuple[RunRecord, Rows, Rows]]:
    """(run, task rows, attempt rows) per run, in the store's column order, until `attempts` are made."""
    made = 0
    run_no = 0
    kinds = list(TASK_TYPES)
    while made < attempts:
        run_id = f"bench-{run_no:05d}"
        started_at = START + timedelta(days=(run_no * 0.13) % DAYS)
        run_start = to_us(started_at)
        tasks: Rows = []
        rows: Rows = []
        for n in range(TASKS_PER_RUN):
            if made >= attempts:
                break
            kind = kinds[n % len(kinds)]
            key = f"{kind}-{n}#1"
            t0 = run_start + n * 2_000_000
            tin, tout = rng.randint(500, 4000), rng.randint(100, 1500)
            baseline = tin * PRICES[PREMIUM][0] + tout * PRICES[PREMIUM][1]
            steps = [(0, CHEAP, False)]
            cheap_ok = rng.random() < TASK_TYPES[kind]
            if not cheap_ok:
                if rng.random() < 0.3:
                    steps.append((0, CHEAP, True))
                steps.append((1, PREMIUM, False))
            cost = 0
            for seq, (step, model, repair) in enumerate(steps):
                if made >= attempts:
                    break
                last = seq == len(steps) - 1
                price_in, price_out = PRICES[model]
                c = tin * price_in + tout * price_out
                cost += c
                outcome = "accepted" if last else "rejected"
                rows.append((run_id, key, seq, step, model, model, outcome, "ok" if last else "validator said no",
                             "json" if not last else None, None, int(repair), tin, tout, 0, 0, 0, c, 1.5, None,
                             None if last else "rejected: json", f"{kind}-{n}", kind, t0 + seq, t0 + seq + 1))
                made += 1
            tasks.append((run_id, key, f"{kind}-{n}", kind, 1, 1, int(not cheap_ok), int(cheap_ok), steps[-1][1],
                          CHEAP, cost, baseline, 1.5 * len(steps), "[]", "ok", "", None, t0, t0 + len(steps)))
        yield _run(run_id, started_at), tasks, rows
        run_no += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--single", type=int, default=20_000, help="attempts written one by one (record_attempt)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(20261127)
    registry = load_registry()
    with tempfile.TemporaryDirectory() as tmp:
        # The normal path: one committed transaction per attempt, as the runner writes them.
        with TelemetryStore(Path(tmp) / "single.db") as store:
            store.begin_run(_run("single", START))
            records = [AttemptRecord(
                run_id="single", task_key=f"s{i}#1", seq=0, step=0, model_requested=CHEAP, model_reported=CHEAP,
                outcome="accepted", cost_usd=Decimal("0.0135"), input_tokens=2000, output_tokens=500,
                scenario_id=f"s{i}", task_type="single", started_at=START, finished_at=START)
                for i in range(args.single)]
            began = time.perf_counter()
            for record in records:
                store.record_attempt(record)
            elapsed = time.perf_counter() - began
        _emit("record_attempt", f"record_attempt: {args.single / elapsed:,.0f} attempts/s "
              f"({args.single:,} commits in {elapsed:.2f} s)", per_s=args.single / elapsed)

        db = Path(tmp) / "bulk.db"
        with TelemetryStore(db) as store:
            began = time.perf_counter()
            for run, tasks, rows in _history(rng, args.attempts):
                store.begin_run(run)
                store.bulk_import(tasks, rows)
            elapsed = time.perf_counter() - began
        _emit("bulk_import", f"bulk_import: {args.attempts / elapsed:,.0f} attempts/s incl. generation "
              f"({args.attempts:,} attempts in {elapsed:.1f} s, {db.stat().st_size / 1e6:.0f} MB)",
              per_s=args.attempts / elapsed)

        with TelemetryStore(db) as store:
            for label, kwargs in (("all", {}), ("30 days", {"since": START + timedelta(days=60)}),
                                  ("one task type", {"task_type": "type_03"})):
                times = []
                for _ in range(args.repeat):
                    began = time.perf_counter()
                    result = analyze(store, registry=registry, **kwargs)  # type: ignore[arg-type]
                    times.append(time.perf_counter() - began)
                median = statistics.median(times)
                _emit(f"analyze {label}", f"analyze ({label}): median {median:.3f} s over {args.repeat} runs; "
                      f"{result.calls:,} calls, {result.tasks:,} tasks", median_s=median)


if __name__ == "__main__":
    main()
