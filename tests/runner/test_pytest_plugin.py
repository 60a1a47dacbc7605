"""`pytest scenarios -m quick -n 2` runs the same engine as `harness run quick`, on xdist workers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main
from harness.results import OFFLINE_LABEL, load_results

ROOT = Path(__file__).resolve().parents[2]


def test_pytest_and_harness_run_give_the_same_verdicts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    env = {k: v for k, v in os.environ.items() if k != "ANTHROPIC_API_KEY" and not k.startswith("PYTEST_XDIST")}
    db = tmp_path / "t.db"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "scenarios", "-m", "quick", "-n", "2", "-q",
         "--harness-out", str(tmp_path / "pytest"), "--harness-db", str(db)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "5 passed" in proc.stdout
    assert OFFLINE_LABEL in proc.stdout
    via_pytest = load_results(tmp_path / "pytest" / "results.json")

    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.chdir(ROOT)
    assert main(["run", "quick", "--db", str(db), "--out", str(tmp_path / "run")]) == 0
    capsys.readouterr()
    via_run = load_results(tmp_path / "run" / "results.json")

    def verdicts(results_path: Path) -> dict[str, tuple[bool, str | None, bool]]:
        results = load_results(results_path)
        return {t.scenario_id: (t.passed, t.answered_by, t.fallback_used) for t in results.tasks}

    assert verdicts(tmp_path / "pytest" / "results.json") == verdicts(tmp_path / "run" / "results.json")
    assert len(via_pytest.tasks) == 5
    assert via_pytest.actual_cost_usd == pytest.approx(via_run.actual_cost_usd, abs=1e-9)


def test_plugin_stays_out_of_unrelated_sessions(tmp_path: Path) -> None:
    (tmp_path / "test_plain.py").write_text("def test_ok():\n    assert True\n")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", str(tmp_path / "test_plain.py")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "harness:" not in proc.stdout
    assert not (ROOT / "runs").exists() or not any("pytest" in p.name for p in (ROOT / "runs").iterdir())


def test_a_stop_in_one_worker_skips_the_rest_and_the_run_says_stopped(tmp_path: Path) -> None:
    from harness.emulator import Emulator

    with Emulator() as api:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
        env |= {"ANTHROPIC_API_KEY": "sk-ant-wrong-key-for-the-test", "ANTHROPIC_BASE_URL": api.base_url}
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "scenarios", "-m", "full", "-n", "2", "-q",
             "--harness-out", str(tmp_path / "out"), "--harness-db", str(tmp_path / "t.db")],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        calls = len(api.requests)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "sk-ant-wrong-key-for-the-test" not in proc.stdout + proc.stderr
    assert calls <= 2, "after the first 401 each worker starts no new task"
    assert "skipped" in proc.stdout
    results = load_results(tmp_path / "out" / "results.json")
    assert not results.complete and results.stop_reason and "ANTHROPIC_API_KEY" in results.stop_reason
