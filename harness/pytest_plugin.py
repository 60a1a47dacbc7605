"""Scenarios as pytest items: `pytest scenarios -m quick -n 2` runs the same engine as `harness run`.

Opt-in: `scenarios/conftest.py` re-exports these hooks, so they act only on sessions that collect
the scenarios folder (or that load this module with `-p harness.pytest_plugin`). xdist workers
write attempts and tasks into the same SQLite store under one run id chosen by the controller;
the controller alone closes the run and writes results.json from the store.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import AsyncExitStack, ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from harness.config import load_config
from harness.models.registry import Registry, load_registry
from harness.results import OFFLINE_LABEL
from harness.router.policy import FallbackPolicy, load_policy
from harness.runner.backend import LIVE_LABEL, Backend, is_live, open_backend
from harness.runner.engine import SuiteRun, Trial
from harness.runner.session import open_router
from harness.runner.summary import summarize
from harness.scenarios.scenario import Scenario, load_scenario
from harness.telemetry.records import RunRecord, TaskRecord
from harness.telemetry.store import TelemetryStore
from reports import write_all

RUN_ID_KEY = "harness_run_id"
_SKIP_DIRS = {"fixtures", "samples"}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "scenario suites through the cascade")
    group.addoption("--harness-policy", help="fallback policy (default: [tool.harness] policy)")
    group.addoption("--harness-out", type=Path, help="where results.json goes (default runs/RUN_ID)")
    group.addoption("--harness-db", type=Path, help="telemetry database (default: [tool.harness] telemetry_db)")


class _Session:
    """Per-process state: the store, the policy, and (lazily) a backend + router on a private loop."""

    def __init__(self, config: pytest.Config, run_id: str) -> None:
        project = load_config()
        self.registry: Registry = load_registry(project.models_file)
        self.policy: FallbackPolicy = load_policy(config.getoption("harness_policy") or project.policy,
                                                  project, self.registry)
        self.store = TelemetryStore(config.getoption("harness_db") or project.telemetry_db)
        self.run_id = run_id
        self.scenarios: dict[str, Scenario] = {}
        self._loop = asyncio.new_event_loop()
        self._sync = ExitStack()
        self._async = AsyncExitStack()
        self._suite_run: SuiteRun | None = None
        self.backend: Backend | None = None

    def begin_run(self) -> None:
        live = is_live()
        self.store.begin_run(RunRecord(
            run_id=self.run_id, suite="pytest", policy=self.policy.name,
            policy_chain=tuple(s.model_id for s in self.policy.steps), baseline_model=self.policy.steps[-1].model_id,
            offline=not live, data_label=LIVE_LABEL if live else OFFLINE_LABEL, started_at=datetime.now(UTC)))

    def run_trial(self, trial: Trial) -> TaskRecord:
        stop_reason = self.store.get_run(self.run_id).stop_reason
        if stop_reason is not None:
            pytest.skip(f"the run stopped: {stop_reason}")
        if self._suite_run is None:
            self.backend = self._sync.enter_context(
                open_backend(list(self.scenarios.values()), replay=None, record=None))
            router = self._loop.run_until_complete(self._async.enter_async_context(
                open_router(self.backend, self.policy, self.registry, self.store, self.run_id)))
            self._suite_run = SuiteRun(router=router, store=self.store, run_id=self.run_id,
                                       baseline_model=self.policy.steps[-1].model_id, concurrency=1)
        record = self._loop.run_until_complete(self._suite_run.run_trial(trial))
        if record is None:
            reason = self._suite_run.stop_reason or "the run stopped"
            self.store.note_stop(self.run_id, reason)
            raise ScenarioFailed(f"the run stopped: {reason}")
        return record

    def close(self) -> None:
        self._loop.run_until_complete(self._async.aclose())
        self._loop.close()
        self._sync.close()
        self.store.close()


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_configure(config: pytest.Config) -> None:
    if _is_worker(config):
        run_id = config.workerinput[RUN_ID_KEY]  # type: ignore[attr-defined]
    else:
        run_id = f"{datetime.now(UTC):%Y%m%d-%H%M%S}-pytest-{os.getpid() % 0x10000:04x}"
    session = _Session(config, run_id)
    config.stash[_SESSION] = session
    if not _is_worker(config):
        session.begin_run()
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistHooks(run_id), "harness-xdist")


class _XdistHooks:
    def __init__(self, run_id: str) -> None:
        self.run_id = run_id

    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput[RUN_ID_KEY] = self.run_id


_SESSION = pytest.StashKey[_Session]()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix in {".yaml", ".yml"} and not _SKIP_DIRS & set(file_path.parts):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    def collect(self) -> Iterator[ScenarioItem]:
        scenario = load_scenario(self.path)
        self.config.stash[_SESSION].scenarios[scenario.id] = scenario
        for number in range(1, scenario.trials + 1):
            item = ScenarioItem.from_parent(self, name=f"{scenario.id}#{number}", trial=Trial(scenario, number))
            for tag in scenario.tags:
                item.add_marker(tag)
            yield item


class ScenarioFailed(Exception):
    """The cascade ended without an accepted answer."""


class ScenarioItem(pytest.Item):
    def __init__(self, *, trial: Trial, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.trial = trial

    def runtest(self) -> None:
        record = self.config.stash[_SESSION].run_trial(self.trial)
        self.user_properties.append(("answered_by", record.answered_by))
        self.user_properties.append(("cost_usd", str(record.cost_usd)))
        if not record.passed:
            raise ScenarioFailed(record.error or record.final_reason)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioFailed):
            return f"{self.name}: no accepted answer: {excinfo.value}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"scenario {self.name}"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = session.config.stash.get(_SESSION, None)
    if state is None:
        return
    if _is_worker(session.config):
        state.close()
        return
    store = state.store
    stop_reason = store.get_run(state.run_id).stop_reason
    if stop_reason is not None:
        store.finish_run(state.run_id, "stopped", stop_reason)
    elif exitstatus == pytest.ExitCode.INTERRUPTED:
        store.finish_run(state.run_id, "incomplete", "pytest session interrupted")
    else:
        store.finish_run(state.run_id, "complete")
    scenarios = {s.id: s.title for s in state.scenarios.values()}
    results = summarize(store.get_run(state.run_id), store.tasks_for_run(state.run_id),
                        store.attempts_for_run(state.run_id), scenarios)
    out: Path = session.config.getoption("harness_out") or Path("runs") / state.run_id
    written = write_all(results, out)
    state.close()
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"harness: {results.data_label}; results in {written['json']}")


def pytest_report_header(config: pytest.Config) -> str:
    return f"harness: {LIVE_LABEL if is_live() else OFFLINE_LABEL}"
