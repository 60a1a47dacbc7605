"""A run killed mid-way (a real signal to a real subprocess) loses nothing and resumes without repeats."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.cli import main
from harness.results import load_results
from harness.telemetry.store import from_pusd

ROOT = Path(__file__).resolve().parents[2]


def _start_slow_run(tmp_path: Path) -> subprocess.Popen[str]:
    """The quick suite, one task at a time, each call slowed by 1 s in the emulator: the signal lands
    mid-run even when a loaded CI machine is slow to notice the first finished tasks."""
    faults = tmp_path / "slow.json"
    faults.write_text(json.dumps({"latency_ms": 1000}))
    env = {k: v for k, v in os.environ.items() if k != "ANTHROPIC_API_KEY"}
    return subprocess.Popen(
        [sys.executable, "-m", "harness", "run", "quick", "--concurrency", "1", "--faults", str(faults),
         "--db", str(tmp_path / "t.db"), "--out", str(tmp_path / "first")],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _wait_for_finished_tasks(db: Path, count: int, timeout_s: float = 60) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if db.exists():
            try:
                with sqlite3.connect(db) as conn:
                    row = conn.execute("SELECT run_id, COUNT(*) FROM tasks GROUP BY run_id").fetchone()
            except sqlite3.OperationalError:
                row = None
            if row and row[1] >= count:
                return str(row[0])
        time.sleep(0.05)
    raise AssertionError(f"the run did not finish {count} tasks in {timeout_s}s")


def _attempts(db: Path, run_id: str) -> dict[int, tuple[str, str, int]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT id, task_key, state, cost_pusd FROM attempts WHERE run_id = ?", (run_id,))
        return {row[0]: (row[1], row[2], row[3]) for row in rows}


def test_sigkill_then_resume_loses_nothing_and_repeats_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "t.db"
    proc = _start_slow_run(tmp_path)
    try:
        run_id = _wait_for_finished_tasks(db, 2)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        proc.kill()
        proc.communicate()
    with sqlite3.connect(db) as conn:
        finished_before = {r[0]: r[1] for r in conn.execute("SELECT task_key, finished_at_us FROM tasks")}
    before = _attempts(db, run_id)
    assert len(finished_before) >= 2 and before

    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.chdir(ROOT)
    code = main(["run", "--resume", run_id, "--db", str(db), "--out", str(tmp_path / "resumed")])
    output = capsys.readouterr().out
    assert code == 0, output
    assert f"{len(finished_before)} already done" in output

    results = load_results(tmp_path / "resumed" / "results.json")
    assert results.complete and results.run_id == run_id
    keys = [f"{t.scenario_id}#{t.trial}" for t in results.tasks]
    assert len(keys) == len(set(keys)) == results.tasks_total == 5
    with sqlite3.connect(db) as conn:
        finished_after = {r[0]: r[1] for r in conn.execute("SELECT task_key, finished_at_us FROM tasks")}
    for key, finished_at in finished_before.items():
        assert finished_after[key] == finished_at, f"{key} was finished before the kill and must not be re-run"

    after = _attempts(db, run_id)
    assert set(before) <= set(after), "every attempt recorded before the kill is still there"
    abandoned = [a for a in after.values() if a[1] == "abandoned"]
    assert all(state in ("final", "abandoned") for _, state, _ in after.values())
    paid = sum(from_pusd(cost) for _, _, cost in after.values())
    assert results.actual_cost_usd == pytest.approx(float(paid), abs=1e-9)
    counted = sum(len(t.attempts) for t in results.tasks)
    assert counted + len(abandoned) == len(after), "each attempt is counted once: in a task, or as abandoned"


def test_ctrl_c_marks_the_run_incomplete_and_says_how_to_resume(tmp_path: Path) -> None:
    proc = _start_slow_run(tmp_path)
    try:
        run_id = _wait_for_finished_tasks(tmp_path / "t.db", 1)
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130, output
    assert f"harness run --resume {run_id}" in output
    assert "Traceback" not in output
    results = load_results(tmp_path / "first" / "results.json")
    assert not results.complete and results.stop_reason and "interrupted" in results.stop_reason
