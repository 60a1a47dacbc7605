"""`harness run`: the main job. Runs a suite through the cascade, records it, writes reports."""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import signal
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NoReturn

from rich.console import Console

from harness.cli_args import whole_number
from harness.config import ProjectConfig, load_config
from harness.emulator import FaultPlan
from harness.errors import UserError
from harness.models.pricing import format_usd, usd_float
from harness.models.registry import Registry, load_registry
from harness.models.retirement import warn_retiring
from harness.results import RunResults
from harness.router.clock import SystemClock
from harness.router.policy import FallbackPolicy, load_policy
from harness.runner.backend import Backend, open_backend
from harness.runner.engine import SuiteRun, Trial, plan_trials
from harness.runner.progress import ObservedClock, RunProgress
from harness.runner.session import open_router
from harness.runner.shadow import measured_baseline, shadow_policy, shadow_record, shadow_sample
from harness.runner.summary import summarize
from harness.scenarios.scenario import Scenario, load_suite
from harness.telemetry.records import RunRecord, RunStatus
from harness.telemetry.store import TelemetryStore
from reports import HistoryPoint, write_all
from reports.gate import GateThresholds, evaluate

EXIT_STOPPED = 3
EXIT_INTERRUPTED = 130


def _usd(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"'{text}' is not an amount in USD") from None
    if not value.is_finite() or value <= 0:
        raise argparse.ArgumentTypeError("the budget must be a positive amount in USD")
    return value


def register(subparsers: Any) -> None:
    run = subparsers.add_parser(
        "run", help="run a scenario suite through the cascade and write reports",
        description=(
            "Run scenarios through the fallback policy: cheap model first, validators decide, premium on "
            "rejection. Without ANTHROPIC_API_KEY it replays the bundled sample responses through a local "
            "emulator (offline). Exit codes: 0 the run completed (with --gate: and the gate passed), "
            "1 a gate threshold was missed, 2 usage or config error, 3 the run stopped early (budget, API "
            "unreachable, bad key), 130 interrupted (resume with --resume)."))
    run.add_argument("suite", nargs="*", metavar="SUITE|PATH",
                     help="quick (default), full, or scenario YAML files / folders")
    run.add_argument("--trials", type=whole_number(1, "trials"),
                     help="trials per scenario (default: each scenario's own)")
    run.add_argument("--concurrency", type=whole_number(1, "tasks"), help="tasks in flight at once (default 4)")
    run.add_argument("--per-model", type=whole_number(1, "calls"), default=8, metavar="N",
                     help="calls in flight to any one model at once (default 8)")
    run.add_argument("--policy", help="fallback policy name (default: [tool.harness] policy, else 'default')")
    run.add_argument("--budget", type=_usd, metavar="USD", help="stop before a call that could exceed this spend")
    run.add_argument("--out", type=Path, metavar="DIR", help="output folder (default runs/RUN_ID)")
    run.add_argument("--record", type=Path, metavar="DIR", help="save live answers as cassettes in DIR")
    run.add_argument("--replay", type=Path, metavar="DIR", help="replay cassettes from DIR (offline, free)")
    run.add_argument("--faults", type=Path, metavar="FILE",
                     help="offline only: inject errors/latency into the emulator (JSON/TOML fault plan)")
    run.add_argument("--resume", metavar="RUN_ID", help="finish an interrupted run without repeating finished tasks")
    run.add_argument("--shadow", type=whole_number(1, "tasks"), metavar="N",
                     help="also send N of the tasks straight to the premium model: a measured (not estimated) "
                          "all-premium baseline; costs extra, recorded as run RUN_ID-shadow")
    run.add_argument("--gate", action="store_true", help="apply [tool.harness.gate] thresholds at the end")
    run.add_argument("--db", type=Path, help="telemetry database (default: [tool.harness] telemetry_db)")
    run.add_argument("--json", action="store_true", help="print a JSON summary on stdout (humans get stderr)")
    run.set_defaults(handler=_run)


