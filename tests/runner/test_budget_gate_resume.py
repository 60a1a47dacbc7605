"""Stops that a user must be able to trust: the run budget, the gate, and resuming in the same mode."""

from __future__ import annotations

import re
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from harness.cli import main
from harness.emulator import Emulator
from harness.results import load_results
from harness.telemetry.store import from_pusd

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def offline_in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("HARNESS_CONFIG", raising=False)


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["run", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def attempts(db: Path) -> list[tuple[str, str, int]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute("SELECT task_key, state, cost_pusd FROM attempts ORDER BY id"))


def test_run_budget_stop_is_kept_on_resume_and_lifted_by_a_bigger_one(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "t.db"
    code, output = run(["quick", "--budget", "0.08", "--concurrency", "1", "--db", str(db),
                        "--out", str(tmp_path / "o1")], capsys)
    assert code == 3 and "run budget of $0.0800 would be exceeded" in output
    first = load_results(tmp_path / "o1" / "results.json")
    assert not first.complete and 0 < first.tasks_total < 5
    cut_off = [a for a in attempts(db) if a[1] == "abandoned"]
    assert cut_off, "the task stopped by the budget keeps its paid attempts, as abandoned"

    code, output = run(["--resume", first.run_id, "--db", str(db), "--out", str(tmp_path / "o2")], capsys)
    assert code == 3, "the stored budget still applies, counting what the run already spent"
    spent = sum(from_pusd(cost) for _, _, cost in attempts(db))
    assert 0 < spent <= Decimal("0.08"), "across the first run and the resume, spend never passes the budget"

    code, output = run(["--resume", first.run_id, "--budget", "5", "--db", str(db),
                        "--out", str(tmp_path / "o3")], capsys)
    assert code == 0, output
    final = load_results(tmp_path / "o3" / "results.json")
    assert final.complete and final.tasks_total == 5
    everything = sum(from_pusd(cost) for _, _, cost in attempts(db))
    assert final.actual_cost_usd == pytest.approx(float(everything), abs=1e-9), "abandoned calls are still spend"
    assert {a[0] for a in cut_off} <= {f"{t.scenario_id}#{t.trial}" for t in final.tasks}, "the cut-off task re-ran"


def test_resume_refuses_to_mix_live_and_offline(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "t.db"
    code, _ = run(["quick", "--budget", "0.08", "--concurrency", "1", "--db", str(db),
                   "--out", str(tmp_path / "o1")], capsys)
    assert code == 3
    run_id = load_results(tmp_path / "o1" / "results.json").run_id
    with Emulator() as stand_in:
        monkeypatch.setenv("ANTHROPIC_API_KEY", stand_in.api_key)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", stand_in.base_url)
        code, output = run(["--resume", run_id, "--db", str(db)], capsys)
        assert stand_in.requests == []
    assert code == 2
    assert "was started as 'offline replay of bundled sample responses'" in output
    assert stand_in.api_key not in output


def test_gate_without_thresholds_fails_before_paying_for_anything(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code, output = run(["quick", "--gate", "--db", str(tmp_path / "t.db")], capsys)
    assert code == 2 and "--gate needs thresholds" in output
    assert not (tmp_path / "t.db").exists(), "nothing ran, nothing was recorded"


def test_gate_after_a_run_exits_1_on_a_missed_threshold(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "harness.toml"
    config.write_text(f'scenarios_dir = "{ROOT / "scenarios"}"\n[gate]\nmin_success = 0.5\nmax_cost = 0.0001\n')
    monkeypatch.setenv("HARNESS_CONFIG", str(config))
    code, output = run(["quick", "--gate", "--db", str(tmp_path / "t.db"), "--out", str(tmp_path / "o")], capsys)
    assert code == 1
    assert re.search(r"MISS total cost: \$0\.\d+ \(threshold <= \$0\.000100\)", output)
    assert "gate failed: 1 threshold(s) missed" in output
