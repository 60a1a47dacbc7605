"""The telemetry store: one SQLite file (WAL) with runs, tasks and every attempt.

Rules the rest of the harness relies on:

* Money is stored as integer pico-dollars (1e-12 USD). Every registry price is a decimal with at
  most 4 places per million tokens, halved at most once (batch), so every attempt's cost is a
  whole number of pico-dollars and SQL `SUM` is exact. Conversion never goes through float.
  An SQLite integer holds up to 9.2e18 pico-dollars: $9.2 million in one sum.
* Timestamps are integer microseconds since the Unix epoch, UTC.
* `record_attempt` commits at once: once it returned, the attempt survives the process being
  killed (WAL with synchronous=NORMAL; only an OS crash or power loss can lose the last commits).
* Attempt states: `pending` until its task finishes (`finish_task` makes it `final` in the same
  transaction that writes the task); `abandoned` when its task never finished (run killed,
  stopped, or resumed). Abandoned attempts were paid for: they count toward cost and calls, never
  toward success rates, which come from finished tasks only. A resumed task's new attempts
  start `pending` again, so nothing is lost or counted twice.
* A run still `running` whose process (same host) is gone is marked `incomplete` on open.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import socket
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from pydantic import BaseModel

from harness.errors import UserError
from harness.telemetry.records import AttemptRecord, AttemptState, RunRecord, RunStatus, StoredAttempt, TaskRecord

PICO = 12
"""Money columns (`*_pusd`) hold USD x 10**12."""
BUSY_TIMEOUT_MS = 10_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)

_SCHEMA_V1 = (
    """CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        suite TEXT NOT NULL,
        policy TEXT NOT NULL,
        policy_chain TEXT NOT NULL,          -- JSON list of model ids
        baseline_model TEXT NOT NULL,
        offline INTEGER NOT NULL,
        data_label TEXT NOT NULL,
        started_at_us INTEGER NOT NULL,
        finished_at_us INTEGER,
        status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'incomplete', 'stopped')),
        stop_reason TEXT,
        trials INTEGER NOT NULL,
        config TEXT NOT NULL,                -- JSON
        pid INTEGER NOT NULL,                -- writer process, to detect runs killed mid-way
        host TEXT NOT NULL
    )""",
    "CREATE INDEX runs_started ON runs (started_at_us)",
    """CREATE TABLE tasks (
        run_id TEXT NOT NULL REFERENCES runs (run_id),
        task_key TEXT NOT NULL,
        scenario_id TEXT NOT NULL,
        task_type TEXT NOT NULL,
        trial INTEGER NOT NULL,
        passed INTEGER NOT NULL,
        fallback_used INTEGER NOT NULL,
        cheap_tier_passed INTEGER NOT NULL,
        answered_by TEXT,
        first_model TEXT NOT NULL,
        cost_pusd INTEGER NOT NULL,
        baseline_pusd INTEGER NOT NULL,      -- estimate: the task's tokens re-priced at premium
        latency_s REAL NOT NULL,
        escalation_reasons TEXT NOT NULL,    -- JSON list
        final_reason TEXT NOT NULL,
        output TEXT NOT NULL,
        error TEXT,
        started_at_us INTEGER NOT NULL,
        finished_at_us INTEGER NOT NULL,
        PRIMARY KEY (run_id, task_key)
    )""",
    # Covering index for the analysis: grouped by task type, filtered by time, no table access.
    """CREATE INDEX tasks_analysis ON tasks (task_type, answered_by, started_at_us, finished_at_us, passed,
        cheap_tier_passed, fallback_used, cost_pusd, baseline_pusd)""",
    """CREATE TABLE attempts (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs (run_id),
        task_key TEXT NOT NULL,
        seq INTEGER NOT NULL,
        step INTEGER NOT NULL,
        model_requested TEXT NOT NULL,
        model_reported TEXT,
        outcome TEXT NOT NULL CHECK (outcome IN ('accepted', 'rejected', 'error', 'skipped', 'judge')),
        reason TEXT NOT NULL,
        validator TEXT,
        error_kind TEXT,
        repair INTEGER NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cache_write_5m_tokens INTEGER NOT NULL,
        cache_write_1h_tokens INTEGER NOT NULL,
        cache_read_tokens INTEGER NOT NULL,
        cost_pusd INTEGER NOT NULL,
        latency_s REAL NOT NULL,
        request_id TEXT,
        escalation_reason TEXT,
        scenario_id TEXT NOT NULL,
        task_type TEXT NOT NULL,
        started_at_us INTEGER NOT NULL,
        finished_at_us INTEGER NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'final', 'abandoned'))
    )""",
    # Covering index for the analysis: calls and cost per task type and model, filtered by time.
    """CREATE INDEX attempts_analysis ON attempts (task_type, model_requested, state, outcome,
        started_at_us, cost_pusd)""",
    "CREATE INDEX attempts_run ON attempts (run_id, task_key, state)",
)

Migration = Sequence[str]
_SCHEMA_V2 = (
    # Covering index for the per-run task aggregate of `analyze` (offline runs left out, cheap-tier
    # tasks judged against their own run's baseline): the scan never touches the large output column.
    """CREATE INDEX tasks_by_run ON tasks (run_id, task_type, answered_by, first_model, started_at_us,
        finished_at_us, passed, cheap_tier_passed, fallback_used, cost_pusd, baseline_pusd)""",
)

MIGRATIONS: tuple[Migration, ...] = (_SCHEMA_V1, _SCHEMA_V2)
"""MIGRATIONS[i] takes the schema from version i to i + 1 (PRAGMA user_version). Append only."""

_RUN_COLUMNS = ("run_id, suite, policy, policy_chain, baseline_model, offline, data_label, started_at_us, "
                "finished_at_us, status, stop_reason, trials, config")
TASK_COLUMNS = ("run_id, task_key, scenario_id, task_type, trial, passed, fallback_used, cheap_tier_passed, "
                "answered_by, first_model, cost_pusd, baseline_pusd, latency_s, escalation_reasons, final_reason, "
                "output, error, started_at_us, finished_at_us")
ATTEMPT_COLUMNS = ("run_id, task_key, seq, step, model_requested, model_reported, outcome, reason, validator, "
                   "error_kind, repair, input_tokens, output_tokens, cache_write_5m_tokens, cache_write_1h_tokens, "
                   "cache_read_tokens, cost_pusd, latency_s, request_id, escalation_reason, scenario_id, task_type, "
                   "started_at_us, finished_at_us")


def _insert(table: str, columns: str) -> str:
    return f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(columns.split(', ')))})"


_ATTEMPT_INSERT = _insert("attempts", ATTEMPT_COLUMNS)
_ATTEMPT_INSERT_WITH_STATE = _insert("attempts", ATTEMPT_COLUMNS + ", state")
_TASK_INSERT = _insert("tasks", TASK_COLUMNS)

P = ParamSpec("P")
T = TypeVar("T")


def to_pusd(amount: Decimal) -> int:
    """Exact USD -> integer pico-dollars (sub-pico remainders, never produced by registry prices, round half-even)."""
    return int(amount.scaleb(PICO).to_integral_value(rounding=ROUND_HALF_EVEN))


def from_pusd(pusd: int | None) -> Decimal:
    return Decimal(pusd or 0).scaleb(-PICO)


def to_us(moment: datetime) -> int:
    """Microseconds since the epoch; a naive datetime is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _US


