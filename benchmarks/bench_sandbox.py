"""How long one `python_tests` check takes (sandbox + pytest, 5 tests), median and p90 over N runs.

Run from the repo root: .venv/bin/python -m benchmarks.bench_sandbox [N]   (a measurement, not a timed test)
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import validators

ANSWER = "```python\ndef add(a, b):\n    return a + b\n```"
TESTS = """from solution import add

def test_small(): assert add(1, 2) == 3
def test_zero(): assert add(0, 0) == 0
def test_negative(): assert add(-1, 1) == 0
def test_big(): assert add(10**6, 1) == 1000001
def test_floats(): assert add(0.5, 0.25) == 0.75
"""


async def measure(runs: int) -> list[float]:
    with tempfile.TemporaryDirectory() as folder:
        await asyncio.to_thread(Path(folder, "test_hidden.py").write_text, TESTS)
        ctx = validators.CheckContext(fixtures_dir=Path(folder))
        validator = validators.build({"python_tests": {"tests": "test_hidden.py"}})
        await validator.check(ANSWER, ctx)  # warm-up: isolation probe, OS file cache
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            verdict = await validator.check(ANSWER, ctx)
            times.append(time.perf_counter() - started)
            if not verdict.passed:
                raise SystemExit(f"benchmark answer failed: {verdict.reason}")
        return times


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    times = asyncio.run(measure(runs))
    median = statistics.median(times)
    p90 = statistics.quantiles(times, n=10)[-1] if runs >= 2 else times[0]
    print(json.dumps({"name": "python_tests_check", "median_s": round(median, 4), "p90_s": round(p90, 4),
                      "min_s": round(min(times), 4), "max_s": round(max(times), 4), "runs": runs}))
    print(f"python_tests (5 tests, sandboxed): median {median:.3f} s, p90 {p90:.3f} s over {runs} runs")


if __name__ == "__main__":
    main()
