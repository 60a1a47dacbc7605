"""The benchmark suite runs and its output is well formed (quick sizes, no LiteLLM). Not a timing test."""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "benchmarks"


def _run_all_module() -> ModuleType:
    """benchmarks/run_all.py imported by path (benchmarks/ is scripts, not a package)."""
    if "bench_run_all" in sys.modules:
        return sys.modules["bench_run_all"]
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("bench_run_all", BENCH / "run_all.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_run_all"] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCH))


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    out = tmp_path_factory.mktemp("bench") / "latest.json"
    done = subprocess.run(
        [sys.executable, str(BENCH / "run_all.py"), "--quick", "--skip-litellm", "--out", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, f"run_all failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return json.loads(out.read_text(encoding="utf-8")), done.stdout


def test_every_present_benchmark_reports_its_figures(quick_run: tuple[dict[str, Any], str]) -> None:
    report, _ = quick_run
    run_all = _run_all_module()
    assert report["failures"] == {}
    assert report["quick"] is True and report["skip_litellm"] is True
    names = {f["name"] for f in report["figures"]}
    scripts = {f["script"] for f in report["figures"]}
    for bench in run_all.BENCHES:
        if (BENCH / bench.script).exists():
            assert bench.script in scripts, f"{bench.script} reported no figure"
            expected = [n for n in bench.expected if n not in run_all.LITELLM_ONLY]
            assert set(expected) <= names, f"{bench.script}: missing {set(expected) - names}"
    assert not names & set(run_all.LITELLM_ONLY), "--skip-litellm must leave the LiteLLM figures out"


def test_figures_are_positive_numbers_with_consistent_spread(quick_run: tuple[dict[str, Any], str]) -> None:
    report, _ = quick_run
    for figure in report["figures"]:
        value = figure["value"]
        assert isinstance(value, int | float) and math.isfinite(value), figure
        if figure["min"] is not None:
            assert figure["min"] <= value <= figure["max"], figure
        if not figure["record"].get("signed"):  # differences of noisy medians may dip below 0 at quick sizes
            assert value > 0 and (figure["min"] is None or figure["min"] > 0), figure
        assert figure["runs"] is None or figure["runs"] >= 1
    by_name = {f["name"]: f for f in report["figures"]}
    for name in ("overhead_raw_sdk", "overhead_our_router"):  # every batch's p99 >= its median
        assert by_name[name]["record"]["p99_s"] >= by_name[name]["value"]
    assert by_name["throughput_wall"]["record"]["ideal_s"] > 0
    assert by_name["throughput_peak_rss"]["record"]["unit"] == "MiB"


def test_the_table_prints_one_row_per_figure(quick_run: tuple[dict[str, Any], str]) -> None:
    report, stdout = quick_run
    assert "| benchmark | figure | median | spread (min - max) | runs | notes |" in stdout
    rows = [line for line in stdout.splitlines() if line.startswith("| bench_")]
    assert len(rows) == len(report["figures"])
    assert report["table"] in stdout
    assert "QUICK sizes" in stdout


def test_records_of_repeated_runs_become_median_with_spread() -> None:
    run_all = _run_all_module()
    runs = [run_all.parse_records(text) for text in (
        'human line\n{"name": "rate", "per_s": 10}\n{"no": "name"}\n',
        '{"name": "rate", "per_s": 30}\nnot json {\n',
        '{"name": "rate", "per_s": 20}\n',
    )]
    (figure,) = run_all.figures_of("bench_x.py", runs)
    assert (figure.value, figure.low, figure.high, figure.runs) == (20, 10, 30, 3)
    (single,) = run_all.figures_of("bench_y.py", [run_all.parse_records(
        '{"name": "t", "median_s": 0.5, "min_s": 0.4, "max_s": 0.9, "runs": 5}')])
    assert (single.value, single.low, single.high, single.runs) == (0.5, 0.4, 0.9, 5)
    assert "| bench_y | t | 500.0 ms | 400.0 ms - 900.0 ms | 5 |" in run_all.markdown_table([single])