def from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def attempt_row(a: AttemptRecord) -> tuple[Any, ...]:
    """The attempts-table row for a record, in `ATTEMPT_COLUMNS` order."""
    return (a.run_id, a.task_key, a.seq, a.step, a.model_requested, a.model_reported, a.outcome, a.reason,
            a.validator, a.error_kind, int(a.repair), a.input_tokens, a.output_tokens, a.cache_write_5m_tokens,
            a.cache_write_1h_tokens, a.cache_read_tokens, to_pusd(a.cost_usd), a.latency_s, a.request_id,
            a.escalation_reason, a.scenario_id, a.task_type, to_us(a.started_at), to_us(a.finished_at))


def task_row(t: TaskRecord) -> tuple[Any, ...]:
    """The tasks-table row for a record, in `TASK_COLUMNS` order."""
    return (t.run_id, t.task_key, t.scenario_id, t.task_type, t.trial, int(t.passed), int(t.fallback_used),
            int(t.cheap_tier_passed), t.answered_by, t.first_model, to_pusd(t.cost_usd),
            to_pusd(t.baseline_cost_usd_estimate), t.latency_s, json.dumps(list(t.escalation_reasons)),
            t.final_reason, t.output, t.error, to_us(t.started_at), to_us(t.finished_at))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunSummary(BaseModel):
    """One run in `history()`: figures for report trend charts (baseline is an estimate)."""

    run_id: str
    suite: str
    policy: str
    offline: bool
    status: RunStatus
    started_at: datetime
    tasks: int
    passed: int
    success_rate: float | None
    actual_cost_usd: Decimal
    baseline_cost_usd_estimate: Decimal


