"""`harness run` end to end, offline: the bundled emulator, the real SDK, the real sandbox, SQLite."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from harness.cli import main
from harness.results import OFFLINE_LABEL, RunResults, load_results
from harness.telemetry.store import from_pusd

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    """Suite names are looked up in the project's scenarios folder, as a user in the repo would."""
    monkeypatch.chdir(ROOT)


def run_harness(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["run", *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunResults, Path, int, str]:
    tmp = tmp_path_factory.mktemp("quick")
    db = tmp / "telemetry.db"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("ANTHROPIC_API_KEY", raising=False)
        mp.chdir(ROOT)
        import io
        from contextlib import redirect_stderr, redirect_stdout

        out = io.StringIO()
        with redirect_stdout(out), redirect_stderr(out):
            code = main(["run", "quick", "--out", str(tmp / "out"), "--db", str(db)])
    return load_results(tmp / "out" / "results.json"), db, code, out.getvalue()


def test_offline_run_says_so_at_top_and_bottom(quick_run: tuple[RunResults, Path, int, str]) -> None:
    results, _, code, output = quick_run
    assert code == 0
    assert results.offline and results.data_label == OFFLINE_LABEL
    lines = [line for line in output.splitlines() if line.strip()]
    assert OFFLINE_LABEL in lines[0] and OFFLINE_LABEL in lines[-1]
    assert results.tasks_total == 5 and results.complete


def test_results_agree_with_every_attempt_in_telemetry(quick_run: tuple[RunResults, Path, int, str]) -> None:
    results, db, _, _ = quick_run
    conn = sqlite3.connect(db)
    rows = conn.execute(
        "SELECT task_key, seq, model_requested, model_reported, outcome, cost_pusd FROM attempts "
        "WHERE run_id = ? ORDER BY task_key, seq", (results.run_id,)).fetchall()
    by_task: defaultdict[str, list[tuple[str, str | None, str, Decimal]]] = defaultdict(list)
    for key, _seq, requested, reported, outcome, pusd in rows:
        by_task[key].append((requested, reported, outcome, from_pusd(pusd)))

    total = sum((cost for attempts in by_task.values() for *_, cost in attempts), Decimal(0))
    assert results.actual_cost_usd == pytest.approx(float(total), abs=1e-9)
    for task in results.tasks:
        stored = by_task[f"{task.scenario_id}#{task.trial}"]
        assert [a.model_requested for a in task.attempts] == [s[0] for s in stored]
        assert [a.outcome for a in task.attempts] == [s[2] for s in stored]
        assert task.cost_usd == pytest.approx(float(sum((s[3] for s in stored), Decimal(0))), abs=1e-9)
        accepted = [s for s in stored if s[2] == "accepted"]
        assert task.passed == bool(accepted)
        if accepted:
            assert task.answered_by == accepted[-1][1], "the answering model is the one the API reported"


def test_escalations_are_real_and_explained(quick_run: tuple[RunResults, Path, int, str]) -> None:
    results, _, _, output = quick_run
    cheap, premium = results.policy_chain[0], results.policy_chain[-1]
    escalated = [t for t in results.tasks if t.fallback_used]
    assert escalated, "the bundled quick suite exercises at least one escalation"
    for task in escalated:
        assert task.attempts[0].model_requested == cheap
        assert premium in [a.model_requested for a in task.attempts]
        assert task.answered_by == premium or not task.passed
        assert task.escalation_reasons and "rejected by" in task.escalation_reasons[0]
        assert f"{task.scenario_id}#{task.trial}" in output
    assert results.fallback_rate == len(escalated) / results.tasks_total
    assert sum(results.model_distribution.values()) == results.tasks_passed


def test_savings_are_the_difference_of_the_two_totals(quick_run: tuple[RunResults, Path, int, str]) -> None:
    results, _, _, _ = quick_run
    assert results.baseline_cost_usd_estimate == pytest.approx(
        sum(t.baseline_cost_usd_estimate for t in results.tasks), abs=1e-8)
    savings = results.baseline_cost_usd_estimate - results.actual_cost_usd
    assert results.savings_usd_estimate == pytest.approx(savings, abs=1e-8)
    assert results.savings_pct == pytest.approx(savings / results.baseline_cost_usd_estimate * 100, abs=1e-6)


def test_reports_are_written_beside_results(quick_run: tuple[RunResults, Path, int, str], tmp_path: Path) -> None:
    results, db, _, _ = quick_run
    out = Path(str(db).replace("telemetry.db", "out"))
    assert {p.name for p in out.iterdir()} >= {"results.json", "report.html", "summary.md", "junit.xml"}
    assert OFFLINE_LABEL in (out / "summary.md").read_text()
    assert json.loads((out / "results.json").read_text())["schema_version"] == results.schema_version


def test_budget_stop_exits_3_and_the_gate_agrees(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    code, output = run_harness(["quick", "--budget", "0.0001", "--out", str(tmp_path / "out"),
                                "--db", str(tmp_path / "t.db")], capsys)
    assert code == 3
    assert "run budget" in output and "stopped before calling it" in output
    results = load_results(tmp_path / "out" / "results.json")
    assert not results.complete and results.stop_reason and "run budget" in results.stop_reason
    assert results.actual_cost_usd == 0.0
    assert main(["gate", str(tmp_path / "out" / "results.json"), "--min-success", "0.5"]) == 3


def test_record_without_a_key_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    code, output = run_harness(["quick", "--record", str(tmp_path / "cassettes"), "--db", str(tmp_path / "t.db")],
                               capsys)
    assert code == 2
    assert "--record needs ANTHROPIC_API_KEY" in output and "Traceback" not in output


def test_unknown_suite_lists_the_suites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, output = run_harness(["nightly", "--db", str(tmp_path / "t.db")], capsys)
    assert code == 2
    assert "quick" in output and "full" in output and "Traceback" not in output


def test_trials_give_a_pass_rate_with_an_interval_and_json_for_machines(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    scenario = str(ROOT / "scenarios" / "gen_parse_duration.yaml")
    code = main(["run", scenario, "--trials", "3", "--json", "--db", str(tmp_path / "t.db"),
                 "--out", str(tmp_path / "o")])
    captured = capsys.readouterr()
    assert code == 0
    summary = json.loads(captured.out)
    assert OFFLINE_LABEL in captured.err, "humans get the banner on stderr; stdout is JSON only"
    assert summary["offline"] is True and summary["exit_code"] == 0
    results = load_results(Path(summary["outputs"]["json"]))
    assert results.trials == 3 and [t.trial for t in results.tasks] == [1, 2, 3]
    assert results.success_rate == 1.0
    low, high = results.success_ci95
    assert high == 1.0 and 0.3 < low < 0.5, "3 of 3 is not proof of 100%: the Wilson interval says so"


def test_shadow_measures_the_premium_baseline_without_touching_the_cascade_figures(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    db = tmp_path / "t.db"
    assert main(["run", "quick", "--shadow", "2", "--db", str(db), "--out", str(tmp_path / "o")]) == 0
    assert "(shadow run)" in capsys.readouterr().out
    results = load_results(tmp_path / "o" / "results.json")
    measured = results.measured_baseline
    assert measured is not None and measured.tasks == 2 and measured.model == results.baseline_model
    conn = sqlite3.connect(db)
    shadow = conn.execute("SELECT task_key, cost_pusd FROM tasks WHERE run_id = ?",
                          (f"{results.run_id}-shadow",)).fetchall()
    models = {m for (m,) in conn.execute("SELECT DISTINCT model_requested FROM attempts WHERE run_id = ?",
                                         (f"{results.run_id}-shadow",))}
    assert models == {results.baseline_model}, "the shadow calls the premium model only"
    assert measured.cost_usd == pytest.approx(float(sum(from_pusd(c) for _, c in shadow)), abs=1e-9)
    same = {k for k, _ in shadow}
    assert measured.cascade_cost_usd_same_tasks == pytest.approx(
        sum(t.cost_usd for t in results.tasks if f"{t.scenario_id}#{t.trial}" in same), abs=1e-9)
    cascade_paid = conn.execute("SELECT SUM(cost_pusd) FROM attempts WHERE run_id = ?", (results.run_id,)).fetchone()[0]
    assert results.actual_cost_usd == pytest.approx(float(from_pusd(cascade_paid)), abs=1e-9), \
        "the shadow's spend is recorded apart, never in the cascade's cost"