def _new_run_id(suite: str) -> str:
    label = "".join(c if c.isalnum() else "-" for c in suite)[:24]
    return f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{label}-{secrets.token_hex(2)}"


def _policy(name: str, budget: Decimal | None, config: ProjectConfig, registry: Registry) -> FallbackPolicy:
    policy = load_policy(name, config, registry)
    return policy if budget is None else policy.model_copy(update={"run_budget_usd": budget})


def _raise_interrupt(*_: object) -> NoReturn:
    raise KeyboardInterrupt


async def _execute(backend: Backend, policy: FallbackPolicy, registry: Registry, store: TelemetryStore,
                   run: RunRecord, trials: list[Trial], args: argparse.Namespace, progress: RunProgress,
                   already_spent: Decimal) -> str | None:
    async with open_router(backend, policy, registry, store, run.run_id, per_model=args.per_model,
                           clock=ObservedClock(SystemClock(), progress), on_attempt=progress.attempt,
                           already_spent=already_spent) as router:
        suite_run = SuiteRun(router=router, store=store, run_id=run.run_id, baseline_model=run.baseline_model,
                             concurrency=args.concurrency or 4, on_task_start=progress.task_started,
                             on_task_end=progress.task_finished)
        await suite_run.run(trials)
        spent = router.spent_usd
    if args.shadow and suite_run.stop_reason is None:
        await _shadow(backend, policy, registry, store, run, shadow_sample(trials, args.shadow), args, spent)
    return suite_run.stop_reason


async def _shadow(backend: Backend, policy: FallbackPolicy, registry: Registry, store: TelemetryStore,
                  run: RunRecord, sample: list[Trial], args: argparse.Namespace, spent: Decimal) -> None:
    """Measure the all-premium baseline on `sample`; its spend counts toward the run budget too."""
    shadow = shadow_record(run)
    await store.abegin_run(shadow)
    async with open_router(backend, shadow_policy(policy), registry, store, shadow.run_id, per_model=args.per_model,
                           already_spent=spent) as router:
        shadow_run = SuiteRun(router=router, store=store, run_id=shadow.run_id, baseline_model=run.baseline_model,
                              concurrency=args.concurrency or 4)
        await shadow_run.run(sample)
    await store.afinish_run(shadow.run_id, "stopped" if shadow_run.stop_reason else "complete",
                            shadow_run.stop_reason)


def _load(suite_args: list[str], config: ProjectConfig) -> list[Scenario]:
    """One word is a suite tag (in [tool.harness] scenarios_dir) or a path; several are paths."""
    return load_suite(suite_args[0] if len(suite_args) == 1 else suite_args, root=config.scenarios_dir)


def _start(args: argparse.Namespace, store: TelemetryStore, config: ProjectConfig,
           registry: Registry) -> tuple[RunRecord, list[Scenario], FallbackPolicy]:
    """A new run, or the run to resume with the suite, policy, trials and budget it was started with."""
    if args.resume:
        if args.suite or args.policy or args.trials or args.shadow:
            raise UserError("--resume takes the suite, policy and trials of the run it resumes; drop those "
                            "(and --shadow: it measures new runs only)")
        run = store.reopen_run(args.resume)
        scenarios = _load(run.config.get("suite_args") or [run.suite], config)
        budget = args.budget or (Decimal(run.config["budget_usd"]) if run.config.get("budget_usd") else None)
        return run, scenarios, _policy(run.policy, budget, config, registry)
    suite_args = args.suite or ["quick"]
    scenarios = _load(suite_args, config)
    policy = _policy(args.policy or config.policy, args.budget, config, registry)
    return RunRecord(
        run_id=_new_run_id(" ".join(suite_args)), suite=" ".join(suite_args), policy=policy.name,
        policy_chain=tuple(s.model_id for s in policy.steps), baseline_model=policy.steps[-1].model_id,
        offline=True, data_label="", started_at=datetime.now(UTC),
        trials=args.trials or max(s.trials for s in scenarios),
        config={"suite_args": suite_args, "trials_override": args.trials,
                "budget_usd": str(args.budget) if args.budget else None,
                "faults": str(args.faults) if args.faults else None,
                "replay": str(args.replay) if args.replay else None},
    ), scenarios, policy


