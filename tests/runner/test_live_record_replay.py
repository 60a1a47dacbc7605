"""The live code path (a key in the environment), pointed at the emulator as a stand-in for the API:
`--record` keeps every answer, `--replay` re-runs routing and validators on them offline."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.cli import main
from harness.emulator import CassetteStore, Emulator
from harness.results import load_results
from harness.scenarios.samples import suite_cassettes
from harness.scenarios.scenario import load_suite

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def live_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """A 'live' API: the SDK reads ANTHROPIC_API_KEY / ANTHROPIC_BASE_URL exactly as in production."""
    monkeypatch.chdir(ROOT)
    emulator = Emulator(cassettes=CassetteStore(suite_cassettes(load_suite("quick")))).start()
    monkeypatch.setenv("ANTHROPIC_API_KEY", emulator.api_key)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", emulator.base_url)
    yield emulator
    emulator.stop()


def test_live_run_records_and_replay_reproduces_it(live_api: Emulator, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    cassettes = tmp_path / "cassettes"
    db = str(tmp_path / "t.db")
    assert main(["run", "quick", "--record", str(cassettes), "--db", db, "--out", str(tmp_path / "live")]) == 0
    output = capsys.readouterr().out
    assert "LIVE" in output and "offline replay" not in output
    assert live_api.api_key not in output
    live = load_results(tmp_path / "live" / "results.json")
    assert not live.offline
    recorded = list(cassettes.glob("*.json"))
    assert len(recorded) == sum(len([a for a in t.attempts if a.model_reported]) for t in live.tasks)
    assert all(live_api.api_key not in p.read_text() for p in recorded), "cassettes never hold the key"

    monkeypatch.delenv("ANTHROPIC_API_KEY")
    assert main(["run", "quick", "--replay", str(cassettes), "--db", db, "--out", str(tmp_path / "replay")]) == 0
    output = capsys.readouterr().out
    assert f"offline replay of {len(recorded)} recorded responses" in output
    replay = load_results(tmp_path / "replay" / "results.json")
    assert replay.offline
    assert [(t.scenario_id, t.passed, t.answered_by) for t in replay.tasks] == [
        (t.scenario_id, t.passed, t.answered_by) for t in live.tasks]
    assert replay.actual_cost_usd == pytest.approx(live.actual_cost_usd, abs=1e-9)


def test_unreachable_api_stops_the_run_with_exit_3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    config = tmp_path / "harness.toml"
    config.write_text(f'policy = "fast"\nscenarios_dir = "{ROOT / "scenarios"}"\n[policies.fast]\npreset = "default"\n'
                      'retry = { initial_s = 0.01, max_backoff_s = 0.02, jitter_s = 0 }\n')
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("HARNESS_CONFIG", str(config))
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-not-a-real-key")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{closed_port}")
    code = main(["run", "quick", "--concurrency", "1", "--db", str(tmp_path / "t.db"), "--out", str(tmp_path / "o")])
    output = capsys.readouterr().out
    assert code == 3
    assert "API unreachable" in output
    assert "sk-ant-test-not-a-real-key" not in output
    results = load_results(tmp_path / "o" / "results.json")
    assert not results.complete and results.tasks_total == 0, "the task cut off by the outage stays unfinished"
    assert results.stop_reason and "API unreachable" in results.stop_reason


def test_a_wrong_key_stops_the_run_at_once_and_is_never_printed(live_api: Emulator, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-wrong-key-0123456789")
    code = main(["run", "quick", "--concurrency", "1", "--db", str(tmp_path / "t.db"), "--out", str(tmp_path / "o")])
    output = capsys.readouterr().out
    assert code == 3
    assert "ANTHROPIC_API_KEY" in output and "sk-ant-wrong-key-0123456789" not in output
    assert [r.status for r in live_api.requests] == [401], "no retry, no escalation after a 401"
    for written in (tmp_path / "o").iterdir():
        assert "sk-ant-wrong-key-0123456789" not in written.read_text()
