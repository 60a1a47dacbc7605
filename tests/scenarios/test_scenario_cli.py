"""`harness scenarios list|check`: output shape and exit codes (0 accepted, 1 rejected, 2 usage error)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli import main
from harness.scenarios import load_samples, load_scenario

ROOT = Path(__file__).resolve().parents[2] / "scenarios"
ROOT_ARGS = ["--root", str(ROOT)]


def test_list_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios", "list", "--suite", "quick", "--json", *ROOT_ARGS]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 5
    assert set(rows[0]) == {"id", "title", "task_type", "tags", "validators"}
    assert all("quick" in r["tags"] and r["validators"] for r in rows)


def test_list_text_defaults_to_full(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios", "list", *ROOT_ARGS]) == 0
    out = capsys.readouterr().out
    assert "15 scenarios in suite 'full'" in out and "review_xss" in out


def _answer_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "answer.md"
    path.write_text(text)
    return str(path)


def test_check_accepted_and_rejected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    samples = load_samples(load_scenario(ROOT / "review_sql_injection.yaml"))
    good = _answer_file(tmp_path, samples.premium[0].text)
    assert main(["scenarios", "check", "review_sql_injection", good, *ROOT_ARGS]) == 0
    assert "review_sql_injection: accepted" in capsys.readouterr().out

    bad = _answer_file(tmp_path, samples.capable[0].text)
    assert main(["scenarios", "check", "review_sql_injection", bad, "--json", *ROOT_ARGS]) == 1
    result = json.loads(capsys.readouterr().out)
    assert result["scenario"] == "review_sql_injection" and result["accepted"] is False
    assert [(v["validator"], v["passed"]) for v in result["verdicts"]] == [("contains", True), ("regex", False)]
    assert all(v["reason"] for v in result["verdicts"])


def test_check_unknown_id_suggests_close_ids(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    answer = _answer_file(tmp_path, "text")
    assert main(["scenarios", "check", "review_sql", answer, *ROOT_ARGS]) == 2
    assert "did you mean review_sql_injection" in capsys.readouterr().err


def test_check_missing_answer_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scenarios", "check", "review_xss", str(tmp_path / "nope.md"), *ROOT_ARGS]) == 2
    assert "cannot read answer file" in capsys.readouterr().err
