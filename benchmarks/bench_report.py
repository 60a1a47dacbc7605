"""Time the HTML report for 10,000 task results (the issue's goal: under 5 s, under 20 MB).

Run: .venv/bin/python benchmarks/bench_report.py [--repeat N]
Prints one JSON line: {"name": "report_render_10000", "median_s": ..., ...}.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the repo's `reports`, and the test factory

from reports import render_html, render_junit  # noqa: E402
from tests.reports.reports_factory import build_results, large_tasks  # noqa: E402

TASKS = 10_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    results = build_results(large_tasks(TASKS))
    html_times, junit_times = [], []
    size = junit_size = 0
    for _ in range(args.repeat):
        start = time.perf_counter()
        html = render_html(results)
        html_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        junit = render_junit(results)
        junit_times.append(time.perf_counter() - start)
        size, junit_size = len(html.encode("utf-8")), len(junit.encode("utf-8"))
    print(json.dumps({
        "name": "report_render_10000", "median_s": round(statistics.median(html_times), 3),
        "min_s": round(min(html_times), 3), "max_s": round(max(html_times), 3), "runs": args.repeat,
        "html_bytes": size, "junit_median_s": round(statistics.median(junit_times), 3), "junit_bytes": junit_size,
    }))


if __name__ == "__main__":
    main()
