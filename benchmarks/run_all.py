"""Run every benchmark, print one Markdown table, write benchmarks/out/latest.json.

    .venv/bin/python benchmarks/run_all.py                 # the full run (README figures); needs setup_litellm.sh
    .venv/bin/python benchmarks/run_all.py --skip-litellm  # without the LiteLLM column
    .venv/bin/python benchmarks/run_all.py --quick --skip-litellm --out /tmp/x.json   # smoke sizes, seconds

Each script prints JSON lines `{"name": ..., <value>, ...}` where the value is `median_s`, `per_s`
or `median` (with `unit`), and, when it measured several runs itself, `min_s`/`max_s` (or
`min`/`max`). A script that reports single measurements is run several times here instead, and
the table shows the median of those runs with their min and max. Scripts run one after another,
never in parallel, so they do not disturb each other's figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import BENCH_DIR, REPO, load_average

VALUE_KEYS = ("median_s", "per_s", "median")
SPREAD_KEYS = (("min_s", "max_s"), ("min", "max"))
TIMEOUT_S = 1800

LITELLM_ONLY = ("overhead_litellm_router", "overhead_added_litellm", "overhead_ratio_ours_vs_litellm",
                "overhead_added_ratio_ours_vs_litellm")


@dataclass(frozen=True)
class Bench:
    script: str
    full: tuple[str, ...] = ()
    quick: tuple[str, ...] = ()
    runs: int = 1
    """How often run_all runs the script; above 1 for scripts whose figures are single measurements."""
    quick_runs: int = 1
    litellm_flag: bool = False
    expected: tuple[str, ...] = ()
    """Figure names the script must print (checked for our own scripts; colleagues' may evolve)."""


BENCHES = (
    Bench("bench_overhead.py", quick=("--calls", "30", "--warmup", "10", "--repeats", "2"), litellm_flag=True,
          expected=("overhead_raw_sdk", "overhead_our_router", "overhead_added_ours", *LITELLM_ONLY)),
    Bench("bench_throughput.py",
          quick=("--tasks", "100", "--concurrency", "16", "--latency-ms", "20", "--repeats", "1", "--no-tracemalloc"),
          expected=("throughput_wall", "throughput_raw_sdk_wall", "throughput_vs_ideal", "throughput_peak_rss")),
    Bench("bench_sandbox.py", full=("20",), quick=("2",)),
    Bench("bench_analyze.py", quick=("--attempts", "5000", "--single", "200", "--repeat", "2"), runs=3,
          quick_runs=1),
    Bench("bench_report.py", quick=("--repeat", "1")),
)


@dataclass
class Figure:
    name: str
    script: str
    value: float
    value_key: str
    low: float | None
    high: float | None
    runs: int | None
    record: dict[str, Any] = field(default_factory=dict)


def _value(record: dict[str, Any]) -> tuple[str, float] | None:
    for key in VALUE_KEYS:
        if isinstance(record.get(key), int | float) and not isinstance(record.get(key), bool):
            return key, float(record[key])
    return None


def _spread(record: dict[str, Any]) -> tuple[float | None, float | None]:
    for low, high in SPREAD_KEYS:
        if isinstance(record.get(low), int | float) and isinstance(record.get(high), int | float):
            return float(record[low]), float(record[high])
    return None, None


def parse_records(stdout: str) -> list[dict[str, Any]]:
    """The JSON objects with a `name` among a script's output lines; human lines are skipped."""
    records = []
    for line in stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and isinstance(record.get("name"), str):
            records.append(record)
    return records


def figures_of(script: str, runs: list[list[dict[str, Any]]]) -> list[Figure]:
    """One figure per name: as reported when run once; the median over runs (min..max) when run several times."""
    by_name: dict[str, list[dict[str, Any]]] = {}
    for records in runs:
        for record in records:
            by_name.setdefault(record["name"], []).append(record)
    figures = []
    for name, records in by_name.items():
        valued = [(rec, v) for rec in records if (v := _value(rec)) is not None]
        if not valued:
            continue
        key = valued[0][1][0]
        values = [v for _, (_, v) in valued]
        if len(values) == 1:
            low, high = _spread(valued[0][0])
            inner = valued[0][0].get("runs")
            figures.append(Figure(name, script, values[0], key, low, high,
                                  inner if isinstance(inner, int) else 1, valued[0][0]))
        else:
            figures.append(Figure(name, script, statistics.median(values), key, min(values), max(values),
                                  len(values), {**valued[-1][0], "all_values": values}))
    return figures


def _fmt(value: float | None, key: str, unit: str | None) -> str:
    if value is None:
        return "-"
    if key == "median_s" or unit == "s":
        if value < 0.01:
            return f"{value * 1e3:.3f} ms"
        return f"{value * 1e3:.1f} ms" if value < 1 else f"{value:.2f} s"
    if key == "per_s":
        return f"{value:,.0f} /s"
    if unit == "x":
        return f"{value:.3f}x"
    if unit == "MiB":
        return f"{value:.0f} MiB"
    return f"{value:.4g}" + (f" {unit}" if unit else "")


NOTE_KEYS = ("p99_s", "p90_s", "ideal_s", "cpu_in_run_s", "goal_s", "goal", "goal_met",
             "tracemalloc_peak_mib", "peak_rss_mib", "calls", "tasks", "html_bytes")


def _note(figure: Figure) -> str:
    parts = []
    for key in NOTE_KEYS:
        if key not in figure.record:
            continue
        value = figure.record[key]
        if key.endswith("_s") and isinstance(value, int | float):
            parts.append(f"{key[:-2]} {_fmt(float(value), 'median_s', None)}")
        elif key == "tracemalloc_peak_mib":
            parts.append(f"tracemalloc peak {value:.0f} MiB")
        elif key == "peak_rss_mib":
            parts.append(f"client peak RSS {value:.0f} MiB")
        elif key == "html_bytes":
            parts.append(f"html {value / 2**20:.1f} MiB")
        else:
            parts.append(f"{key} {value}")
    return ", ".join(parts)


def markdown_table(figures: list[Figure]) -> str:
    unit_of = {f.name: f.record.get("unit") for f in figures}
    lines = ["| benchmark | figure | median | spread (min - max) | runs | notes |", "|---|---|---|---|---|---|"]
    for f in figures:
        unit = unit_of[f.name] if isinstance(unit_of[f.name], str) else None
        low, high = _fmt(f.low, f.value_key, unit), _fmt(f.high, f.value_key, unit)
        spread = f"{low} - {high}" if f.low is not None else "-"
        lines.append(f"| {f.script.removesuffix('.py')} | {f.name} | {_fmt(f.value, f.value_key, unit)} | {spread} "
                     f"| {f.runs if f.runs is not None else '-'} | {_note(f)} |")
    return "\n".join(lines)


def run_script(bench: Bench, args: argparse.Namespace) -> tuple[list[list[dict[str, Any]]], str | None, float]:
    argv = [sys.executable, str(BENCH_DIR / bench.script), *(bench.quick if args.quick else bench.full)]
    if bench.litellm_flag and args.skip_litellm:
        argv.append("--skip-litellm")
    runs: list[list[dict[str, Any]]] = []
    started = time.perf_counter()
    for _ in range(bench.quick_runs if args.quick else bench.runs):
        print(f"$ {shlex.join(argv[1:])}", file=sys.stderr, flush=True)
        try:
            done = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            return runs, f"timed out after {TIMEOUT_S} s", time.perf_counter() - started
        if done.returncode != 0:
            return runs, f"exit {done.returncode}: {done.stderr.strip()[-1500:]}", time.perf_counter() - started
        records = parse_records(done.stdout)
        if not records:
            return runs, "printed no JSON figures", time.perf_counter() - started
        runs.append(records)
    return runs, None, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the scripts run, not the figures")
    parser.add_argument("--skip-litellm", action="store_true", help="no LiteLLM column in bench_overhead")
    parser.add_argument("--only", default="", help="comma-separated, e.g. overhead,throughput (default: all)")
    parser.add_argument("--out", type=Path, default=BENCH_DIR / "out" / "latest.json")
    args = parser.parse_args()
    only = {name.strip().removesuffix(".py").removeprefix("bench_") for name in args.only.split(",") if name.strip()}
    unknown = only - {b.script.removesuffix(".py").removeprefix("bench_") for b in BENCHES}
    if unknown:
        parser.error(f"--only: unknown benchmark(s) {', '.join(sorted(unknown))}")
    chosen = [b for b in BENCHES if (BENCH_DIR / b.script).exists()
              and (not only or b.script.removesuffix(".py").removeprefix("bench_") in only)]
    missing = [b.script for b in BENCHES if not (BENCH_DIR / b.script).exists()]

    started_at = datetime.now(UTC)
    load_before = load_average()
    figures: list[Figure] = []
    failures: dict[str, str] = {}
    durations: dict[str, float] = {}
    for bench in chosen:
        runs, error, elapsed = run_script(bench, args)
        durations[bench.script] = round(elapsed, 2)
        got = figures_of(bench.script, runs)
        figures += got
        names = {f.name for f in got}
        expected = [n for n in bench.expected if not (args.skip_litellm and n in LITELLM_ONLY)]
        absent = [n for n in expected if n not in names]
        if error is None and absent:
            error = f"missing figures: {', '.join(absent)}"
        if error is not None:
            failures[bench.script] = error
            print(f"FAILED {bench.script}: {error}", file=sys.stderr)

    table = markdown_table(figures)
    command = shlex.join(["python", "benchmarks/run_all.py", *sys.argv[1:]])
    report = {
        "date": started_at.isoformat(timespec="seconds"),
        "command": command,
        "quick": args.quick,
        "skip_litellm": args.skip_litellm,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "load_before": load_before,
        "load_after": load_average(),
        "durations_s": durations,
        "missing_scripts": missing,
        "failures": failures,
        "figures": [{"name": f.name, "script": f.script, "value": f.value, "value_key": f.value_key, "min": f.low,
                     "max": f.high, "runs": f.runs, "record": f.record} for f in figures],
        "table": table,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"Benchmarks, {started_at:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, load {load_before} -> "
          f"{report['load_after']}{' (QUICK sizes: not figures to quote)' if args.quick else ''}\n")
    print(table)
    print(f"\nwritten: {args.out}")
    if missing:
        print(f"not present, skipped: {', '.join(missing)}")
    for script, error in failures.items():
        print(f"FAILED {script}: {error}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
