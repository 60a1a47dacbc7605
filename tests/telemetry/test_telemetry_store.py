"""The store: schema and migrations, every attempt kept, exact money, crash safety, resume."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

import harness.telemetry.store as store_module
from harness.errors import UserError
from harness.models import Usage, load_registry
from harness.telemetry import TelemetryStore
from harness.telemetry.store import from_pusd, to_pusd
from tests.telemetry.telemetry_builders import CHEAP_CALL, START, add_task, attempt, run_record

REPO = Path(__file__).resolve().parents[2]


def test_new_database_is_wal_and_at_the_latest_schema(store: TelemetryStore) -> None:
    assert store.schema_version == len(store_module.MIGRATIONS) == 2
    assert store.query_one("PRAGMA journal_mode")[0] == "wal"
    names = {row[0] for row in store.query("SELECT name FROM sqlite_master")}
    assert {"runs", "tasks", "attempts", "tasks_analysis", "tasks_by_run", "attempts_analysis",
            "attempts_run"} <= names


def test_migrations_apply_in_order_on_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "t.db"
    real = store_module.MIGRATIONS
    monkeypatch.setattr(store_module, "MIGRATIONS", real[:1])  # a database written by a v1 harness
    with TelemetryStore(db) as store:
        store.begin_run(run_record())
        assert store.schema_version == 1
    v3 = ("ALTER TABLE runs ADD COLUMN note TEXT", "UPDATE runs SET note = 'migrated'")
    monkeypatch.setattr(store_module, "MIGRATIONS", (*real, v3))
    with TelemetryStore(db) as store:  # v1 -> v2 -> v3, data kept
        assert store.schema_version == 3
        assert store.query_one("SELECT run_id, note FROM runs")[:] == ("run-1", "migrated")
        assert store.query_one("SELECT COUNT(*) FROM sqlite_master WHERE name = 'tasks_by_run'")[0] == 1
    with TelemetryStore(tmp_path / "fresh.db") as fresh:  # v0 -> v3 in one open
        assert fresh.schema_version == 3
        assert fresh.query("SELECT note FROM runs") == []


def test_a_newer_schema_or_a_foreign_file_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    TelemetryStore(db).close()
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(UserError, match="schema v99 is newer"):
        TelemetryStore(db)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(UserError, match="not a telemetry database"):
        TelemetryStore(junk)


def test_every_attempt_kind_is_stored_with_all_its_fields(store: TelemetryStore) -> None:
    store.begin_run(run_record())
    kinds = ["error", "rejected", "skipped", "judge", "accepted"]
    written = [attempt("run-1", "s#1", seq, outcome=kind, error_kind="overloaded" if kind == "error" else None,
                       validator="json" if kind == "rejected" else None, request_id=f"req_{seq}",
                       escalation_reason="rejected: json" if kind == "rejected" else None,
                       cache_read_tokens=7, cache_write_5m_tokens=5, cache_write_1h_tokens=3, output_tokens=11,
                       model_reported=None if kind in ("error", "skipped") else "claude-sonnet-4-6-20260101")
               for seq, kind in enumerate(kinds)]
    ids = [store.record_attempt(a) for a in written]
    stored = store.attempts_for_run("run-1")
    assert [s.id for s in stored] == ids
    assert all(s.state == "pending" for s in stored)
    assert [s.model_dump(exclude={"id", "state"}) for s in stored] == [a.model_dump() for a in written]


def test_money_sums_exactly_in_sql(store: TelemetryStore) -> None:
    registry = load_registry()
    rng = random.Random(7)
    models = ["claude-haiku-5-5", "claude-sonnet-4-5", "claude-opus-4-6", "claude-opus-5-5"]
    store.begin_run(run_record())
    costs = []
    for seq in range(400):
        usage = Usage(input_tokens=rng.randint(0, 300_000), output_tokens=rng.randint(0, 9_999),
                      cache_read_tokens=rng.randint(0, 999), cache_write_5m_tokens=rng.randint(0, 999),
                      cache_write_1h_tokens=rng.randint(0, 99))
        cost = registry.cost(rng.choice(models), usage, batch=rng.random() < 0.5)
        costs.append(cost)
        store.record_attempt(attempt("run-1", "s#1", seq, cost=cost))
    assert from_pusd(store.query_one("SELECT SUM(cost_pusd) FROM attempts")[0]) == sum(costs)
    assert [a.cost_usd for a in store.attempts_for_run("run-1")] == costs
    assert to_pusd(Decimal("0.0000000000625")) == 62  # below a pico-dollar: half-even, documented


def test_finish_task_finalises_its_attempts_once(store: TelemetryStore) -> None:
    store.begin_run(run_record())
    task = add_task(store, "run-1", "codegen", 1, "cp", at=START)
    store.record_attempt(attempt("run-1", "codegen-2#1", 0))
    assert {a.task_key: a.state for a in store.attempts_for_run("run-1")} == {
        "codegen-1#1": "final", "codegen-2#1": "pending"}
    assert store.completed_task_keys("run-1") == {"codegen-1#1"}
    assert store.tasks_for_run("run-1") == [task]
    with pytest.raises(ValueError, match="already finished"):
        store.finish_task(task)


def test_resume_keeps_paid_attempts_of_unfinished_tasks_without_counting_them_twice(store: TelemetryStore) -> None:
    store.begin_run(run_record())
    add_task(store, "run-1", "codegen", 1, "c", at=START)
    store.record_attempt(attempt("run-1", "codegen-2#1", 0, outcome="rejected"))  # then the run stopped
    store.finish_run("run-1", "stopped", "budget reached", finished_at=START)
    assert store.get_run("run-1").status == "stopped"

    run = store.reopen_run("run-1")
    assert (run.status, run.stop_reason, run.finished_at) == ("running", None, None)
    assert store.completed_task_keys("run-1") == {"codegen-1#1"}
    add_task(store, "run-1", "codegen", 2, "c", at=START)  # the re-run of the unfinished task
    store.finish_run("run-1", "complete", finished_at=START)

    states = [(a.task_key, a.outcome, a.state) for a in store.attempts_for_run("run-1")]
    assert states == [("codegen-1#1", "accepted", "final"), ("codegen-2#1", "rejected", "abandoned"),
                      ("codegen-2#1", "accepted", "final")]
    (summary,) = store.history()
    assert (summary.tasks, summary.passed, summary.success_rate) == (2, 2, 1.0)
    assert summary.actual_cost_usd == 3 * CHEAP_CALL  # the abandoned call was paid for
    with pytest.raises(UserError, match="already complete"):
        store.reopen_run("run-1")


def test_discard_unfinished_touches_only_pending_attempts_of_that_task(store: TelemetryStore) -> None:
    store.begin_run(run_record())
    add_task(store, "run-1", "codegen", 1, "c", at=START)
    store.record_attempt(attempt("run-1", "codegen-2#1", 0))
    store.record_attempt(attempt("run-1", "codegen-3#1", 0))
    assert store.discard_unfinished("run-1", "codegen-2#1") == 1
    assert [a.state for a in store.attempts_for_run("run-1")] == ["final", "abandoned", "pending"]


def test_history_lists_newest_runs_first(store: TelemetryStore) -> None:
    for day in range(3):
        store.begin_run(run_record(f"run-{day}", started_at=START.replace(day=1 + day), offline=day != 2))
        add_task(store, f"run-{day}", "codegen", 1, "cp" if day else "c", at=START)
    summaries = store.history(limit=2)
    assert [(s.run_id, s.offline, s.actual_cost_usd, s.baseline_cost_usd_estimate) for s in summaries] == [
        ("run-2", False, Decimal("0.008"), Decimal("0.005")), ("run-1", True, Decimal("0.008"), Decimal("0.005"))]


def test_async_wrappers_write_in_call_order_off_the_loop(store: TelemetryStore) -> None:
    async def runner() -> list[int]:
        await store.abegin_run(run_record())
        ids = await asyncio.gather(*(store.arecord_attempt(attempt("run-1", "s#1", seq)) for seq in range(20)))
        await store.afinish_run("run-1", "complete")
        return list(ids)

    ids = asyncio.run(runner())
    assert ids == sorted(ids)
    assert [a.seq for a in store.attempts_for_run("run-1")] == list(range(20))
    assert store.get_run("run-1").status == "complete"


_WRITER = textwrap.dedent("""
    import sys
    from telemetry_builders import attempt, run_record
    from harness.telemetry import TelemetryStore

    store = TelemetryStore(sys.argv[1])
    store.begin_run(run_record("killed"))
    seq = 0
    while True:
        store.record_attempt(attempt("killed", f"s{seq}#1", 0))
        seq += 1
        if seq == 50:
            print("ready", flush=True)
""")


def test_a_run_killed_mid_write_leaves_a_readable_db_and_an_incomplete_run(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), str(REPO)])}
    child = subprocess.Popen([sys.executable, "-c", _WRITER, str(db)], stdout=subprocess.PIPE, env=env)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == b"ready"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)

    with TelemetryStore(db) as store:
        assert store.query_one("PRAGMA integrity_check")[0] == "ok"
        run = store.get_run("killed")
        assert run.status == "incomplete"
        assert "killed or crashed" in (run.stop_reason or "")
        attempts = store.attempts_for_run("killed")
        assert len(attempts) >= 50
        assert {a.state for a in attempts} == {"abandoned"}
        assert [int(a.task_key[1:-2]) for a in attempts] == list(range(len(attempts)))  # none lost in between
