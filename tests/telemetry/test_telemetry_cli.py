"""`harness analyze`: JSON shape, the dashboard, and its error messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from rich.console import Console

from harness.cli import main
from harness.telemetry import TelemetryStore, analyze
from harness.telemetry.dashboard import render
from tests.telemetry.telemetry_builders import START, add_task, run_record


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no project config: defaults only
    path = tmp_path / "t.db"
    with TelemetryStore(path) as store:
        store.begin_run(run_record())
        for n in range(12):
            add_task(store, "run-1", "codegen", n, "c" if n else "cp", at=START + timedelta(days=n))
        store.finish_run("run-1", "complete", finished_at=START + timedelta(days=12))
    return path


def test_json_output(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", "--db", str(db), "--json", "--since", "2026-11-01", "--until", "2026-11-30"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"calls", "tasks", "success_rate", "success_ci95", "cheap_tier_success_rate", "fallback_rate",
            "actual_cost_usd", "baseline_cost_usd_estimate", "savings_usd_estimate", "savings_pct_estimate",
            "annual_cost_usd_projection", "annual_savings_usd_projection", "window_days", "by_task_type",
            "recommendation", "offline_runs"} <= data.keys()
    assert data["actual_cost_usd"] == pytest.approx(0.041)  # 11 x 0.003 + 0.008; money: a JSON number of USD
    assert data["baseline_cost_usd_estimate"] == pytest.approx(0.060)
    (codegen,) = data["by_task_type"]
    assert codegen["task_type"] == "codegen"
    assert codegen["recommendation"] == {
        "action": "cascade",
        "text": "codegen: fallback rate 8%: keep the cascade (cheap-tier success 92%, break-even 60%)"}


def test_days_window_excludes_old_history(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", "--db", str(db), "--json", "--days", "7"]) == 0
    assert json.loads(capsys.readouterr().out)["tasks"] == 0


def test_dashboard_shows_records_and_labels(db: Path) -> None:
    console = Console(record=True, width=130)
    with TelemetryStore(db) as store:
        render(analyze(store), db, console)
    text = console.export_text()
    assert "offline" not in text  # a live run: no banner
    for expected in ("live runs, 2026-11-01 to 2026-11-12, 11.0 days", "Calls (attempts)", "13",
                     "Fallback rate", "8.3%", "All-premium cost (estimate)", "$0.0600", "Savings (estimate)",
                     "$0.0190 (31.7%)", "Annual projection", "(projection: cost per day over 11.0 days x 365)",
                     "break-even cheap-tier success 60%",
                     "codegen: fallback rate 8%: keep the cascade"):
        assert expected in text


def test_empty_store_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    TelemetryStore(tmp_path / "empty.db").close()
    assert main(["analyze", "--db", str(tmp_path / "empty.db")]) == 0
    assert "No telemetry recorded in this window" in capsys.readouterr().out


def test_missing_database_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["analyze"]) == 2
    err = capsys.readouterr().err
    assert "no telemetry yet at" in err and ".harness/telemetry.db" in err and "harness run quick" in err
    assert not (tmp_path / ".harness").exists()


@pytest.mark.parametrize(("argv", "message"), [
    (["--since", "2026-13-01"], "'2026-13-01' is not a date (expected YYYY-MM-DD)"),
    (["--days", "0"], "days must be at least 1"),
    (["--days", "3", "--since", "2026-11-01"], "not allowed with argument"),
])
def test_bad_arguments_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["analyze", *argv])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


@pytest.fixture
def mixed_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A 4-second live run and a 3-task offline sample replay."""
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "mixed.db"
    with TelemetryStore(path) as store:
        store.begin_run(run_record("live"))
        add_task(store, "live", "codegen", 0, "cccc", at=START)
        store.finish_run("live", "complete", finished_at=START + timedelta(seconds=4))
        store.begin_run(run_record("sample", offline=True, data_label="offline replay of bundled sample responses"))
        for n in range(3):
            add_task(store, "sample", "codegen", 10 + n, "cp", at=START)
        store.finish_run("sample", "complete", finished_at=START + timedelta(seconds=4))
    return path


def test_json_leaves_offline_runs_out_and_has_no_projection_from_seconds(
        mixed_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", "--db", str(mixed_db), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["tasks"], data["calls"], data["offline_runs_excluded"], data["include_offline"]) == (1, 4, 1, False)
    assert data["includes_offline_sample_data"] is False
    assert data["annual_cost_usd_projection"] is None and data["annual_savings_usd_projection"] is None
    assert data["projection_note"] == "projection needs at least 7 days of data (have 4 seconds)"


def test_include_offline_flag_says_so_in_json_and_dashboard(mixed_db: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", "--db", str(mixed_db), "--json", "--include-offline"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["tasks"], data["offline_runs"], data["offline_runs_excluded"]) == (4, 1, 0)
    assert data["includes_offline_sample_data"] is True
    assert "include offline replays of sample data" in data["data_note"]
    console = Console(record=True, width=130)
    with TelemetryStore(mixed_db) as store:
        render(analyze(store, include_offline=True), mixed_db, console)
    text = console.export_text()
    assert "Figures include offline replays of sample data (1 of 2 runs in this window)" in text
    assert "live runs and offline replays" in text
    assert "none: projection needs at least 7 days of data (have 4 seconds)" in text
    assert "$21" not in text


def test_only_offline_runs_dashboard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    with TelemetryStore(tmp_path / "t.db") as store:
        store.begin_run(run_record(offline=True))
        add_task(store, "run-1", "codegen", 0, "c", at=START)
        store.finish_run("run-1", "complete", finished_at=START + timedelta(seconds=1))
    assert main(["analyze", "--db", str(tmp_path / "t.db")]) == 0
    assert " ".join(capsys.readouterr().out.split()) == ("no live runs in this window (1 offline run excluded; "
                                               "--include-offline to include them)")


class _HungUpStdout:
    """A stdout whose reader has gone: every write and flush fails as a closed pipe does."""

    def write(self, _: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    def fileno(self) -> int:
        raise OSError("not a file")


def test_broken_pipe_exits_quietly_in_process(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdout", _HungUpStdout())
    assert main(["analyze", "--db", str(db), "--json"]) == 141


def test_json_into_a_closed_pipe_has_no_traceback(db: Path, tmp_path: Path) -> None:
    """`harness analyze --json | head -1`, with the reader gone before the first write: no race."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "harness.cli", "analyze", "--db", str(db), "--json"], stdout=write_end,
            stderr=subprocess.PIPE, text=True, cwd=tmp_path, timeout=60,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})
    finally:
        os.close(write_end)
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr, done.stderr
    assert done.returncode == 141