def _stored_path(run: RunRecord, key: str) -> Path | None:
    """A resumed run reuses its own --faults / --replay source unless told otherwise."""
    value = run.config.get(key)
    return Path(value) if value else None


def _check_resumable(run: RunRecord, backend: Backend) -> None:
    """A run is live or offline from start to end: a resumed half from another source would mislabel it."""
    if (run.offline, run.data_label) != (backend.offline, backend.data_label):
        raise UserError(f"run {run.run_id} was started as '{run.data_label}'; this resume would be "
                        f"'{backend.data_label}'. Resume it the way it was started (same key, --replay, --faults).")


def _gate_thresholds(args: argparse.Namespace, config: ProjectConfig) -> GateThresholds | None:
    """Checked before any call is paid for, so a missing or bad gate config fails fast."""
    if not args.gate:
        return None
    thresholds = GateThresholds.from_config(config.gate, f"{config.source or 'config'} [tool.harness.gate]")
    if thresholds.empty:
        raise UserError("--gate needs thresholds: set them in [tool.harness.gate] (see README, Gating CI), "
                        "or run `harness gate RESULTS.json --min-success ...` afterwards")
    return thresholds


def _run(args: argparse.Namespace) -> int:
    config = load_config()
    registry = load_registry(config.models_file)
    thresholds = _gate_thresholds(args, config)
    console = Console(stderr=args.json, highlight=False, soft_wrap=True)
    with TelemetryStore(args.db or config.telemetry_db) as store:
        run, scenarios, policy = _start(args, store, config, registry)
        warn_retiring(run.policy_chain, registry)
        done = store.completed_task_keys(run.run_id) if args.resume else set()
        spent = sum((a.cost_usd for a in store.attempts_for_run(run.run_id)), Decimal(0))
        trials = [t for t in plan_trials(scenarios, run.config.get("trials_override")) if t.key not in done]
        faults_file = args.faults or _stored_path(run, "faults")
        faults = FaultPlan.load(faults_file) if faults_file else None
        replay = args.replay or _stored_path(run, "replay")
        with open_backend(scenarios, replay=replay, record=args.record, faults=faults) as backend:
            if args.resume:
                _check_resumable(run, backend)
            else:
                run = run.model_copy(update={"offline": backend.offline, "data_label": backend.data_label})
                store.begin_run(run)
            _banner(console, run.offline, run.data_label)
            console.print(f"run {run.run_id}: {len(trials)} task(s) of {len(scenarios)} scenario(s), policy "
                          f"{run.policy} ({' -> '.join(run.policy_chain)})" + (f", {len(done)} already done"
                                                                               if done else ""))
            previous_sigterm = signal.signal(signal.SIGTERM, _raise_interrupt)
            status: RunStatus = "incomplete"
            resume_hint = f"resume with: harness run --resume {run.run_id}"
            stop_reason: str | None = f"the run ended by an unexpected error; {resume_hint}"
            try:
                with RunProgress(len(trials) + len(done), console, already_done=len(done), spent=spent) as progress:
                    stop_reason = asyncio.run(
                        _execute(backend, policy, registry, store, run, trials, args, progress, spent))
                status = "stopped" if stop_reason else "complete"
            except KeyboardInterrupt:
                stop_reason = f"interrupted; {resume_hint}"
            finally:
                signal.signal(signal.SIGTERM, previous_sigterm)
                store.finish_run(run.run_id, status, stop_reason)
        results = summarize(store.get_run(run.run_id), store.tasks_for_run(run.run_id),
                            store.attempts_for_run(run.run_id), {s.id: s.title for s in scenarios},
                            measured_baseline(store, run))
        out = args.out or Path("runs") / run.run_id
        written = _write_outputs(results, out, store)
    _print_summary(console, results, written)
    code = 0 if status == "complete" else EXIT_INTERRUPTED if status == "incomplete" else EXIT_STOPPED
    if thresholds is not None and status == "complete":
        code = _gate(results, thresholds, console)
    if args.json:
        print(json.dumps({"run_id": results.run_id, "exit_code": code, "offline": results.offline,
                          "data_label": results.data_label, "complete": results.complete,
                          "success_rate": results.success_rate, "actual_cost_usd": results.actual_cost_usd,
                          "baseline_cost_usd_estimate": results.baseline_cost_usd_estimate,
                          "outputs": {k: str(v) for k, v in written.items()}}))
    return code


