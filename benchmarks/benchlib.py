"""Shared by the benchmark scripts: statistics, JSON-line output, and long-lived worker processes.

Standard library only, so the LiteLLM worker (its own venv, no `harness` installed) can import it.
A worker is a child process that does its set-up once (imports, client, warm-up) and then runs
one batch per `run` line on its stdin, answering with one JSON line on its stdout; the parent
interleaves batches of several workers so slow drifts in machine load hit every client alike.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
KEY_ENV = "BENCH_EMULATOR_KEY"
"""The emulator's own throwaway key reaches workers through the environment, not argv (no `ps` leak)."""

PROMPT = "Reply with one short sentence about caching."
MAX_TOKENS = 256
CHEAP, PREMIUM = "claude-sonnet-4-6", "claude-opus-4-6"


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def spread(values: Sequence[float]) -> dict[str, float]:
    """Median of several runs with their min and max: how a figure is reported everywhere here."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def emit(name: str, **figures: Any) -> None:
    """One JSON line per figure: `{"name": ..., "median_s": ..., ...}` (what run_all.py collects)."""
    print(json.dumps({"name": name, **figures}), flush=True)


def maxrss_mib() -> float:
    """This process's peak resident memory so far (Linux reports KiB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


class Worker:
    """A child process speaking the `run` / JSON-line protocol described in this module's docstring."""

    def __init__(self, label: str, argv: Sequence[str], env: Mapping[str, str] | None = None,
                 cwd: Path = REPO) -> None:
        self.label = label
        self._proc = subprocess.Popen(
            list(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=sys.stderr, text=True,
            env={**os.environ, **(env or {})}, cwd=cwd, bufsize=1,
        )
        self.ready: dict[str, Any] = {}

    def wait_ready(self) -> dict[str, Any]:
        """The worker's first line: its set-up (imports, client, warm-up) is done, and what it runs."""
        if not self.ready:
            self.ready = self._read()
        return self.ready

    def _read(self) -> dict[str, Any]:
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            code = self._proc.wait(timeout=30)
            raise RuntimeError(f"benchmark worker {self.label!r} exited (code {code}) without answering")
        result: dict[str, Any] = json.loads(line)
        if "error" in result:
            raise RuntimeError(f"benchmark worker {self.label!r} failed: {result['error']}")
        return result

    def run(self) -> dict[str, Any]:
        assert self._proc.stdin is not None
        self._proc.stdin.write("run\n")
        self._proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self._proc.stdin is not None and not self._proc.stdin.closed:
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=10)


def serve_batches(setup_info: dict[str, Any], batch: Any) -> None:
    """The worker side: announce readiness, then one `batch()` result per `run` line until EOF."""
    print(json.dumps(setup_info), flush=True)
    for line in sys.stdin:
        if line.strip() != "run":
            continue
        try:
            result = {**batch(), "maxrss_mib": maxrss_mib()}
        except Exception as exc:  # reported to the parent, which stops with this message
            result = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(result), flush=True)