class TelemetryStore:
    """Open (creating and migrating) a telemetry database. Safe to share between threads.

    Sync methods keep each write to one short transaction; the `a*` variants run the same
    methods on one worker thread so the asyncio loop never waits on the disk, in call order.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                     timeout=BUSY_TIMEOUT_MS / 1000)
        self._conn.row_factory = sqlite3.Row
        self._executor: ThreadPoolExecutor | None = None
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._migrate()
            self.mark_stale_runs()
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise UserError(f"{self.path}: not a telemetry database ({exc})") from None
        except BaseException:
            self._conn.close()
            raise

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        with self._lock:
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("PRAGMA optimize")
            self._conn.close()

    def __enter__(self) -> TelemetryStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return int(self.query_one("PRAGMA user_version")[0])

    def _migrate(self) -> None:
        with self._write() as conn:  # IMMEDIATE: two processes opening a new file migrate once
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version > len(MIGRATIONS):
                raise UserError(f"{self.path}: telemetry schema v{version} is newer than this harness "
                                f"(reads up to v{len(MIGRATIONS)}); upgrade the harness")
            for target, statements in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in statements:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {target}")

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken IMMEDIATE so concurrent writers queue on the busy timeout."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Run a read (the analysis's aggregates); rows index by position or column name."""
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def query_one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row:
        return self.query(sql, params)[0]

    # -- writes ----------------------------------------------------------------------------

    def begin_run(self, run: RunRecord) -> None:
        with self._write() as conn:
            conn.execute(
                f"INSERT INTO runs ({_RUN_COLUMNS}, pid, host) VALUES ({', '.join('?' * 15)})",
                (run.run_id, run.suite, run.policy, json.dumps(list(run.policy_chain)), run.baseline_model,
                 int(run.offline), run.data_label, to_us(run.started_at),
                 to_us(run.finished_at) if run.finished_at else None, run.status, run.stop_reason, run.trials,
                 json.dumps(run.config, default=str), os.getpid(), socket.gethostname()))

    def record_attempt(self, attempt: AttemptRecord) -> int:
        """Write and commit one attempt at once; returns its id."""
        with self._write() as conn:
            cursor = conn.execute(_ATTEMPT_INSERT, attempt_row(attempt))
            return int(cursor.lastrowid or 0)

    def bulk_import(self, tasks: Iterable[Sequence[Any]], attempts: Iterable[Sequence[Any]],
                    attempt_state: AttemptState = "final") -> None:
        """Import many `task_row` / `attempt_row` tuples in one transaction (merging worker results, backfills).

        The runs they belong to must exist (`begin_run`).
        """
        with self._write() as conn:
            conn.executemany(_TASK_INSERT, tasks)
            conn.executemany(_ATTEMPT_INSERT_WITH_STATE, ((*row, attempt_state) for row in attempts))

    def finish_task(self, task: TaskRecord) -> None:
        """Write the task and make its pending attempts final, in one transaction."""
        with self._write() as conn:
            try:
                conn.execute(_TASK_INSERT, task_row(task))
            except sqlite3.IntegrityError:
                raise ValueError(f"task {task.task_key} of run {task.run_id} is already finished "
                                 "(or the run was never begun)") from None
            conn.execute("UPDATE attempts SET state = 'final' WHERE run_id = ? AND task_key = ? AND state = 'pending'",
                         (task.run_id, task.task_key))

    def finish_run(self, run_id: str, status: RunStatus, stop_reason: str | None = None,
                   finished_at: datetime | None = None) -> None:
        """Close a run; attempts of tasks that did not finish become `abandoned`."""
        if status == "running":
            raise ValueError("finish_run needs a final status, not 'running'")
        with self._write() as conn:
            updated = conn.execute(
                "UPDATE runs SET status = ?, stop_reason = ?, finished_at_us = ? WHERE run_id = ?",
                (status, stop_reason, to_us(finished_at or datetime.now(UTC)), run_id)).rowcount
            if not updated:
                raise ValueError(f"no run {run_id} in {self.path}")
            conn.execute("UPDATE attempts SET state = 'abandoned' WHERE run_id = ? AND state = 'pending'", (run_id,))

    def note_stop(self, run_id: str, reason: str) -> None:
        """Tell every process of a run (pytest-xdist workers) to start no new task; the first reason wins.

        The run stays 'running' until its owner closes it with `finish_run(..., "stopped", reason)`.
        """
        with self._write() as conn:
            conn.execute("UPDATE runs SET stop_reason = ? WHERE run_id = ? AND stop_reason IS NULL", (reason, run_id))

    def discard_unfinished(self, run_id: str, task_key: str | None = None) -> int:
        """Mark pending attempts of one task (or all of a run's) abandoned before re-running it.

        They stay in the store, counted as spend but not as task results. Returns how many.
        """
        sql = "UPDATE attempts SET state = 'abandoned' WHERE run_id = ? AND state = 'pending'"
        params: tuple[str, ...] = (run_id,)
        if task_key is not None:
            sql += " AND task_key = ?"
            params = (run_id, task_key)
        with self._write() as conn:
            return conn.execute(sql, params).rowcount

    def mark_stale_runs(self) -> list[str]:
        """Runs left 'running' by a process of this host that no longer exists become 'incomplete'."""
        host = socket.gethostname()
        candidates = self.query("SELECT run_id, pid FROM runs WHERE status = 'running' AND host = ?", (host,))
        stale = [row["run_id"] for row in candidates if not _pid_alive(row["pid"])]
        for run_id in stale:
            self.finish_run(run_id, "incomplete", "the process ended before the run finished (killed or crashed)")
        return stale

    def reopen_run(self, run_id: str) -> RunRecord:
        """For `--resume`: take over an unfinished run; pending attempts are abandoned (see module doc)."""
        run = self.get_run(run_id)
        if run.status == "complete":
            raise UserError(f"run {run_id} is already complete; nothing to resume")
        row = self.query_one("SELECT pid, host FROM runs WHERE run_id = ?", (run_id,))
        if run.status == "running" and row["host"] == socket.gethostname() and _pid_alive(row["pid"]) \
                and row["pid"] != os.getpid():
            raise UserError(f"run {run_id} is still running (pid {row['pid']})")
        with self._write() as conn:
            conn.execute("UPDATE runs SET status = 'running', stop_reason = NULL, finished_at_us = NULL, "
                         "pid = ?, host = ? WHERE run_id = ?", (os.getpid(), socket.gethostname(), run_id))
            conn.execute("UPDATE attempts SET state = 'abandoned' WHERE run_id = ? AND state = 'pending'", (run_id,))
        return self.get_run(run_id)

    # -- async wrappers (one worker thread, so writes keep their order) ---------------------

    async def _in_worker(self, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="telemetry")
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, functools.partial(func, *args, **kwargs))

    async def abegin_run(self, run: RunRecord) -> None:
        await self._in_worker(self.begin_run, run)

    async def arecord_attempt(self, attempt: AttemptRecord) -> int:
        return await self._in_worker(self.record_attempt, attempt)

    async def afinish_task(self, task: TaskRecord) -> None:
        await self._in_worker(self.finish_task, task)

    async def afinish_run(self, run_id: str, status: RunStatus, stop_reason: str | None = None) -> None:
        await self._in_worker(self.finish_run, run_id, status, stop_reason)

    # -- reads -----------------------------------------------------------------------------

    def get_run(self, run_id: str) -> RunRecord:
        rows = self.query(f"SELECT {_RUN_COLUMNS} FROM runs WHERE run_id = ?", (run_id,))
        if not rows:
            raise UserError(f"no run '{run_id}' in {self.path}")
        r = rows[0]
        return RunRecord(
            run_id=r["run_id"], suite=r["suite"], policy=r["policy"], policy_chain=json.loads(r["policy_chain"]),
            baseline_model=r["baseline_model"], offline=bool(r["offline"]), data_label=r["data_label"],
            started_at=from_us(r["started_at_us"]),
            finished_at=from_us(r["finished_at_us"]) if r["finished_at_us"] is not None else None,
            status=r["status"], stop_reason=r["stop_reason"], trials=r["trials"], config=json.loads(r["config"]))

    def completed_task_keys(self, run_id: str) -> set[str]:
        """Tasks of the run that finished (passed or failed): a resume must not repeat them."""
        return {row[0] for row in self.query("SELECT task_key FROM tasks WHERE run_id = ?", (run_id,))}

    def tasks_for_run(self, run_id: str) -> list[TaskRecord]:
        rows = self.query(f"SELECT {TASK_COLUMNS} FROM tasks WHERE run_id = ? ORDER BY started_at_us, task_key",
                           (run_id,))
        return [TaskRecord(
            run_id=r["run_id"], task_key=r["task_key"], scenario_id=r["scenario_id"], task_type=r["task_type"],
            trial=r["trial"], passed=bool(r["passed"]), fallback_used=bool(r["fallback_used"]),
            cheap_tier_passed=bool(r["cheap_tier_passed"]), answered_by=r["answered_by"],
            first_model=r["first_model"], cost_usd=from_pusd(r["cost_pusd"]),
            baseline_cost_usd_estimate=from_pusd(r["baseline_pusd"]), latency_s=r["latency_s"],
            escalation_reasons=tuple(json.loads(r["escalation_reasons"])), final_reason=r["final_reason"],
            output=r["output"], error=r["error"], started_at=from_us(r["started_at_us"]),
            finished_at=from_us(r["finished_at_us"])) for r in rows]

    def attempts_for_run(self, run_id: str) -> list[StoredAttempt]:
        """Every attempt of the run, abandoned ones included, in the order they were written."""
        rows = self.query(f"SELECT id, state, {ATTEMPT_COLUMNS} FROM attempts WHERE run_id = ? ORDER BY id",
                           (run_id,))
        money = {"cost_pusd"}
        times = {"started_at_us", "finished_at_us"}
        records = []
        for r in rows:
            fields: dict[str, Any] = {}
            for name in r.keys():  # noqa: SIM118 - sqlite3.Row is not a mapping
                if name in money:
                    fields["cost_usd"] = from_pusd(r[name])
                elif name in times:
                    fields[name.removesuffix("_us")] = from_us(r[name])
                else:
                    fields[name] = r[name]
            fields["repair"] = bool(fields["repair"])
            records.append(StoredAttempt(**fields))
        return records

    def history(self, limit: int = 20) -> list[RunSummary]:
        """The most recent runs, newest first, with success rate, actual cost and baseline estimate."""
        rows = self.query(
            """SELECT r.run_id, r.suite, r.policy, r.offline, r.status, r.started_at_us,
                      (SELECT COUNT(*) FROM tasks t WHERE t.run_id = r.run_id) AS tasks,
                      (SELECT COALESCE(SUM(t.passed), 0) FROM tasks t WHERE t.run_id = r.run_id) AS passed,
                      (SELECT SUM(t.baseline_pusd) FROM tasks t WHERE t.run_id = r.run_id) AS baseline,
                      (SELECT SUM(a.cost_pusd) FROM attempts a WHERE a.run_id = r.run_id) AS cost
               FROM runs r ORDER BY r.started_at_us DESC, r.rowid DESC LIMIT ?""", (limit,))
        return [RunSummary(
            run_id=r["run_id"], suite=r["suite"], policy=r["policy"], offline=bool(r["offline"]), status=r["status"],
            started_at=from_us(r["started_at_us"]), tasks=r["tasks"], passed=r["passed"],
            success_rate=r["passed"] / r["tasks"] if r["tasks"] else None, actual_cost_usd=from_pusd(r["cost"]),
            baseline_cost_usd_estimate=from_pusd(r["baseline"])) for r in rows]
