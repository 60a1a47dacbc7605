"""`harness gate`: one test per threshold (pass and miss) and per exit code, through the real CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.cli import main
from harness.results import RunResults
from reports import GateThresholds, evaluate
from tests.reports.reports_factory import build_results, sample_tasks

WriteResults = Callable[[RunResults], Path]


@pytest.fixture(autouse=True)
def no_project_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HARNESS_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)


def _config(tmp_path: Path, gate: str) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.harness.gate]\n{gate}\n", encoding="utf-8")


# results: success 0.8 (CI 0.490-0.943), cost $0.128 over 10 tasks, fallback 0.3, savings 33.33%
@pytest.mark.parametrize(("flags", "name"), [
    (["--min-success", "0.8"], "success rate"),
    (["--min-success", "0.49", "--on-lower-bound"], "success rate (95% lower bound)"),
    (["--max-cost", "0.128"], "total cost"),
    (["--max-cost-per-task", "0.0128"], "cost per task"),
    (["--max-fallback-rate", "0.3"], "fallback rate"),
    (["--min-savings", "33"], "savings vs all-premium estimate"),
])
def test_each_threshold_passes_at_its_edge(write_results: WriteResults, results: RunResults,
                                           capsys: pytest.CaptureFixture[str], flags: list[str], name: str) -> None:
    assert main(["gate", str(write_results(results)), *flags]) == 0
    out = capsys.readouterr().out
    assert f"ok   {name}:" in out and "gate passed" in out


@pytest.mark.parametrize(("flags", "line"), [
    (["--min-success", "0.81"], "MISS success rate: 80.0% (threshold >= 81.0%)"),
    (["--min-success", "0.5", "--on-lower-bound"], "MISS success rate (95% lower bound): 49.0% (threshold >= 50.0%)"),
    (["--max-cost", "0.1"], "MISS total cost: $0.1280 (threshold <= $0.1000)"),
    (["--max-cost-per-task", "0.01"], "MISS cost per task: $0.0128 (threshold <= $0.0100)"),
    (["--max-fallback-rate", "0.25"], "MISS fallback rate: 30.0% (threshold <= 25.0%)"),
    (["--min-savings", "40"], "MISS savings vs all-premium estimate: 33.3% (threshold >= 40.0%)"),
])
def test_each_threshold_miss_exits_1_with_actual_vs_threshold(
        write_results: WriteResults, results: RunResults, capsys: pytest.CaptureFixture[str],
        flags: list[str], line: str) -> None:
    assert main(["gate", str(write_results(results)), *flags]) == 1
    out = capsys.readouterr().out
    assert line in out and "gate failed: 1 threshold(s) missed" in out


def test_thresholds_from_pyproject_and_flags_override(tmp_path: Path, write_results: WriteResults,
                                                      results: RunResults) -> None:
    _config(tmp_path, "min_success = 0.9\nmax_cost = 1.0")
    path = str(write_results(results))
    assert main(["gate", path]) == 1
    assert main(["gate", path, "--min-success", "0.75"]) == 0


def test_json_outcome(write_results: WriteResults, results: RunResults, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gate", str(write_results(results)), "--max-cost", "0.1", "--max-fallback-rate", "0.5",
                 "--json"]) == 1
    outcome = json.loads(capsys.readouterr().out)
    assert outcome["passed"] is False and outcome["exit_code"] == 1 and outcome["complete"] is True
    assert [(c["name"], c["passed"]) for c in outcome["checks"]] == [("total cost", False), ("fallback rate", True)]
    assert outcome["checks"][0]["actual"] == results.actual_cost_usd


def test_incomplete_run_exits_3_with_stop_reason(write_results: WriteResults,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    run = build_results(sample_tasks(), complete=False, stop_reason="API unreachable: connection refused")
    assert main(["gate", str(write_results(run)), "--min-success", "0.5"]) == 3
    out = capsys.readouterr().out
    assert "INCOMPLETE run: API unreachable: connection refused" in out and "could not complete" in out


@pytest.mark.parametrize(("gate", "field"), [
    ("min_success = 1.5", "min_success"),
    ("max_cost = -1", "max_cost"),
    ("min_sucess = 0.9", "min_sucess"),
    ('max_fallback_rate = "lots"', "max_fallback_rate"),
])
def test_bad_config_exits_2_naming_the_field(tmp_path: Path, write_results: WriteResults, results: RunResults,
                                             capsys: pytest.CaptureFixture[str], gate: str, field: str) -> None:
    _config(tmp_path, gate)
    assert main(["gate", str(write_results(results))]) == 2
    err = capsys.readouterr().err
    assert "[tool.harness.gate]" in err and f"'{field}'" in err


@pytest.mark.parametrize(("flags", "named"), [
    (["--min-success", "1.2"], "--min-success"),
    (["--max-fallback-rate", "-0.1"], "--max-fallback-rate"),
    (["--max-cost", "-5"], "--max-cost"),
    (["--min-savings", "150"], "--min-savings"),
])
def test_bad_flag_value_exits_2_naming_the_flag(write_results: WriteResults, results: RunResults,
                                                capsys: pytest.CaptureFixture[str], flags: list[str],
                                                named: str) -> None:
    assert main(["gate", str(write_results(results)), *flags]) == 2
    assert capsys.readouterr().err.startswith(f"error: {named}:")


def test_non_number_flag_is_a_usage_error(write_results: WriteResults, results: RunResults) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["gate", str(write_results(results)), "--max-cost", "cheap"])
    assert exc.value.code == 2


def test_no_thresholds_exits_2_and_says_how_to_set_them(write_results: WriteResults, results: RunResults,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gate", str(write_results(results))]) == 2
    err = capsys.readouterr().err
    assert "[tool.harness.gate]" in err and "--min-success" in err


def test_bad_results_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gate", str(tmp_path / "missing.json"), "--min-success", "0.5"]) == 2
    (tmp_path / "bad.json").write_text('{"run_id": 1}', encoding="utf-8")
    assert main(["gate", str(tmp_path / "bad.json"), "--min-success", "0.5"]) == 2
    assert "not a results.json" in capsys.readouterr().err


def test_evaluate_api_for_run_gate(results: RunResults) -> None:
    outcome = evaluate(results, GateThresholds(min_success=0.7, max_cost_per_task=0.02))
    assert outcome.exit_code == 0 and [c.passed for c in outcome.checks] == [True, True]


def test_gate_says_when_the_data_is_offline_and_can_require_live(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "results.json"
    path.write_text(build_results(sample_tasks(), offline=True).model_dump_json())
    assert main(["gate", str(path), "--min-success", "0"]) == 0
    assert "(offline: not a live measurement)" in capsys.readouterr().out
    assert main(["gate", str(path), "--min-success", "0", "--require-live"]) == 1
    assert "MISS live data" in capsys.readouterr().out
    path.write_text(build_results(sample_tasks(), offline=False).model_dump_json())
    assert main(["gate", str(path), "--min-success", "0", "--require-live"]) == 0
