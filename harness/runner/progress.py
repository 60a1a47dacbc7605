"""Live progress of a run: tasks running, passed, escalated, failed, retries, waits, spend.

A terminal gets a rich progress bar; a log (CI, a pipe) gets one line per finished task, so a
run that is retrying or waiting never looks stuck.
"""

from __future__ import annotations

from decimal import Decimal
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from harness.models.pricing import format_usd
from harness.providers.errors import ErrorAction, ErrorKind
from harness.router.attempt import Attempt
from harness.router.clock import Clock
from harness.runner.engine import Trial
from harness.telemetry.records import TaskRecord

RETRYABLE = {kind.value for kind in ErrorKind if kind.action is ErrorAction.RETRY}


class RunProgress:
    """Counts what happened so far; the router's attempts and waits feed it as they occur."""

    def __init__(self, total: int, console: Console, already_done: int = 0, spent: Decimal = Decimal(0)) -> None:
        self.console = console
        self.total = total
        self.done = already_done
        self.running = self.passed = self.escalated = self.failed = self.retries = 0
        self.waits = 0
        self.waited_s = 0.0
        self.spent = spent
        self._live = console.is_terminal
        self._bar = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("{task.fields[stats]}"), console=console, transient=False, disable=not self._live)
        self._task: TaskID | None = None

    def __enter__(self) -> RunProgress:
        self._bar.__enter__()
        self._task = self._bar.add_task("scenarios", total=self.total, completed=self.done, stats=self._stats())
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._bar.__exit__(kind, exc, tb)

    def _stats(self) -> str:
        wait = f" waits {self.waits} ({self.waited_s:.0f}s)" if self.waits else ""
        return (f"running {self.running}  passed {self.passed}  escalated {self.escalated}  failed {self.failed}  "
                f"retries {self.retries}{wait}  spent {format_usd(self.spent)}")

    def _refresh(self) -> None:
        if self._task is not None:
            self._bar.update(self._task, completed=self.done, stats=self._stats())

    def task_started(self, trial: Trial) -> None:
        self.running += 1
        self._refresh()

    def task_finished(self, trial: Trial, record: TaskRecord | None) -> None:
        self.running -= 1
        if record is None:  # the run is stopping; this trial stays unfinished for --resume
            self._refresh()
            return
        self.done += 1
        self.passed += record.passed
        self.failed += not record.passed
        self.escalated += record.fallback_used
        self._refresh()
        if not self._live:
            verdict = "passed" if record.passed else "FAILED"
            via = f" via {record.answered_by}" if record.answered_by else ""
            escalated = " (escalated: " + "; ".join(record.escalation_reasons) + ")" if record.fallback_used else ""
            self.console.print(f"[{self.done}/{self.total}] {record.task_key}: {verdict}{via}{escalated}",
                               highlight=False, markup=False)

    def attempt(self, attempt: Attempt) -> None:
        self.spent += attempt.cost_usd
        self.retries += attempt.outcome == "error" and attempt.error_kind in RETRYABLE
        self._refresh()

    def waited(self, seconds: float) -> None:
        self.waits += 1
        self.waited_s += seconds
        self._refresh()


class ObservedClock:
    """A Clock that reports each backoff wait to the progress display."""

    def __init__(self, inner: Clock, progress: RunProgress) -> None:
        self._inner = inner
        self._progress = progress

    def monotonic(self) -> float:
        return self._inner.monotonic()

    async def sleep(self, seconds: float) -> None:
        self._progress.waited(seconds)
        await self._inner.sleep(seconds)