def _write_outputs(results: RunResults, out: Path, store: TelemetryStore) -> dict[str, Path]:
    """All four reports; the trend compares like with like: same suite, policy and live/offline mode."""
    history = [HistoryPoint(run_id=h.run_id, started_at=h.started_at, success_rate=h.success_rate,
                            actual_cost_usd=usd_float(h.actual_cost_usd),
                            baseline_cost_usd_estimate=usd_float(h.baseline_cost_usd_estimate))
               for h in reversed(store.history(limit=100))
               if h.success_rate is not None and (h.suite, h.policy, h.offline) == (
                   results.suite, results.policy, results.offline)][-20:]
    return {str(fmt): path for fmt, path in write_all(results, out, history=history).items()}


def _gate(results: RunResults, thresholds: GateThresholds, console: Console) -> int:
    outcome = evaluate(results, thresholds)
    for line in outcome.lines():
        console.print(line, markup=False)
    return outcome.exit_code


def _banner(console: Console, offline: bool, data_label: str) -> None:
    if offline:
        console.print(f"[bold yellow]OFFLINE: {data_label}. Figures describe these samples, not a live model.[/]")
    else:
        console.print("[bold]LIVE: calls go to the Anthropic API and cost money.[/]")


def _money(usd: float) -> str:
    return format_usd(Decimal(str(usd)))


def _print_summary(console: Console, r: RunResults, written: dict[str, Path]) -> None:
    low, high = r.success_ci95
    console.print()
    for task in r.tasks:
        called = (a.model_requested for a in task.attempts if a.outcome in ("accepted", "rejected", "error"))
        chain = " -> ".join(dict.fromkeys(called)) or "no call"
        mark = "[green]PASS[/]" if task.passed else "[red]FAIL[/]"
        why = f"  ({'; '.join(task.escalation_reasons)})" if task.escalation_reasons else ""
        console.print(f"{mark} {task.scenario_id}#{task.trial}  {chain}  {_money(task.cost_usd)}{why}", highlight=False)
    console.print()
    dist = ", ".join(f"{m}: {n}" for m, n in sorted(r.model_distribution.items())) or "none"
    rows: list[tuple[str, str]] = [
        ("Success rate", f"{r.success_rate:.0%} ({r.tasks_passed}/{r.tasks_total}; 95% CI {low:.0%}-{high:.0%})"),
        ("Answered by", dist),
        ("Fallback rate", f"{r.fallback_rate:.0%}"),
        ("Actual cost", _money(r.actual_cost_usd)),
        ("All-premium", f"{_money(r.baseline_cost_usd_estimate)} (estimate: same tokens at {r.baseline_model})"),
        ("Savings", f"{_money(r.savings_usd_estimate)} ({r.savings_pct:.1f}%, estimate)"),
    ]
    if r.measured_baseline is not None:
        m = r.measured_baseline
        rows.append(("Measured", f"{_money(m.cost_usd)} on {m.model} alone vs {_money(m.cascade_cost_usd_same_tasks)} "
                                 f"through the cascade, same {m.tasks} task(s) (shadow run)"))
    for name, value in rows:
        console.print(f"{name:<17} {value}", highlight=False, markup=False)
    if r.stop_reason:
        console.print(f"[bold red]Stopped early:[/] {r.stop_reason}")
    for kind, path in written.items():
        console.print(f"{kind:5} {path}", highlight=False)
    _banner(console, r.offline, r.data_label)
